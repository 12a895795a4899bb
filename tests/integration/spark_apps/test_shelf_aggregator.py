"""shelf-aggregator against real Postgres (opening stock), Kafka and Delta, run with availableNow."""

from datetime import UTC, datetime, timedelta

import pytest

import spark_apps.shelf_aggregator.job as job
from smart_shelf.contracts import stable_id
from smart_shelf.settings import ShelfAggregatorSettings
from tests.integration.spark_apps.ledger_harness import delta_rows, latest_by_key, run_once, send

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def _event(n, event_type, shelf, qty=None, customer="c1", **extra):
    body = {
        "event_id": stable_id("agg-test", n),
        "event_type": event_type,
        "customer_id": customer,
        "item_id": shelf,
        "timestamp": (T0 + timedelta(seconds=n)).isoformat(),
    }
    if event_type == "weight_change":
        body["delta_weight"] = extra.pop("delta_weight")
    else:
        body.update(quantity=qty, weight=1.0)
    body.update(extra)
    return body


@pytest.fixture
def aggregator(stack, settings, spark, topic_factory, tmp_path, pg_conn):
    cfg = ShelfAggregatorSettings(
        _env_file=None,
        delta_root=tmp_path / "delta",
        topic_shelf_state=topic_factory("shelf_state"),
        topic_shelf_events=topic_factory("shelf_events", dead_letters=True),
        topic_alerts=topic_factory("alerts"),
        pg_host=settings.pg_host,
        pg_port=settings.pg_port,
        kafka_broker=settings.kafka_broker,
        spark_available_now=True,
    )
    from spark_apps.spark_init_delta.create import create_tables

    create_tables(cfg.delta_root)
    with pg_conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id, current_stock, item_weight FROM ref.store_inventory ORDER BY shelf_id LIMIT 2"
        )
        (a, a0, wa), (b, b0, _) = cur.fetchall()
    return cfg, (a, a0, float(wa)), (b, b0)


def _stock(spark, cfg):
    return {r.shelf_id: r.current_stock for r in delta_rows(spark, f"{cfg.delta_root}/cleansed/shelf_state")}


def test_scripted_events_give_exactly_the_expected_state(spark, aggregator, settings, pg_conn):
    cfg, (a, a0, wa), (b, b0) = aggregator
    events = [
        _event(1, "pickup", a, 2),
        _event(2, "weight_change", a, delta_weight=-2 * wa),  # the scale agrees
        _event(3, "putback", a, 1),
        _event(4, "weight_change", a, delta_weight=5 * wa),  # the scale disagrees: +1 unit weighed as 5
        _event(5, "pickup", b, 1, customer="c2"),
        _event(6, "putback", a, 5, customer="restock_bot", shelf_id=a, batch_code="SUP-1"),
        _event(1, "pickup", a, 2),  # the bridge delivered event 1 twice
        "{not json",  # poison
        _event(7, "pickup", "NO-SUCH-SHELF", 1),  # unknown shelf
    ]
    send(settings, cfg.topic_shelf_events, events)
    run_once(spark, job, cfg)

    after = _stock(spark, cfg)
    assert after[a] == a0 - 2 + 1 + 5 and after[b] == b0 - 1
    with pg_conn.cursor() as cur:  # every other shelf kept its opening stock
        cur.execute(
            "SELECT shelf_id, current_stock FROM ref.store_inventory WHERE shelf_id NOT IN (%s, %s)", (a, b)
        )
        opening = dict(cur.fetchall())
    assert {k: after[k] for k in opening} == opening
    quarantined = sorted(r.reason for r in delta_rows(spark, f"{cfg.delta_root}/quarantine/shelf_events"))
    assert quarantined == ["not a JSON object", "unknown shelf: NO-SUCH-SHELF"]
    raw_ids = [r.event_id for r in delta_rows(spark, f"{cfg.delta_root}/raw/shelf_events")]
    assert len(raw_ids) == len(set(raw_ids)) == 6

    published = latest_by_key(settings, cfg.topic_shelf_state, 1142)
    assert published[a]["current_stock"] == a0 + 4 and published[b]["current_stock"] == b0 - 1
    assert published[a]["shelf_weight"] == pytest.approx((a0 + 4) * wa)
    alerts = list(latest_by_key(settings, cfg.topic_alerts, 1).values())
    assert [(x["event_type"], x["shelf_id"]) for x in alerts] == [("sensor_mismatch", a)]


def test_the_same_events_twice_give_the_same_state(spark, aggregator, settings):
    cfg, (a, a0, _), _ = aggregator
    events = [_event(10, "pickup", a, 3), _event(11, "putback", a, 1)]
    send(settings, cfg.topic_shelf_events, events)
    run_once(spark, job, cfg)
    send(settings, cfg.topic_shelf_events, events)  # delivered again, in a later micro-batch
    run_once(spark, job, cfg)
    assert _stock(spark, cfg)[a] == a0 - 2
    assert len(delta_rows(spark, f"{cfg.delta_root}/raw/shelf_events")) == 2
