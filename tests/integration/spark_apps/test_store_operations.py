"""Store operations against real Kafka, Spark, Delta and Postgres, on a clock the test sets.

A shelf drained below its threshold gets one open alert and one plan; the plan is picked earliest-
expiry-first from the warehouse, the refill reaches the shelf after the travel delay, the plan
completes and the alert resolves. A warehouse below its reorder point is ordered at the next cutoff
and delivered at the next slot. Jobs started again (from their checkpoints and run records) emit
nothing twice.
"""

import json
import math
from datetime import UTC, datetime, timedelta

import spark_apps.batch_state_updater.job as batch_state_updater
import spark_apps.shelf_aggregator.job as shelf_aggregator
import spark_apps.shelf_alert_engine.job as alert_engine
import spark_apps.shelf_refill_bridge.job as refill_bridge
import spark_apps.shelf_restock_manager.job as restock_manager
import spark_apps.wh_alert_engine.job as wh_alert_engine
from kafka_components.kafka_producer_shelf.producer import ShelfProducer, catalogue_from_inventory
from smart_shelf import settings as s
from smart_shelf.contracts import STREAM_DATA_FIELD, RemovalOrder, ShelfBatchState, parse_event
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import connect_redis
from smart_shelf.store.sources import load_inventory, unit_weights
from spark_apps.daily_discount_manager.job import DailyDiscounts
from spark_apps.removal_scheduler.job import Removals
from spark_apps.wh_supplier_manager.job import SupplierCycle
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import (
    delta_rows,
    latest_by_key,
    run_once,
    send,
    supplier_cycle_settings,
)

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday


def _iso(moment):
    return moment.isoformat()


def _values(settings, topic, expected, timeout_s=30.0):
    return [json.loads(m.value) for m in consume_all(settings, topic, expected, timeout_s)]


def _no_more(settings, topic, count):
    """The topic holds exactly `count` records (waits a little for a late one)."""
    return len(consume_all(settings, topic, count + 1, timeout_s=5)) == count


def _shelf(pg_conn, low=20, high=40):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id, maximum_stock FROM ref.store_inventory WHERE maximum_stock BETWEEN %s AND %s"
            " ORDER BY shelf_id LIMIT 1",
            (low, high),
        )
        shelf, capacity = cur.fetchone()
        cur.execute("DELETE FROM ops.shelf_restock_plan WHERE shelf_id = %s", (shelf,))
        # the refill timers are one table for the store: none may be pending but this test's
        cur.execute("DELETE FROM ops.shelf_refills WHERE shelf_id = %s OR delivered_at IS NULL", (shelf,))
    return shelf, capacity


def _shelf_state(shelf, stock, at, restocked=0):
    return {
        "shelf_id": shelf,
        "current_stock": stock,
        "item_weight": 100.0,
        "shelf_weight": stock * 100.0,
        "last_update_ts": _iso(at),
        "restocked_units": restocked,
    }


def _wh_batch(shelf, code, expiry, qty):
    return {
        "shelf_id": shelf,
        "batch_code": code,
        "received_date": "2026-02-20",
        "expiry_date": expiry,
        "batch_quantity_warehouse": qty,
        "batch_quantity_store": 0,
        "last_update_ts": _iso(T0 - timedelta(days=1)),
    }


