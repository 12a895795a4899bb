"""A fast-forwarded history of a small store: deterministic, conserving, and run by the services' rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from tests.unit.history.store import EXPIRES_SOON, SHELVES, START, small_store

DAYS = 6


def _run(seed: int = 7, days: int = DAYS, **store):
    history = small_store(seed, **store)
    events: dict[str, list] = defaultdict(list)

    def flush(day_events):
        for topic, rows in day_events.items():
            events[topic] += rows

    results = list(history.run(START, days, flush=flush))
    return history, results, events


@pytest.fixture(scope="module")
def ran():
    return _run()


def _dump(history, events):
    rows = {
        t: [r.model_dump(mode="json") for _, r in sorted(by_key.items())]
        for t, by_key in history.recorder.rows.items()
    }
    return {t: [e.model_dump(mode="json") for e in es] for t, es in events.items()}, rows


def test_the_same_seed_gives_the_same_history_and_another_seed_another(ran):
    history, _, events = ran
    again, _, again_events = _run()
    assert _dump(history, events) == _dump(again, again_events)
    _, _, other = _run(seed=8)
    assert [e.event_id for e in other["shelf_events"]] != [e.event_id for e in events["shelf_events"]]


def test_each_shelf_day_conserves_stock_and_the_next_day_opens_where_it_closed(ran):
    history, results, _ = ran
    days = sorted(history.recorder.rows["shelf_daily"].values(), key=lambda d: (d.shelf_id, d.day))
    assert len(days) == DAYS * len(SHELVES) and len(results) == DAYS
    for d in days:
        assert d.stock_close == d.stock_open + d.refill_units - d.removed_units - d.units_taken, d
    for earlier, later in zip(days, days[1:], strict=False):
        if earlier.shelf_id == later.shelf_id:
            assert later.stock_open == earlier.stock_close
    assert sum(d.units_sold for d in days) > 0 and sum(d.refill_units for d in days) > 0


def test_what_left_a_shelf_was_paid_for_once_everybody_left(ran):
    history, _, events = ran
    taken = Counter()
    for e in events["shelf_events"]:
        if e.customer_id not in ("restock_bot", "removal_bot") and e.event_type in ("pickup", "putback"):
            taken[e.item_id] += e.quantity if e.event_type == "pickup" else -e.quantity
    sold = Counter()
    for t in events["pos_transactions"]:
        for item in t.items:
            sold[item.item_id] += item.quantity
    assert +taken == +sold
    assert history.floor.units_in_carts() == {} and history.floor.customers_inside == 0
    assert len({t.transaction_id for t in events["pos_transactions"]}) == len(events["pos_transactions"])
    assert len({e.event_id for e in events["shelf_events"]}) == len(events["shelf_events"])


def test_the_ledgers_agree_with_each_other_and_with_the_floor(ran):
    history, _, _ = ran
    ledgers = history.ops.ledgers
    for shelf in SHELVES:
        stock = ledgers.shelves[shelf].current_stock
        assert stock == history.floor.stock[shelf] >= 0
        assert sum(b.quantity for b in ledgers.store_batches[shelf].batches.by_code.values()) == stock
        in_wh = sum(b.quantity for b in ledgers.wh_batches[shelf].batches.by_code.values())
        assert in_wh == ledgers.warehouse[shelf].wh_current_stock >= 0
    assert not [
        a
        for a in history.recorder.rows["alerts"].values()
        if a.event_type in ("stock_discrepancy", "batch_shortfall")
    ]


def test_restocks_go_through_plans_picks_and_refills_and_suppliers_deliver(ran):
    history, _, events = ran
    plans = list(history.recorder.rows["shelf_restock_plan"].values())
    assert plans and all(p.picked_qty is None or p.picked_qty <= p.suggested_qty for p in plans)
    assert sum(1 for p in plans if p.status not in ("completed", "partially_completed")) <= len(SHELVES)
    picks = [e for e in events["wh_events"] if e.event_type == "wh_out"]
    refills = [
        e for e in events["shelf_events"] if e.customer_id == "restock_bot" and e.event_type == "putback"
    ]
    assert {e.event_id for e in picks} and len(refills) <= len(picks)
    for refill, pick in zip(
        sorted(refills, key=lambda e: e.timestamp), sorted(picks, key=lambda e: e.timestamp), strict=False
    ):
        assert refill.timestamp - pick.timestamp == timedelta(minutes=3)
    orders = list(history.recorder.rows["wh_supplier_orders"].values())
    assert orders and all(o.cutoff_ts.weekday() in (6, 1, 3) for o in orders)
    assert any(e.event_type == "wh_in" for e in events["wh_events"])


def test_a_batch_near_expiry_is_discounted_and_removed_the_day_after_it_expires(ran):
    history, _, events = ran
    discounts = history.recorder.rows["daily_discounts"]
    # the batch (12 units at the open) expires tomorrow: discounted from the first day while it lasts
    days = {d.discount_date for d in discounts.values() if d.shelf_id == "A"}
    assert EXPIRES_SOON - timedelta(days=1) in days and days <= {
        EXPIRES_SOON - timedelta(days=1),
        EXPIRES_SOON,
    }
    assert not {d.shelf_id for d in discounts.values()} - {"A"}
    removals = [e for e in events["shelf_events"] if e.event_type == "removal"]
    assert {(e.batch_code, e.timestamp.date()) for e in removals} <= {
        ("S-A", EXPIRES_SOON + timedelta(days=1))
    }
    shelf_a = {d.day: d for d in history.recorder.rows["shelf_daily"].values() if d.shelf_id == "A"}
    assert sum(d.removed_units for d in shelf_a.values()) == sum(e.quantity for e in removals)
    # the week's promotion on B and the near-expiry discount on A reach the till's prices
    priced = {
        (i.item_id, t.timestamp.date()): i.discount for t in events["pos_transactions"] for i in t.items
    }
    assert any(shelf == "B" and discount == 0.2 for (shelf, _), discount in priced.items())


def test_lost_sales_are_counted_per_shelf_and_day_when_shelves_run_dry():
    history, results, _ = _run(days=3, customers=400, reorder_point=0)  # the warehouse is never refilled
    lost = sum(d.lost_sale_units for d in history.recorder.rows["shelf_daily"].values())
    assert lost == sum(r.lost_sale_units for r in results) > 0
