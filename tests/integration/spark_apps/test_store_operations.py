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

import pytest

import spark_apps.shelf_alert_engine.job as alert_engine
import spark_apps.shelf_refill_bridge.job as refill_bridge
import spark_apps.shelf_restock_manager.job as restock_manager
from smart_shelf import settings as s
from smart_shelf.kafka_client import make_producer
from spark_apps.spark_init_delta.create import create_tables
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import delta_rows, latest_by_key, run_once, send

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a Monday


def _iso(moment):
    return moment.isoformat()


@pytest.fixture
def common(stack, settings, tmp_path, spark, topic_factory):
    create_tables(spark, str(tmp_path / "delta"))
    return dict(
        _env_file=None,
        delta_root=tmp_path / "delta",
        pg_host=settings.pg_host,
        pg_port=settings.pg_port,
        kafka_broker=settings.kafka_broker,
        spark_available_now=True,
        topic_alerts=topic_factory("alerts", dead_letters=True),
    )


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
        cur.execute("DELETE FROM ops.shelf_refills WHERE shelf_id = %s", (shelf,))
    return shelf, capacity


def _shelf_state(shelf, stock, at):
    return {
        "shelf_id": shelf,
        "current_stock": stock,
        "item_weight": 100.0,
        "shelf_weight": stock * 100.0,
        "last_update_ts": _iso(at),
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
        n: topic_factory(n) for n in ("shelf_state", "wh_state", "shelf_batch_state", "plans", "wh_batch")
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
    weights = refill_bridge.unit_weights(bridge_cfg)
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
        [_shelf_state(shelf, refilled, picked_at + timedelta(minutes=4))],
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