def test_a_low_shelf_is_planned_picked_refilled_and_resolved(spark, settings, common, topic_factory, pg_conn):
    topics = {
        # named after their contracts (a topic's key is its contract's)
        n: topic_factory({"plans": "shelf_restock_plan", "wh_batch": "wh_batch_state"}.get(n, n))
        for n in ("shelf_state", "wh_state", "shelf_batch_state", "plans", "wh_batch")
    }
    topics["shelf_events"] = topic_factory("shelf_events", dead_letters=True)
    topics["wh_events"] = topic_factory("wh_events", dead_letters=True)
    engine_cfg = s.ShelfAlertEngineSettings(
        **common,
        topic_shelf_state=topics["shelf_state"],
        topic_wh_state=topics["wh_state"],
        topic_shelf_batch_state=topics["shelf_batch_state"],
        topic_shelf_events=topics["shelf_events"],
        topic_restock=topics["plans"],
    )
    manager_cfg = s.RestockManagerSettings(
        **common,
        topic_restock=topics["plans"],
        topic_wh_batch=topics["wh_batch"],
        topic_wh_events=topics["wh_events"],
    )
    bridge_cfg = s.RefillBridgeSettings(
        **common, topic_wh_events=topics["wh_events"], topic_shelf_events=topics["shelf_events"]
    )
    shelf, capacity = _shelf(pg_conn)
    low = capacity // 10
    suggested = math.ceil(capacity * 0.8) - (low + 1)  # the reference policy: refill to 80 %

    # 1. the shelf drops below 30 %: one alert, one plan, also after a second low reading
    send(settings, topics["shelf_state"], [_shelf_state(shelf, low + 1, T0)], key=shelf)
    run_once(spark, alert_engine, engine_cfg)
    send(settings, topics["shelf_state"], [_shelf_state(shelf, low, T0 + timedelta(seconds=30))], key=shelf)
    run_once(spark, alert_engine, engine_cfg)
    (plan,) = _values(settings, topics["plans"], 1)
    assert (plan["shelf_id"], plan["status"], plan["suggested_qty"]) == (shelf, "pending", suggested)
    (opened,) = _values(settings, common["topic_alerts"], 1)
    assert (opened["event_type"], opened["status"], opened["shelf_id"]) == ("refill_request", "open", shelf)
    assert _no_more(settings, topics["plans"], 1) and _no_more(settings, common["topic_alerts"], 1)

    # 2. picked earliest expiry first; a restarted manager picks nothing again
    send(
        settings,
        topics["wh_batch"],
        [_wh_batch(shelf, "WB-LATE", "2026-06-01", 100), _wh_batch(shelf, "WB-SOON", "2026-03-20", 5)],
        key=shelf,
    )
    run_once(spark, restock_manager, manager_cfg)
    run_once(spark, restock_manager, manager_cfg)
    picks = _values(settings, topics["wh_events"], 2)
    assert [(p["event_type"], p["batch_code"], p["qty"]) for p in picks] == [
        ("wh_out", "WB-SOON", 5),
        ("wh_out", "WB-LATE", suggested - 5),
    ]
    assert {p["plan_id"] for p in picks} == {plan["plan_id"]}
    assert _no_more(settings, topics["wh_events"], 2)
    issued = latest_by_key(settings, topics["plans"], 2)[shelf]
    assert (issued["status"], issued["picked_qty"]) == ("issued", suggested)

    # 3. the refill reaches the shelf 3 sim minutes after the pick, once
    refill_bridge.pending_query(spark, bridge_cfg).awaitTermination(300)
    producer = make_producer(bridge_cfg, deadline_seconds=30)
    weights = unit_weights(bridge_cfg)
    picked_at = datetime.fromisoformat(picks[0]["timestamp"])
    assert refill_bridge.deliver_due(bridge_cfg, weights, producer, picked_at + timedelta(minutes=2)) == 0
    assert refill_bridge.deliver_due(bridge_cfg, weights, producer, picked_at + timedelta(minutes=3)) == 2
    assert refill_bridge.deliver_due(bridge_cfg, weights, producer, picked_at + timedelta(minutes=9)) == 0
    producer.close()
    arrived = _values(settings, topics["shelf_events"], 4)
    putbacks = [e for e in arrived if e["event_type"] == "putback"]
    assert sorted((e["batch_code"], e["quantity"], e["customer_id"]) for e in putbacks) == sorted(
        (p["batch_code"], p["qty"], "restock_bot") for p in picks
    )
    assert {e["plan_id"] for e in putbacks} == {plan["plan_id"]}
    assert _no_more(settings, topics["shelf_events"], 4)

    # 4. the shelf shows the refill: the plan completes, the alert resolves
    refilled = low + suggested
    send(
        settings,
        topics["shelf_state"],
        [_shelf_state(shelf, refilled, picked_at + timedelta(minutes=4), restocked=suggested)],
        key=shelf,
    )
    run_once(spark, alert_engine, engine_cfg)
    final = latest_by_key(settings, topics["plans"], 3)[shelf]
    assert (final["plan_id"], final["status"]) == (plan["plan_id"], "completed")
    statuses = [
        a["status"]
        for a in _values(settings, common["topic_alerts"], 3)
        if a["alert_id"] == opened["alert_id"]
    ]
    assert statuses == ["open", "acknowledged", "resolved"]
    (row,) = [r for r in delta_rows(spark, str(common["delta_root"] / "ops" / "shelf_restock_plan"))]
    assert (row.plan_id, row.status, row.picked_qty) == (plan["plan_id"], "completed", suggested)
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT plan_id, status::text FROM ops.shelf_restock_plan WHERE shelf_id = %s", (shelf,))
        assert cur.fetchall() == [(plan["plan_id"], "completed")]


