"""The warehouse and batch ledgers and alerts-sink against real Postgres, Kafka and Delta
(availableNow runs): scripted events give exactly the expected state, duplicates change nothing,
poison goes to quarantine while good records are processed."""

from datetime import UTC, date, datetime, timedelta

import spark_apps.alerts_sink.job as alerts_sink
import spark_apps.batch_state_updater.job as batch_state_updater
import spark_apps.wh_aggregator.job as wh_aggregator
import spark_apps.wh_batch_state_updater.job as wh_batch_state_updater
from smart_shelf import settings as s
from smart_shelf.contracts import stable_id
from tests.conftest import alert_shelf
from tests.integration.spark_apps.ledger_harness import delta_rows, latest_by_key, run_once, send

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def _ts(n):
    return (T0 + timedelta(seconds=n)).isoformat()


def _first_shelf_with_batches(pg_conn, table, quantity_column, n=2):
    """A shelf with at least n batches that hold stock, and those batches by code."""
    with pg_conn.cursor() as cur:
        cur.execute(
            f"SELECT shelf_id FROM {table} WHERE {quantity_column} > 0 GROUP BY shelf_id"
            f" HAVING count(*) >= %s ORDER BY shelf_id LIMIT 1",
            (n,),
        )
        (shelf,) = cur.fetchone()
        cur.execute(
            f"SELECT batch_code, expiry_date, {quantity_column} FROM {table}"
            f" WHERE shelf_id = %s ORDER BY expiry_date, received_date, batch_code",
            (shelf,),
        )
        return shelf, cur.fetchall()


def _wh_event(n, kind, shelf, batch, qty, **extra):
    return {
        "event_id": stable_id("wh-test", n),
        "event_type": kind,
        "shelf_id": shelf,
        "batch_code": batch,
        "qty": qty,
        "timestamp": _ts(n),
        **extra,
    }


def test_warehouse_stock_and_batches_follow_deliveries_and_picks(
    spark, settings, common, topic_factory, pg_conn
):
    events_topic = topic_factory("wh_events", dead_letters=True)
    stock_cfg = s.WarehouseAggregatorSettings(
        **common, topic_wh_events=events_topic, topic_wh_state=topic_factory("wh_state")
    )
    batch_cfg = s.WarehouseBatchSettings(
        **common, topic_wh_events=events_topic, topic_wh_batch=topic_factory("wh_batch_state")
    )
    shelf, batches = _first_shelf_with_batches(pg_conn, "ref.warehouse_batches", "batch_quantity_warehouse")
    (first, _, q1), (second, _, q2) = batches[0], batches[1]
    delivery = dict(received_date="2026-01-01", expiry_date="2026-01-20")
    events = [
        _wh_event(1, "wh_out", shelf, first, 2),
        _wh_event(2, "wh_in", shelf, "SUP-NEW", 24, **delivery),
        _wh_event(3, "wh_out", shelf, second, 1),
        _wh_event(1, "wh_out", shelf, first, 2),  # delivered twice
        _wh_event(4, "wh_out", "NO-SUCH-SHELF", first, 1),  # unknown shelf
        '{"event_type": "wh_in"}',  # poison
    ]
    send(settings, events_topic, events)
    run_once(spark, wh_aggregator, stock_cfg)
    run_once(spark, wh_batch_state_updater, batch_cfg)

    opening = sum(q for _, _, q in batches)
    stock = {
        r.shelf_id: r.wh_current_stock for r in delta_rows(spark, f"{common['delta_root']}/cleansed/wh_state")
    }
    assert stock[shelf] == opening - 2 + 24 - 1
    rows = {r.batch_code: r for r in delta_rows(spark, f"{common['delta_root']}/cleansed/wh_batch_state")}
    assert rows[first].batch_quantity_warehouse == q1 - 2 and rows[second].batch_quantity_warehouse == q2 - 1
    assert rows["SUP-NEW"].batch_quantity_warehouse == 24 and rows["SUP-NEW"].expiry_date == date(2026, 1, 20)
    assert rows[first].batch_quantity_store == 2
    # the two ledgers agree: the warehouse stock is the sum of its batches
    assert sum(r.batch_quantity_warehouse for r in rows.values() if r.shelf_id == shelf) == stock[shelf]
    assert latest_by_key(settings, stock_cfg.topic_wh_state, 1142)[shelf]["wh_current_stock"] == stock[shelf]
    assert (
        latest_by_key(settings, batch_cfg.topic_wh_batch, 1)[f"{shelf}::SUP-NEW"]["batch_quantity_warehouse"]
        == 24
    )

    assert len(delta_rows(spark, f"{common['delta_root']}/raw/wh_events")) == 3
    reasons = sorted(r.reason for r in delta_rows(spark, f"{common['delta_root']}/quarantine/wh_events"))
    assert reasons == ["event_id: missing or of the wrong type", "unknown shelf: NO-SUCH-SHELF"]


def _sale(n, lines, customer="c1"):
    return {
        "event_id": stable_id("pos-test", n),
        "event_type": "pos_transaction",
        "transaction_id": f"tx-{n}",
        "customer_id": customer,
        "timestamp": _ts(n),
        "items": [
            {"item_id": item, "quantity": qty, "unit_price": 1.0, "discount": 0.0, "total_price": float(qty)}
            for item, qty in lines
        ],
    }


