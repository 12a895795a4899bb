"""Warehouse alert rules and the supplier cycle: plans below the reorder point in whole batches, one
open plan per product that never moves back, orders at the cutoff, deliveries within capacity."""

from datetime import UTC, date, datetime, timedelta

import pytest

from smart_shelf.contracts import SupplierOrder, WarehouseSupplierPlan
from smart_shelf.store.readings import OpsReading
from spark_apps.wh_alert_engine.rules import SupplierWatch, WarehousePolicy
from spark_apps.wh_supplier_manager.rules import Product, delivered_quantity, orders_at_cutoff, receive

T0 = datetime(2026, 1, 4, 9, tzinfo=UTC)
CUTOFF = datetime(2026, 1, 4, 12, tzinfo=UTC)  # Sunday
DELIVERY = datetime(2026, 1, 5, 8, tzinfo=UTC)  # Monday


def wh(n, minutes=0, received=0):
    body = {"wh_current_stock": n, "received_units": received}
    return OpsReading("wh_stock", T0 + timedelta(minutes=minutes), body)


def _watch():
    return SupplierWatch("S1", WarehousePolicy(capacity=240, batch_size=24, reorder_point=12))


def test_below_the_reorder_point_one_alert_and_one_plan_in_whole_batches():
    watch = _watch()
    alerts = []
    for n, m in ((50, 0), (11, 1), (8, 2), (3, 3)):
        alerts += watch.apply(wh(n, m))
    assert [(a.event_type, a.location, a.status) for a in alerts] == [
        ("supplier_request", "warehouse", "open")
    ]
    (plan,) = watch.changed()
    assert (plan.status, plan.suggested_qty, plan.standard_batch_size) == (
        "pending",
        216,
        24,
    )  # 11 + 216 <= 240


def test_an_issued_plan_is_not_replanned_and_completion_waits_for_a_fresh_state():
    watch = _watch()
    watch.apply(wh(5))
    plan = watch.changed()[0].model_dump(mode="json")
    acks = watch.apply(OpsReading("plan", T0, {**plan, "status": "issued", "order_id": "o1"}))
    assert [a.status for a in acks] == ["acknowledged"]
    watch.apply(wh(4, 5))
    assert len(watch.changed()) == 1  # still the one plan, still issued
    watch.apply(OpsReading("plan", T0 + timedelta(hours=20), {**plan, "status": "pending"}))
    assert watch.plan["status"] == "issued"  # never moved back
    watch.apply(OpsReading("plan", T0 + timedelta(hours=23), {**plan, "status": "completed"}))
    watch.apply(wh(4, 6))  # an old state from before the delivery: no new plan
    assert watch.plan is None and len(watch.changed()) == 1
    resolved = watch.apply(wh(220, 24 * 60))
    assert [a.status for a in resolved] == ["resolved"]


def test_with_order_policy_ml_the_watch_alerts_but_plans_only_the_forecast_s_orders():
    watch = SupplierWatch("S1", WarehousePolicy(240, 24, 12), makes_plans=False)
    alerts = watch.apply(wh(5))
    assert [a.event_type for a in alerts] == ["supplier_request"] and watch.changed() == []
    forecast = _plan("S1", 48).model_dump(mode="json")
    watch.apply(OpsReading("plan", T0, forecast))
    watch.apply(OpsReading("plan", T0, forecast))  # the topic's echo of its own record: once
    assert [p.supplier_plan_id for p in watch.changed()] == [forecast["supplier_plan_id"]]
    # a later cutoff's plan replaces one still pending; the one ordered is followed to delivery
    later = _plan("S1", 72, created=T0 + timedelta(minutes=5)).model_dump(mode="json")
    watch.apply(OpsReading("plan", T0, later))
    assert watch.plan["supplier_plan_id"] == later["supplier_plan_id"]
    canceled, adopted = watch.changed()[1:]
    assert (canceled.supplier_plan_id, canceled.status) == (forecast["supplier_plan_id"], "canceled")
    assert adopted.supplier_plan_id == later["supplier_plan_id"] and canceled.updated_at <= adopted.created_at
    acks = watch.apply(OpsReading("plan", T0, {**later, "status": "issued", "order_id": "o1"}))
    assert [a.status for a in acks] == ["acknowledged"]
    restored = SupplierWatch.loads(watch.dumps(), {"S1": watch.policy}, makes_plans=False)
    assert restored.plan["status"] == "issued" and not restored.makes_plans


def test_with_order_policy_ml_a_plan_ordered_before_the_watch_recorded_it_ends_as_ordered():
    """The cutoff reads the plans' topic, where the forecast's plan is before the watch records it:
    each move of the plan is recorded after it, so the watch's record is never the topic's last word."""
    watch = SupplierWatch("S1", WarehousePolicy(240, 24, 12), makes_plans=False)
    forecast = _plan("S1", 48).model_dump(mode="json")
    issued = {**forecast, "status": "issued", "order_id": "o1", "updated_at": CUTOFF.isoformat()}
    watch.apply(OpsReading("plan", T0, forecast))
    watch.apply(OpsReading("plan", CUTOFF, issued))
    watch.apply(OpsReading("plan", T0, forecast))  # its own record, read back after the order: ignored
    assert [(p.status, p.order_id) for p in watch.changed()] == [("pending", None), ("issued", "o1")]
    completed = {**issued, "status": "completed", "received_qty": 48, "updated_at": DELIVERY.isoformat()}
    watch.apply(OpsReading("plan", DELIVERY, completed))
    assert watch.changed()[-1] == WarehouseSupplierPlan.model_validate(completed) and watch.plan is None