def _wh_state(shelf, stock, at):
    return {"shelf_id": shelf, "wh_current_stock": stock, "last_update_ts": _iso(at)}


def test_a_low_warehouse_is_ordered_at_the_cutoff_and_delivered_at_the_next_slot(
    spark, settings, common, topic_factory, pg_conn
):
    topics, engine_cfg, manager_cfg = supplier_cycle_settings(common, topic_factory)
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT w.shelf_id, w.maximum_stock, w.standard_batch_size, p.reorder_point_qty"
            " FROM ref.warehouse_inventory w JOIN config.wh_policies p USING (shelf_id)"
            " WHERE p.reorder_point_qty > 1 ORDER BY w.shelf_id LIMIT 1"
        )
        shelf, capacity, batch, reorder_point = cur.fetchone()
        cur.execute("DELETE FROM ops.wh_supplier_receipts WHERE shelf_id = %s", (shelf,))
        cur.execute("DELETE FROM ops.wh_supplier_orders WHERE shelf_id = %s", (shelf,))
        cur.execute("DELETE FROM ops.wh_supplier_plan WHERE shelf_id = %s", (shelf,))
    saturday = datetime(2026, 3, 7, 9, tzinfo=UTC)
    sunday_cutoff = datetime(2026, 3, 8, 12, tzinfo=UTC)
    monday_delivery = datetime(2026, 3, 9, 8, tzinfo=UTC)
    stock = reorder_point - 1
    ordered = (capacity - stock) // batch * batch  # whole batches up to capacity (target 100 %)

    # below the reorder point on Saturday: one alert, one pending plan (mirrored to Delta)
    send(settings, topics["wh_state"], [_wh_state(shelf, stock, saturday)], key=shelf)
    run_once(spark, wh_alert_engine, engine_cfg)
    (plan,) = _values(settings, topics["plans"], 1)
    assert (plan["status"], plan["suggested_qty"]) == ("pending", ordered)
    (opened,) = _values(settings, common["topic_alerts"], 1)
    assert (opened["event_type"], opened["location"]) == ("supplier_request", "warehouse")

    # Saturday and Sunday morning: the latest cutoff (Thursday) came before the plan: no order
    cycle = SupplierCycle(spark, manager_cfg)
    cycle.tick(saturday + timedelta(hours=1))
    cycle.tick(sunday_cutoff - timedelta(minutes=1))
    orders = str(common["delta_root"] / "ops" / "wh_supplier_orders")
    assert delta_rows(spark, orders) == []
    # Sunday's cutoff orders it for Monday; a restarted manager at the same moment orders nothing more
    cycle.tick(sunday_cutoff)
    SupplierCycle(spark, manager_cfg).tick(sunday_cutoff + timedelta(minutes=5))
    (order,) = delta_rows(spark, orders)
    assert (order.shelf_id, order.ordered_qty, str(order.delivery_date)) == (shelf, ordered, "2026-03-09")
    issued = latest_by_key(settings, topics["plans"], 2)[shelf]
    assert (issued["status"], issued["order_id"]) == ("issued", order.order_id)
    run_once(spark, wh_alert_engine, engine_cfg)  # the engine sees the plan issued: no second plan
    assert _no_more(settings, topics["plans"], 2)

    # Monday 08:00: delivered once, as a new batch; the plan completes
    cycle.tick(monday_delivery - timedelta(minutes=1))
    assert _no_more(settings, topics["wh_events"], 0)
    cycle.tick(monday_delivery)
    SupplierCycle(spark, manager_cfg).tick(monday_delivery + timedelta(minutes=1))
    (arrival,) = _values(settings, topics["wh_events"], 1)
    assert (arrival["event_type"], arrival["shelf_id"], arrival["qty"]) == ("wh_in", shelf, ordered)
    assert arrival["batch_code"] == f"SUP-20260309-{shelf}" and arrival["expiry_date"] > "2026-03-09"
    assert _no_more(settings, topics["wh_events"], 1)
    assert latest_by_key(settings, topics["plans"], 3)[shelf]["status"] == "completed"
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT status, ordered_qty FROM ops.wh_supplier_orders WHERE shelf_id = %s", (shelf,))
        assert cur.fetchall() == [("delivered", ordered)]
        cur.execute(
            "SELECT received_qty, batch_code FROM ops.wh_supplier_receipts WHERE shelf_id = %s", (shelf,)
        )
        assert cur.fetchall() == [(ordered, arrival["batch_code"])]

    # the stock is back above the reorder point: the alert resolves, no new plan
    send(settings, topics["wh_state"], [_wh_state(shelf, stock + ordered, monday_delivery)], key=shelf)
    run_once(spark, wh_alert_engine, engine_cfg)
    statuses = [a["status"] for a in _values(settings, common["topic_alerts"], 3)]
    assert statuses == ["open", "acknowledged", "resolved"]
    assert _no_more(settings, topics["plans"], 3)


