"""The policy lab: policies change only how the warehouse orders, and the table shows what they cost."""

from __future__ import annotations

import pytest

from smart_shelf.history.policy_lab import POLICIES, UnknownPolicy, main, outcome, parse_policies, table
from tests.unit.history.store import SHELVES, START, small_store


def _run(policy: str, days: int = 14):
    history = small_store(customers=6, reorder_point=30)  # demand the warehouse can just about meet
    POLICIES[policy][1](history.ops.ledgers)
    warehouse = []
    for _ in history.run(START, days, flush=lambda _events: None):
        warehouse.append(sum(w.wh_current_stock for w in history.ops.ledgers.warehouse.values()))
    return outcome(policy, history.recorder, warehouse)


def test_unknown_policies_are_refused_by_name():
    assert parse_policies("rule, ample") == ["rule", "ample"]
    with pytest.raises(UnknownPolicy, match="unknown policy magic: choose from rule, lean, ample"):
        parse_policies("rule,magic")
    assert main(["--policies", "magic"]) == 2
    assert main(["--days", "0"]) == 2


def test_a_policy_changes_the_reorder_points_and_nothing_else():
    history = small_store(reorder_point=40)
    before = {s: w.policy for s, w in history.ops.ledgers.supplier_watches.items()}
    POLICIES["lean"][1](history.ops.ledgers)
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
