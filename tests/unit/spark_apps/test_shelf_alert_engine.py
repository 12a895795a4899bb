"""Shelf alert rules: one open alert and one open plan per shelf, a plan's life to the refill, no
second plan before the refill shows in the stock, near-expiry alerts on batches with stock."""

from datetime import UTC, datetime, timedelta

import pytest

from smart_shelf.store.readings import OpsReading
from spark_apps.shelf_alert_engine.rules import ShelfPolicy, ShelfWatch

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def _at(minutes):
    return T0 + timedelta(minutes=minutes)


def stock(n, minutes, restocked=0):
    return OpsReading("stock", _at(minutes), {"current_stock": n, "restocked_units": restocked})


def plan(body, minutes):
    return OpsReading("plan", _at(minutes), body)


def refill(plan_id, qty, minutes):
    return OpsReading("refill", _at(minutes), {"plan_id": plan_id, "quantity": qty})


def _watch(capacity=100, **policy):
    return ShelfWatch("S1", capacity, ShelfPolicy(**policy))


def _feed(watch, readings):
    out = []
    for r in readings:
        out += watch.apply(r)
    return out


def test_a_low_shelf_opens_one_alert_and_one_plan_to_the_target():
    watch = _watch()
    alerts = _feed(watch, [stock(40, 0), stock(25, 1), stock(20, 2), stock(15, 3)])
    assert [(a.event_type, a.status) for a in alerts] == [("refill_request", "open")]
    (made,) = watch.changed()
    assert (made.status, made.suggested_qty, made.shelf_id) == ("pending", 55, "S1")  # 25 -> 80
    assert made.alert_id == alerts[0].alert_id


def test_the_plan_goes_issued_then_completed_when_its_units_arrive_and_the_alert_resolves():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    made = watch.changed()[0]
    issued = {**made.model_dump(mode="json"), "status": "issued", "picked_qty": 60}
    acks = _feed(watch, [plan(issued, 1)])
    assert [(a.event_type, a.status) for a in acks] == [("refill_request", "acknowledged")]
    _feed(watch, [refill(made.plan_id, 40, 4)])
    assert watch.plan is not None  # 40 of 60 picked units arrived: not complete yet
    _feed(watch, [refill(made.plan_id, 20, 4)])
    done = watch.changed()[-1]
    assert (done.plan_id, done.status, done.picked_qty) == (made.plan_id, "completed", 60)
    resolved = _feed(watch, [stock(80, 5)])
    assert [(a.event_type, a.status) for a in resolved] == [("refill_request", "resolved")]


def test_a_short_pick_completes_partially():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    made = watch.changed()[0]
    _feed(watch, [plan({**made.model_dump(mode="json"), "status": "issued", "picked_qty": 10}, 1)])
    _feed(watch, [refill(made.plan_id, 10, 4)])
    assert watch.changed()[-1].status == "partially_completed"


def test_no_second_plan_until_a_shelf_state_shows_the_refill():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    made = watch.changed()[0]
    _feed(watch, [plan({**made.model_dump(mode="json"), "status": "issued", "picked_qty": 60}, 1)])
    _feed(watch, [refill(made.plan_id, 60, 4), stock(19, 3)])  # a stale state from before the refill
    assert watch.plan is None and len(watch.changed()) == 2  # the pending one and its completion
    _feed(watch, [stock(18, 10)])  # later in time, but it does not count the refill yet
    assert len(watch.changed()) == 2
    _feed(watch, [stock(5, 11, restocked=60)])  # counts the refill and is low again: a new plan
    newest = watch.changed()[-1]
    assert newest.status == "pending" and newest.plan_id != made.plan_id


def test_no_plan_while_the_warehouse_is_empty_but_the_alert_opens():
    watch = _watch()
    alerts = _feed(watch, [OpsReading("wh_stock", _at(0), {"wh_current_stock": 0}), stock(10, 1)])
    assert [a.event_type for a in alerts] == ["refill_request"]
    assert watch.changed() == []
    _feed(watch, [OpsReading("wh_stock", _at(2), {"wh_current_stock": 48}), stock(10, 3)])
    assert [p.status for p in watch.changed()] == ["pending"]


def test_a_plan_closed_with_nothing_picked_allows_a_new_one_after_a_fresh_state():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    made = watch.changed()[0]
    _feed(
        watch, [plan({**made.model_dump(mode="json"), "status": "partially_completed", "picked_qty": 0}, 1)]
    )
    assert watch.plan is None
    _feed(watch, [stock(20, 2)])
    assert len([p for p in watch.changed() if p.status == "pending"]) == 2