def test_near_expiry_batches_are_discounted_once_a_day_and_expired_ones_removed_through_the_ledgers(
    spark, settings, common, topic_factory, pg_conn, unique
):
    topics = {
        "removal_orders": topic_factory("removal_orders", dead_letters=True),
        "discounts": topic_factory("daily_discounts"),
        "shelf_events": topic_factory("shelf_events", dead_letters=True),
        "shelf_state": topic_factory("shelf_state"),
        "shelf_batch_state": topic_factory("shelf_batch_state"),
        "pos": topic_factory("pos_transactions", dead_letters=True),
    }
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id, batch_code, batch_quantity_store, received_date FROM ref.store_batches"
            " WHERE batch_quantity_store > 1 ORDER BY shelf_id, batch_code LIMIT 3"
        )
        (expired_shelf, expired_code, expired_qty, received), (soon_shelf, soon_code, soon_qty, _), _third = (
            cur.fetchall()
        )
        cur.execute("SELECT current_stock FROM ref.store_inventory WHERE shelf_id = %s", (expired_shelf,))
        (opening_stock,) = cur.fetchone()
    now = datetime(2026, 4, 10, 0, 0, 30, tzinfo=UTC)
    today = now.date()
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("DELETE FROM analytics.daily_discounts WHERE discount_date = %s", (today,))
    # the store batches as the batch ledger's table shows them: one expired yesterday, one expires tomorrow
    rows = [
        ShelfBatchState(
            shelf_id=expired_shelf,
            batch_code=expired_code,
            received_date=received,
            expiry_date=today - timedelta(days=1),
            batch_quantity_store=expired_qty,
            last_update_ts=now,
        ),
        ShelfBatchState(
            shelf_id=soon_shelf,
            batch_code=soon_code,
            received_date=received,
            expiry_date=today + timedelta(days=1),
            batch_quantity_store=soon_qty,
            last_update_ts=now,
        ),
    ]
    # the batch ledger's view (its compacted topic) that the clock jobs read
    view = topic_factory("view.shelf_batch_state")
    for row in rows:
        send(settings, view, [row.model_dump(mode="json")], key=f"{row.shelf_id}::{row.batch_code}")
    base = dict(**common, topic_shelf_batch_state=view)

    # discounts: the shelf whose batch expires tomorrow, the same value when the day runs again
    discount_cfg = s.DailyDiscountSettings(
        **common, topic_daily_discounts=topics["discounts"], topic_shelf_batch_state=view
    )
    DailyDiscounts(spark, discount_cfg).tick(now)
    DailyDiscounts(spark, discount_cfg).tick(now + timedelta(hours=2))  # a restart later that day
    (record,) = _values(settings, topics["discounts"], 1)
    assert (record["shelf_id"], record["discount_date"]) == (soon_shelf, today.isoformat())
    assert record["discount"] in (0.3, 0.4, 0.5)
    assert _no_more(settings, topics["discounts"], 1)
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id, discount FROM analytics.daily_discounts WHERE discount_date = %s", (today,)
        )
        assert [(shelf, float(d)) for shelf, d in cur.fetchall()] == [(soon_shelf, record["discount"])]

    # removal: one order for the expired batch; run twice, sent once
    removal_cfg = s.RemovalSettings(**base, topic_removal_orders=topics["removal_orders"])
    Removals(spark, removal_cfg).tick(now)
    Removals(spark, removal_cfg).tick(now + timedelta(minutes=1))
    (order,) = [
        parse_event(RemovalOrder, json.dumps(v)) for v in _values(settings, topics["removal_orders"], 1)
    ]
    assert (order.shelf_id, order.batch_code, order.quantity) == (expired_shelf, expired_code, expired_qty)
    assert _no_more(settings, topics["removal_orders"], 1)
    # the shelf producer carries it out once (the order read again after a crash changes nothing),
    # as a removal and its weight change on its stream, which the bridge takes to shelf_events
    catalogue, _ = catalogue_from_inventory(load_inventory(settings, max_wait_seconds=5))
    stream = f"test:{unique}:shelf_events"
    shelves = ShelfProducer(
        connect_redis(settings),
        catalogue,
        {expired_shelf: opening_stock},
        seed=1,
        putback_prob=0.0,
        stream=stream,
        prefix=f"test:{unique}:shelf_producer",
    )
    assert shelves.carry_out_removal(order, now + timedelta(seconds=5))
    assert not shelves.carry_out_removal(order, now + timedelta(seconds=9))
    assert shelves.stock[expired_shelf] == opening_stock - expired_qty
    written = [fields[STREAM_DATA_FIELD] for _, fields in shelves.redis.xrange(stream)]
    send(settings, topics["shelf_events"], written, key="removal_bot")
    events = _values(settings, topics["shelf_events"], 2)
    assert [(e["event_type"], e.get("quantity"), e.get("batch_code")) for e in events] == [
        ("removal", expired_qty, expired_code),
        ("weight_change", None, None),
    ]
    assert _no_more(settings, topics["shelf_events"], 2)
    (removed,) = _values(settings, common["topic_alerts"], 1)
    assert (removed["event_type"], removed["shelf_id"], removed["quantity"]) == (
        "expired_removal",
        expired_shelf,
        expired_qty,
    )

    # the ledgers apply it: shelf stock and the batch both lose the units, nothing else moves
    ledger_common = dict(**common, topic_shelf_events=topics["shelf_events"])
    run_once(
        spark,
        shelf_aggregator,
        s.ShelfAggregatorSettings(**ledger_common, topic_shelf_state=topics["shelf_state"]),
    )
    run_once(
        spark,
        batch_state_updater,
        s.BatchStateSettings(
            **ledger_common,
            topic_pos_transactions=topics["pos"],
            topic_batch_state=topics["shelf_batch_state"],
        ),
    )
    shelf_state = latest_by_key(settings, topics["shelf_state"], 1143)
    assert shelf_state[expired_shelf]["current_stock"] == opening_stock - expired_qty
    batches = latest_by_key(settings, topics["shelf_batch_state"], 2262)
    assert batches[f"{expired_shelf}::{expired_code}"]["batch_quantity_store"] == 0
