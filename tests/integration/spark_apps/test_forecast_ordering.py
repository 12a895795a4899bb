"""Forecast orders through the real jobs (Kafka, Spark, Delta, Postgres, Redis), on a clock the test
sets: with ORDER_POLICY=ml the warehouse alert engine plans nothing itself, records the plan the
inference service sends, and wh-supplier-manager orders exactly it at the cutoff. The day's shelf
summary (shelf-daily-features) is taken from the raw tables once the day has closed, conserved, and
written once."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

import spark_apps.wh_alert_engine.job as wh_alert_engine
from simulated_time.clock import SIM_OPENED_KEY
from smart_shelf import settings as s
from smart_shelf.contracts import REMOVAL_CUSTOMER, RESTOCK_CUSTOMER, PosTransaction, ShelfDay, ShelfEvent
from smart_shelf.forecast.planning import Proposal, supplier_plan
from smart_shelf.history.record import Lake
from smart_shelf.kafka_client import make_producer, send_events
from smart_shelf.redis_client import connect_redis, lost_sales_key
from smart_shelf.spark.ops_tables import frame_of
from spark_apps.shelf_daily_features.job import ShelfDaily
from spark_apps.wh_supplier_manager.job import SupplierCycle
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import delta_rows, run_once, send, supplier_cycle_settings

SATURDAY = datetime(2026, 3, 7, 9, tzinfo=UTC)
CUTOFF = datetime(2026, 3, 8, 12, tzinfo=UTC)  # Sunday


def _values(settings, topic, expected, timeout_s=30.0):
    return [json.loads(m.value) for m in consume_all(settings, topic, expected, timeout_s)]


def test_with_order_policy_ml_the_forecast_s_plan_is_the_one_ordered(
    spark, settings, common, topic_factory, pg_conn
):
    topics, engine_cfg, manager_cfg = supplier_cycle_settings(common, topic_factory, order_policy="ml")
    manager_cfg = manager_cfg.model_copy(update={"order_policy": "ml"})
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT w.shelf_id, w.standard_batch_size, p.reorder_point_qty"
            " FROM ref.warehouse_inventory w JOIN config.wh_policies p USING (shelf_id)"
            " WHERE p.reorder_point_qty > 1 ORDER BY w.shelf_id DESC LIMIT 2"
        )
        (shelf, batch, reorder_point), (other, _, _) = cur.fetchall()
        for table in ("wh_supplier_receipts", "wh_supplier_orders", "wh_supplier_plan"):
            cur.execute(f"DELETE FROM ops.{table} WHERE shelf_id IN (%s, %s)", (shelf, other))
        cur.execute("DELETE FROM analytics.ml_inference_runs WHERE cutoff_ts = %s", (CUTOFF,))

    # below the reorder point: the alert opens, but under `ml` the engine makes no plan of its own
    low = {"shelf_id": shelf, "wh_current_stock": reorder_point - 1, "last_update_ts": SATURDAY.isoformat()}
    send(settings, topics["wh_state"], [low], key=shelf)
    run_once(spark, wh_alert_engine, engine_cfg)
    (opened,) = _values(settings, common["topic_alerts"], 1)
    assert opened["event_type"] == "supplier_request"
    assert len(consume_all(settings, topics["plans"], 1, timeout_s=5)) == 0

    # the inference service's run for Sunday's cutoff, at 11:30: one plan, not on its topic yet
    proposal = Proposal(shelf, CUTOFF.date().isoformat(), (3.0, 3.0, 3.0), 2 * batch)
    plan = supplier_plan(proposal, CUTOFF, batch, CUTOFF - timedelta(minutes=30))
    with pg_conn, pg_conn.cursor() as cur:  # the inference service's record of the run
        cur.execute(
            "INSERT INTO analytics.ml_inference_runs (model_name, cutoff_ts, ran_at, status, reason,"
            " order_policy, orders) VALUES ('demand_test', %s, %s, 'ok', 'test', 'ml', 1)",
            (CUTOFF, plan.created_at),
        )
    # the cutoff comes before the plan is on the topic: it waits for it, ordering nothing
    SupplierCycle(spark, manager_cfg).tick(CUTOFF)
    assert delta_rows(spark, str(common["delta_root"] / "ops" / "wh_supplier_orders")) == []
    # the plan, and one left pending from before the switch to `ml`, for another product: not the model's
    leftover = plan.model_copy(
        update={
            "supplier_plan_id": "left-over",
            "shelf_id": other,
            "created_at": SATURDAY,
            "updated_at": SATURDAY,
        }
    )
    producer = make_producer(settings)
    send_events(producer, topics["plans"], [leftover, plan])
    producer.close()

    # then Sunday's cutoff orders the forecast's quantity, once, and nothing else
    SupplierCycle(spark, manager_cfg).tick(CUTOFF + timedelta(minutes=5))
    SupplierCycle(spark, manager_cfg).tick(CUTOFF + timedelta(minutes=10))
    (order,) = delta_rows(spark, str(common["delta_root"] / "ops" / "wh_supplier_orders"))
    assert (order.shelf_id, order.ordered_qty, order.supplier_plan_id) == (
        shelf,
        2 * batch,
        plan.supplier_plan_id,
    )
    run_once(spark, wh_alert_engine, engine_cfg)  # the engine follows the plan to issued: no other
    issued = {
        p.supplier_plan_id: p
        for p in delta_rows(spark, str(common["delta_root"] / "ops" / "wh_supplier_plan"))
    }
    assert issued[plan.supplier_plan_id].status == "issued"
    assert issued[plan.supplier_plan_id].order_id == order.order_id
    assert issued["left-over"].status == "pending"
    with pg_conn, pg_conn.cursor() as cur:  # the shared database as it was
        cur.execute("DELETE FROM analytics.ml_inference_runs WHERE model_name = 'demand_test'")
        for table in ("wh_supplier_orders", "wh_supplier_plan"):
            cur.execute(f"DELETE FROM ops.{table} WHERE shelf_id IN (%s, %s)", (shelf, other))


# ------------------------------------------------------------------ the day's shelf summary

DAY = date(2026, 3, 3)


def _event(n, kind, shelf, qty, customer="c1", hour=10):
    return ShelfEvent(
        event_id=f"e{n}",
        event_type=kind,
        customer_id=customer,
        item_id=shelf,
        shelf_id=shelf if customer != "c1" else None,
        timestamp=datetime(2026, 3, 3, hour, n % 60, tzinfo=UTC),
        quantity=qty,
        weight=100.0,
    )


def _sale(n, shelf, qty, price, discount=0.0, day=DAY):
    at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=11, minutes=n)
    item = {"item_id": shelf, "quantity": qty, "unit_price": price, "discount": discount,
            "total_price": round(qty * price * (1 - discount), 2)}  # fmt: skip
    return PosTransaction(
        event_id=f"t{n}", event_type="pos_transaction", transaction_id=f"t{n}", customer_id="c1",
        timestamp=at, items=[item],
    )  # fmt: skip


def _append(spark, root, events: list, sales: list) -> None:
    """Events and transactions into the raw tables, as their sinks write them."""
    frame_of(spark, events, ShelfEvent).write.format("delta").mode("append").save(
        str(root / "raw" / "shelf_events")
    )
    frame_of(spark, sales, PosTransaction).write.format("delta").mode("append").save(
        str(root / "raw" / "pos_transactions")
    )


def _next_morning(shelf):
    return _event(6, "pickup", shelf, 4).model_copy(
        update={"timestamp": datetime(2026, 3, 4, 7, 5, tzinfo=UTC)}
    )


def test_a_closed_day_is_summarised_per_shelf_from_the_raw_tables_once(spark, settings, common, pg_conn):
    cfg = s.ShelfDailySettings(**common, redis_host=settings.redis_host, redis_port=settings.redis_port)
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id, current_stock FROM ref.store_inventory ORDER BY shelf_id LIMIT 2")
        (a, stock_a), (b, stock_b) = cur.fetchall()
        cur.execute("DELETE FROM analytics.shelf_daily WHERE day = %s", (DAY,))
    root = common["delta_root"]
    events = [
        _event(1, "pickup", a, 3),
        _event(2, "putback", a, 1),
        _event(3, "putback", a, 5, customer=RESTOCK_CUSTOMER),
        _event(4, "removal", b, 2, customer=REMOVAL_CUSTOMER),
        _event(5, "pickup", b, 1, hour=23),
        _event(5, "pickup", b, 1, hour=23),  # the same event twice in the lake: counted once
    ]
    _append(spark, root, events, [_sale(1, a, 2, 2.0, 0.25), _sale(2, b, 1, 5.0)])
    redis = connect_redis(cfg)
    redis.delete(lost_sales_key(DAY.isoformat()))
    redis.hset(lost_sales_key(DAY.isoformat()), a, 4)
    opened = redis.get(SIM_OPENED_KEY)  # the shared Redis: put back as found
    redis.set(SIM_OPENED_KEY, datetime(2026, 3, 3, 7, tzinfo=UTC).isoformat())  # the store's first day
    try:
        job = ShelfDaily(spark, cfg)
        job.tick(datetime(2026, 3, 4, 5, 59, tzinfo=UTC))  # before CLOSE_HOUR of the next day: not yet
        job.tick(datetime(2026, 3, 4, 6, 0, tzinfo=UTC))  # the raw tables may still miss late events
        assert delta_rows(spark, str(root / "analytics" / "shelf_daily")) == []
        # the next morning's first events reach both raw tables: the day is complete there
        _append(spark, root, [_next_morning(a)], [_sale(3, a, 9, 1.0, day=DAY + timedelta(days=1))])
        job.tick(datetime(2026, 3, 4, 7, 30, tzinfo=UTC))
        ShelfDaily(spark, cfg).tick(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))  # restarted: nothing again
    finally:
        if opened is None:
            redis.delete(SIM_OPENED_KEY)
        else:
            redis.set(SIM_OPENED_KEY, opened)
    rows = {r.shelf_id: r for r in delta_rows(spark, str(root / "analytics" / "shelf_daily"))}
    assert {r.day for r in rows.values()} == {DAY}
    row_a, row_b = rows[a], rows[b]
    assert (row_a.stock_open, row_a.units_taken, row_a.refill_units, row_a.stock_close) == (
        stock_a,
        2,
        5,
        stock_a + 5 - 2,
    )
    assert (row_a.units_sold, row_a.revenue, row_a.lost_sale_units, float(row_a.discount)) == (
        2,
        3.0,
        4,
        0.25,
    )
    assert (row_b.units_taken, row_b.removed_units, row_b.stock_close) == (1, 2, stock_b - 3)
    assert (row_b.units_sold, row_b.lost_sale_units) == (1, 0)
    for r in rows.values():  # conserved on every shelf
        assert r.stock_close == r.stock_open + r.refill_units - r.removed_units - r.units_taken
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT count(*), sum(units_sold) FROM analytics.shelf_daily WHERE day = %s", (DAY,))
        assert cur.fetchone() == (len(rows), 3)
    runs = [r for r in delta_rows(spark, str(root / "ops" / "job_runs")) if r.job == "shelf-daily-features"]
    assert [r.run_key for r in runs] == ["day:2026-03-03"]


def test_with_four_weeks_summarised_the_next_day_s_features_are_written_from_the_lake(
    spark, settings, common, pg_conn
):
    cfg = s.ShelfDailySettings(**common, redis_host=settings.redis_host, redis_port=settings.redis_port)
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id")
        shelves = [r[0] for r in cur.fetchall()]
        cur.execute(
            "DELETE FROM analytics.shelf_daily_features WHERE feature_date = %s", (DAY + timedelta(days=1),)
        )
    # 28 closed days before DAY in the lake (as a history writes them): shelf n sells n % 5 a day
    before = {
        (shelf, day): ShelfDay(
            shelf_id=shelf,
            day=day,
            stock_open=20,
            stock_close=20,
            units_taken=n % 5,
            units_sold=n % 5,
            revenue=0.0,
            lost_sale_units=0,
            refill_units=n % 5,
            removed_units=0,
            discount=0.0,
        )  # fmt: skip
        for n, shelf in enumerate(shelves)
        for day in (DAY - timedelta(days=k) for k in range(1, 29))
    }
    Lake(common["delta_root"]).write_keyed({"shelf_daily": before})
    # DAY was quiet; the next morning's first events are in the raw tables
    _append(
        spark,
        common["delta_root"],
        [_next_morning(shelves[0])],
        [_sale(1, shelves[0], 1, 1.0, day=DAY + timedelta(days=1))],
    )
    ShelfDaily(spark, cfg).tick(datetime(2026, 3, 4, 7, 30, tzinfo=UTC))

    root = common["delta_root"]
    days = {r.day for r in delta_rows(spark, str(root / "analytics" / "shelf_daily"))}
    assert len(days) == 29 and max(days) == DAY
    features = delta_rows(spark, str(root / "analytics" / "shelf_daily_features"))
    assert len(features) == 4 * len(shelves)
    assert {(f.feature_date, f.step) for f in features} == {
        (DAY + timedelta(days=1), k) for k in (1, 2, 3, 4)
    }
    third = next(f for f in features if f.shelf_id == shelves[3] and f.step == 1)
    assert third.target_date == DAY + timedelta(days=2)
    # demand 3 a day for four weeks, then DAY's quiet 0: the features read the days before the origin
    assert third.last_day == 0 and third.mean_7 == pytest.approx(18 / 7)
    assert third.mean_28 == pytest.approx(81 / 28)
    quiet = next(r for r in delta_rows(spark, str(root / "analytics" / "shelf_daily")) if r.day == DAY)
    assert quiet.stock_open == quiet.stock_close == 20  # opened at the day before's close
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM analytics.shelf_daily_features WHERE feature_date = %s",
            (DAY + timedelta(days=1),),
        )
        assert cur.fetchone()[0] == 4 * len(shelves)