def test_with_order_policy_rule_a_pending_plan_of_another_writer_is_not_taken():
    watch = _watch()
    watch.apply(wh(50))
    watch.apply(OpsReading("plan", T0, _plan("S1", 48).model_dump(mode="json")))
    assert watch.plan is None and watch.changed() == []


def _plan(shelf, qty, status="pending", created=T0):
    return WarehouseSupplierPlan(
        supplier_plan_id=f"plan-{shelf}-{created.minute}",
        shelf_id=shelf,
        suggested_qty=qty,
        standard_batch_size=24,
        status=status,
        created_at=created,
        updated_at=created,
    )


def test_pending_plans_become_one_order_per_product_for_the_next_delivery():
    plans = [
        _plan("A", 48),
        _plan("B", 24, status="issued"),  # ordered already
        _plan("C", 0),  # nothing to order
        _plan("A", 72, created=T0 + timedelta(minutes=5)),  # A's latest
        _plan("D", 24, created=CUTOFF + timedelta(minutes=1)),  # made after the cutoff: the next one's
    ]
    placed = orders_at_cutoff(plans, CUTOFF, DELIVERY)
    assert [(o.shelf_id, o.ordered_qty, o.delivery_date) for o, _ in placed] == [("A", 72, date(2026, 1, 5))]
    order, issued = placed[0]
    assert (issued.status, issued.order_id, issued.updated_at) == ("issued", order.order_id, CUTOFF)
    again = orders_at_cutoff(plans, CUTOFF, DELIVERY)
    assert again[0][0].order_id == order.order_id  # a cutoff run twice orders once


@pytest.mark.parametrize(
    ("ordered", "stock", "expected"),
    [
        (72, 0, 72),  # fits
        (72, 200, 24),  # 40 free: one batch of 24
        (72, 230, 0),  # not one batch fits
    ],
)
def test_deliveries_bring_whole_batches_within_capacity(ordered, stock, expected):
    assert delivered_quantity(ordered, stock, Product("A", 240, 24, False)) == expected


def _order(qty=48):
    return SupplierOrder(
        order_id="o1",
        supplier_plan_id="p1",
        shelf_id="A",
        ordered_qty=qty,
        cutoff_ts=CUTOFF,
        delivery_date=DELIVERY.date(),
        status="ordered",
        created_at=CUTOFF,
        updated_at=CUTOFF,
    )


@pytest.mark.parametrize(("perishable", "low", "high"), [(True, 5, 15), (False, 365, 730)])
def test_a_delivery_is_a_new_batch_whose_expiry_follows_the_product(perishable, low, high):
    order, receipt, event = receive(_order(), 0, Product("A", 240, 24, perishable), DELIVERY, seed=42)
    assert order.status == "delivered" and receipt.received_qty == 48
    assert (event.event_type, event.qty, event.batch_code) == ("wh_in", 48, "SUP-20260105-A")
    assert low <= (event.expiry_date - DELIVERY.date()).days <= high
    assert receipt.expiry_date == event.expiry_date
    assert (
        receive(_order(), 0, Product("A", 240, 24, perishable), DELIVERY, seed=42)[2] == event
    )  # same again


def test_a_delivery_that_does_not_fit_is_recorded_without_an_event():
    order, receipt, event = receive(_order(), 230, Product("A", 240, 24, False), DELIVERY, seed=42)
    assert (order.status, receipt.received_qty, event) == ("partially_delivered", 0, None)


def test_after_a_delivery_a_new_plan_waits_for_a_state_that_counts_it():
    watch = _watch()
    watch.apply(wh(5))
    plan = watch.changed()[0].model_dump(mode="json")
    delivered_at = T0 + timedelta(hours=23)
    watch.apply(OpsReading("plan", delivered_at, {**plan, "status": "completed", "received_qty": 216}))
    watch.apply(wh(4, 24 * 60))  # newer than the delivery but from before the ledger applied it
    assert watch.plan is None and len(watch.changed()) == 1
    watch.apply(wh(4, 24 * 60 + 1, received=216))  # counts it (and is, oddly, low again): a new plan
    assert [p.status for p in watch.changed()] == ["pending", "pending"]


def test_a_raised_reorder_point_plans_at_once_and_its_delete_restores_the_start_up_one():
    watch = _watch()  # reorder point 12 of 240
    assert watch.apply(OpsReading("wh_stock", T0, {"wh_current_stock": 20})) == []
    row = {"policy_id": "W1", "shelf_id": "S1", "reorder_point_qty": 30, "target_pct": 50.0, "active": True}
    alerts = watch.apply(OpsReading("policy", T0, row))
    assert [(a.event_type, a.status) for a in alerts] == [("supplier_request", "open")]
    (plan,) = watch.changed()
    assert plan.suggested_qty == 120  # whole batches of 24 that reach 50 % of 240 (120) from 20 units
    watch.apply(OpsReading("policy", T0, {"policy_id": "W1", "deleted": True}))
    assert watch.policy.reorder_point == 12
