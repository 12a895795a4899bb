"""Restock picking (earliest expiry first, never more than the warehouse holds, once per plan) and the
refill it becomes on the shelf."""

from datetime import UTC, date, datetime, timedelta

import pytest

from smart_shelf.store.readings import OpsReading
from spark_apps.shelf_refill_bridge.rules import Refill, due_at, refill_events
from spark_apps.shelf_restock_manager.rules import RestockPicker

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def batch(code, expiry, in_wh, sent=0, received="2026-01-01"):
    body = {
        "batch_code": code,
        "received_date": received,
        "expiry_date": expiry,
        "batch_quantity_warehouse": in_wh,
        "batch_quantity_store": sent,
    }
    return OpsReading("wh_batch", T0, body)


def pending(plan_id, qty):
    body = {
        "plan_id": plan_id,
        "shelf_id": "S1",
        "suggested_qty": qty,
        "status": "pending",
        "created_at": T0.isoformat(),
        "updated_at": T0.isoformat(),
    }
    return OpsReading("plan", T0, body)


def _picker(*batches):
    picker = RestockPicker("S1")
    for b in batches:
        picker.apply(b)
    return picker


@pytest.mark.parametrize(
    ("batches", "qty", "picks", "status"),
    [
        # the earliest expiry first, whatever the order received
        (
            [batch("late", "2026-03-01", 10), batch("soon", "2026-01-20", 10)],
            12,
            [("soon", 10), ("late", 2)],
            "issued",
        ),
        # a partial pick: all the warehouse holds
        ([batch("a", "2026-02-01", 5)], 12, [("a", 5)], "issued"),
        # nothing in the warehouse: the plan closes unfilled
        ([batch("a", "2026-02-01", 0)], 12, [], "partially_completed"),
        ([], 3, [], "partially_completed"),
    ],
)
def test_picks_earliest_expiry_first_within_stock(batches, qty, picks, status):
    picker = _picker(*batches)
    events = picker.apply(pending("p1", qty))
    assert [(e.batch_code, e.qty) for e in events] == picks
    assert all(e.event_type == "wh_out" and e.plan_id == "p1" for e in events)
    (plan,) = picker.changed()
    assert (plan.status, plan.picked_qty) == (status, sum(q for _, q in picks))


def test_a_plan_is_picked_once():
    picker = _picker(batch("a", "2026-02-01", 20))
    first = picker.apply(pending("p1", 5))
    assert picker.apply(pending("p1", 5)) == []  # the same plan seen again (a replay)
    assert len(first) == 1


def test_picks_the_ledger_has_not_seen_are_not_picked_again():
    picker = _picker(batch("a", "2026-02-01", 10))
    picker.apply(pending("p1", 8))
    # the next plan comes before wh_batch_state shows the first pick: only 2 are left
    (second,) = picker.apply(pending("p2", 8))
    assert second.qty == 2
    # the ledger catches up (10 - 8 - 2 = 0 left, 10 sent): nothing more to pick
    picker.apply(batch("a", "2026-02-01", 0, sent=10))
    assert picker.apply(pending("p3", 1)) == []


def test_event_ids_are_the_same_for_the_same_plan_and_batch():
    one = _picker(batch("a", "2026-02-01", 10)).apply(pending("p1", 3))
    two = _picker(batch("a", "2026-02-01", 10)).apply(pending("p1", 3))
    assert [e.event_id for e in one] == [e.event_id for e in two]


def test_the_picker_survives_its_state_store_round_trip():
    picker = _picker(batch("a", "2026-02-01", 10))
    picker.apply(pending("p1", 8))
    again = RestockPicker.loads(picker.dumps())
    assert again.apply(pending("p1", 8)) == []
    assert [e.qty for e in again.apply(pending("p2", 8))] == [2]


def test_a_refill_arrives_after_the_delay_as_a_putback_and_its_weight():
    picked = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    arrival = due_at(picked, 3)
    assert arrival == picked + timedelta(minutes=3)
    refill = Refill("wh1", "p1", "S1", "B9", date(2026, 1, 1), date(2026, 1, 20), 6, arrival)
    putback, weight = refill_events(refill, 250.0)
    assert (putback.event_type, putback.customer_id, putback.quantity) == ("putback", "restock_bot", 6)
    assert (putback.batch_code, putback.expiry_date, putback.plan_id) == ("B9", date(2026, 1, 20), "p1")
    assert putback.timestamp == arrival and putback.item_id == "S1"
    assert (weight.event_type, weight.delta_weight) == ("weight_change", 1500.0)
    assert [e.event_id for e in refill_events(refill, 250.0)] == [putback.event_id, weight.event_id]