def test_records_of_another_plan_or_moving_back_change_nothing():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    made = watch.changed()[0].model_dump(mode="json")
    assert _feed(watch, [plan({**made, "plan_id": "other", "status": "issued", "picked_qty": 5}, 1)]) == []
    _feed(watch, [plan({**made, "status": "issued", "picked_qty": 60}, 2)])
    _feed(watch, [plan({**made, "status": "pending"}, 3)])  # a replayed older record
    assert watch.plan["status"] == "issued"


@pytest.mark.parametrize(
    ("batches", "opened"),
    [
        ({"b1": ["2026-01-06", 4]}, True),  # expires tomorrow, within 2 days
        ({"b1": ["2026-01-06", 0]}, False),  # nothing of it left on the shelf
        ({"b1": ["2026-01-09", 4]}, False),  # 4 days away
        ({"b1": ["2026-01-04", 4]}, False),  # already expired: removal's business
    ],
)
def test_near_expiry_counts_only_batches_with_stock_in_the_window(batches, opened):
    watch = _watch(near_expiry_days=2)
    readings = [stock(90, 0)] + [
        OpsReading("batch", _at(1), {"batch_code": c, "expiry_date": e, "batch_quantity_store": q})
        for c, (e, q) in batches.items()
    ]
    alerts = _feed(watch, readings)
    assert [a.event_type for a in alerts] == (["near_expiry"] if opened else [])


def test_the_watch_survives_its_state_store_round_trip():
    watch = _watch()
    _feed(watch, [stock(20, 0)])
    again = ShelfWatch.loads(watch.dumps(), {"S1": ShelfPolicy()})
    assert again.plan == watch.plan and again.alerts.open == watch.alerts.open
    assert _feed(again, [stock(18, 1)]) == [] and again.changed() == []  # still one alert, one plan


def policy_row(policy_id="P1", threshold=30.0, target=80.0, shelf="S1", **extra):
    row = {
        "policy_id": policy_id,
        "shelf_id": shelf,
        "threshold_pct": threshold,
        "target_pct": target,
        "min_qty": 1,
        "near_expiry_days": 2,
        "active": True,
        "updated_at": "2026-01-05T09:00:00Z",
    }
    return OpsReading("policy", datetime(1970, 1, 1, tzinfo=UTC), {**row, **extra})


def test_a_raised_threshold_makes_the_shelf_low_at_once_as_of_its_latest_reading():
    watch = _watch(threshold_pct=20.0)
    assert _feed(watch, [stock(25, 0)]) == []  # 25 % is above 20 %
    alerts = watch.apply(policy_row(threshold=30.0))
    assert [(a.event_type, a.status, a.threshold_pct) for a in alerts] == [("refill_request", "open", 30.0)]
    assert alerts[0].created_at == _at(0)  # the shelf's time, not the policy's
    (made,) = watch.changed()
    assert (made.suggested_qty, made.created_at) == (55, _at(0))


def test_deleting_the_shelfs_policy_falls_back_to_the_start_up_policy_and_resolves_the_alert():
    watch = _watch(threshold_pct=20.0)
    _feed(watch, [stock(25, 0), policy_row(threshold=30.0)])
    closed = watch.apply(OpsReading("policy", T0, {"policy_id": "P1", "deleted": True}))
    assert [(a.event_type, a.status) for a in closed] == [("refill_request", "resolved")]
    assert watch.policy == ShelfPolicy(threshold_pct=20.0)


def test_a_policy_that_changes_nothing_emits_nothing_and_a_policy_before_any_reading_waits():
    watch = _watch()
    assert watch.apply(policy_row(threshold=30.0)) == []  # no reading yet: nothing to judge
    _feed(watch, [stock(50, 0)])
    assert watch.apply(policy_row(threshold=30.0, notes="same numbers")) == []


def test_the_policy_in_force_survives_a_round_trip():
    watch = _watch(threshold_pct=20.0)
    _feed(watch, [stock(50, 0), policy_row(threshold=45.0)])
    again = ShelfWatch.loads(watch.dumps(), {"S1": ShelfPolicy(threshold_pct=20.0)})
    assert again.policy.threshold_pct == 45.0
    again.apply(OpsReading("policy", T0, {"policy_id": "P1", "deleted": True}))
    assert again.policy.threshold_pct == 20.0  # the start-up policy again