def test_store_batches_follow_sales_earliest_expiry_first_and_restocks(
    spark, settings, common, topic_factory, pg_conn
):
    cfg = s.BatchStateSettings(
        **common,
        topic_pos_transactions=topic_factory("pos_transactions", dead_letters=True),
        topic_shelf_events=topic_factory("shelf_events"),
        topic_batch_state=topic_factory("shelf_batch_state"),
        prob_earliest_expiry=1.0,  # every customer takes the earliest batch: the allocation is known
    )
    shelf, batches = _first_shelf_with_batches(pg_conn, "ref.store_batches", "batch_quantity_store")
    (first, _, q1), (second, _, q2) = batches[0], batches[1]
    sales = [_sale(1, [(shelf, q1 + 1)]), _sale(2, [(shelf, 1)]), _sale(1, [(shelf, q1 + 1)]), "[]"]
    send(settings, cfg.topic_pos_transactions, sales)
    restock = {
        "event_id": stable_id("restock-test", 1),
        "event_type": "putback",
        "customer_id": "restock_bot",
        "item_id": shelf,
        "shelf_id": shelf,
        "quantity": 6,
        "weight": 1.0,
        "batch_code": "W-77",
        "received_date": "2026-01-01",
        "expiry_date": "2026-02-01",
        "timestamp": _ts(3),
    }
    send(settings, cfg.topic_shelf_events, [restock, restock])
    run_once(spark, batch_state_updater, cfg)

    rows = {
        r.batch_code: r.batch_quantity_store
        for r in delta_rows(spark, f"{common['delta_root']}/cleansed/shelf_batch_state")
        if r.shelf_id == shelf
    }
    # q1 + 1 then 1: the first batch emptied, 2 from the second; the restock opened its own batch
    assert rows[first] == 0 and rows[second] == q2 - 2 and rows["W-77"] == 6
    assert sum(rows.values()) == sum(q for _, _, q in batches) - (q1 + 2) + 6
    published = latest_by_key(settings, cfg.topic_batch_state, 1)
    assert published[f"{shelf}::{first}"]["batch_quantity_store"] == 0
    assert len(delta_rows(spark, f"{common['delta_root']}/raw/pos_transactions")) == 2
    assert [r.reason for r in delta_rows(spark, f"{common['delta_root']}/quarantine/pos_transactions")] == [
        "not a JSON object"
    ]


def _alert(alert_id, status, shelf, minute, kind="refill_request"):
    return {
        "alert_id": alert_id,
        "event_type": kind,
        "shelf_id": shelf,
        "location": "store",
        "status": status,
        "created_at": _ts(0),
        "updated_at": _ts(60 * minute),
        "current_stock": 3,
    }


def test_alerts_are_upserted_and_never_move_back(spark, settings, common, pg_conn):
    cfg = s.AlertsSinkSettings(**common, pg_table="ops.alerts")
    shelf = alert_shelf(pg_conn, "alerts-sink")
    a, b, c = (stable_id("alert-test", cfg.topic_alerts, n) for n in (1, 2, 3))
    first = [_alert(a, "open", shelf, 0), _alert(b, "open", shelf, 0, kind="near_expiry")]
    send(settings, cfg.topic_alerts, first, key=a)
    run_once(spark, alerts_sink, cfg)
    late = [_alert(a, "resolved", shelf, 5), _alert(a, "open", shelf, 0)]  # a replayed older record after
    refused = _alert(c, "open", shelf, 0, kind="near_expiry")  # a second open near_expiry for the shelf
    send(settings, cfg.topic_alerts, [*late, _alert(a, "open", "NO-SUCH-SHELF", 0), "{", refused], key=a)
    run_once(spark, alerts_sink, cfg)

    path = f"{common['delta_root']}/ops/alerts"
    delta = {r.alert_id: r.status for r in delta_rows(spark, path)}
    assert delta == {a: "resolved", b: "open", c: "open"}
    # a batch run again after a crash merges the rows it merged before (no txn version): no change
    merged = sorted(delta_rows(spark, path))
    alerts_sink.merge_delta(spark.read.format("delta").load(path), path)
    assert sorted(delta_rows(spark, path)) == merged
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT alert_id, status, updated_at FROM ops.alerts WHERE alert_id IN (%s, %s, %s)", (a, b, c)
        )
        rows = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
        cur.execute("DELETE FROM ops.alerts WHERE alert_id IN (%s, %s)", (a, b))
    assert rows[a] == ("resolved", T0 + timedelta(minutes=5)) and rows[b][0] == "open" and c not in rows
    reasons = sorted(r.reason for r in delta_rows(spark, f"{common['delta_root']}/quarantine/alerts"))
    assert reasons[:2] == [
        "not a JSON object",
        'refused by ops.alerts: duplicate key value violates unique constraint "alerts_one_open_condition"',
    ]
    assert reasons[2:] == ["unknown shelf: NO-SUCH-SHELF"]
