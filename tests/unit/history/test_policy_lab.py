"""The policy lab: policies change only how the warehouse orders, and the table shows what they cost."""

from __future__ import annotations

import pytest

from smart_shelf.forecast.planning import Proposal, supplier_plan
from smart_shelf.history.policy_lab import POLICIES, UnknownPolicy, main, outcome, parse_policies, table
from tests.unit.history.store import SHELVES, START, small_store


def _run(policy: str, days: int = 14):
    history = small_store(customers=6, reorder_point=30)  # demand the warehouse can just about meet
    POLICIES[policy].watches(history.ops.ledgers)
    warehouse = []
    for _ in history.run(START, days, flush=lambda _events: None):
        warehouse.append(sum(w.wh_current_stock for w in history.ops.ledgers.warehouse.values()))
    return outcome(policy, history.recorder, warehouse, START)


def test_unknown_policies_are_refused_by_name():
    assert parse_policies("rule, ample") == ["rule", "ample"]
    with pytest.raises(UnknownPolicy, match="unknown policy magic: choose from rule, lean, ample, ma28, ml"):
        parse_policies("rule,magic")
    assert main(["--policies", "magic"]) == 2
    assert main(["--days", "0"]) == 2
    assert main(["--policies", "rule,ml", "--warmup", "20"]) == 2  # too few days to learn from


def test_a_policy_changes_the_reorder_points_and_nothing_else():
    history = small_store(reorder_point=40)
    before = {s: w.policy for s, w in history.ops.ledgers.supplier_watches.items()}
    POLICIES["lean"].watches(history.ops.ledgers)
    for shelf, watch in history.ops.ledgers.supplier_watches.items():
        assert watch.policy.reorder_point == 20 and watch.policy.capacity == before[shelf].capacity
        assert watch.policy.target_pct == before[shelf].target_pct


def test_ordering_earlier_orders_more_often_and_loses_fewer_sales():
    lean, rule, ample = (_run(p) for p in ("lean", "rule", "ample"))
    assert lean.shelf_days == rule.shelf_days == ample.shelf_days == 14 * len(SHELVES)
    assert lean.orders < rule.orders < ample.orders
    assert (
        ample.lost_sale_units < lean.lost_sale_units
        and ample.stock_out_shelf_days < lean.stock_out_shelf_days
    )
    assert lean.mean_warehouse_stock > 0 and lean.mean_shelf_stock > 0
    printed = table([lean, rule, ample])
    assert (
        printed.splitlines()[0].split()[:2] == ["policy", "stock-out"] and "ample" in printed.splitlines()[-1]
    )


def test_an_order_planner_orders_its_plans_at_each_cutoff_and_the_watches_plan_none():
    history = small_store(customers=6, reorder_point=30)
    ops = history.ops
    for watch in ops.ledgers.supplier_watches.values():
        watch.makes_plans = False
    asked = []

    def planner(cutoff):
        asked.append((cutoff, dict(ops.on_order())))
        proposal = Proposal("B", cutoff.date().isoformat(), (1.0,), 20)
        return [supplier_plan(proposal, cutoff, 10, cutoff)]

    ops.order_planner = planner
    list(history.run(START, 8, flush=lambda _events: None))
    cutoffs = [c for c, _ in asked]
    # from Thursday 1 January 07:00 for eight days
    assert [c.strftime("%a %d %H:%M") for c in cutoffs] == [
        "Thu 01 12:00",
        "Sun 04 12:00",
        "Tue 06 12:00",
        "Thu 08 12:00",
    ]
    orders = sorted(history.recorder.rows["wh_supplier_orders"].values(), key=lambda o: o.cutoff_ts)
    assert {o.shelf_id for o in orders} == {"B"} and all(o.ordered_qty == 20 for o in orders)
    assert {o.cutoff_ts for o in orders} == set(cutoffs)
    # each order arrives before the next cutoff; the last one (Friday 08:00) is still on order
    assert all(on_order == {} for _, on_order in asked)
    assert ops.on_order() == {"B": 20}
    assert {p.shelf_id for p in history.recorder.rows["wh_supplier_plan"].values()} == {"B"}
    assert not any(w.plans_made for w in ops.ledgers.supplier_watches.values())
    assert any(a.event_type == "supplier_request" for a in history.recorder.rows["alerts"].values())
