"""shelf-aggregator against real Postgres (bootstrap), Delta and Kafka (state and dead-letter topics).

Micro-batches are handed to `process_batch` as Kafka would: (key, value, topic, partition, offset,
kafka_ts) rows, so each test controls exactly what a batch holds and which batch is replayed.
"""

import json
from datetime import UTC, datetime

import pytest

import spark_apps.shelf_aggregator.job as job
from smart_shelf.contracts import stable_id
from smart_shelf.settings import ShelfAggregatorSettings
from spark_apps.spark_init_delta.create import create_tables
from tests.conftest import consume_all

T = "2026-01-01T10:00:{:02d}+00:00"


def _event(n, event_type, shelf, qty=None, customer="c1", **extra):
    body = {
        "event_id": stable_id("agg-test", n),
        "event_type": event_type,
        "customer_id": customer,
        "item_id": shelf,
        "timestamp": T.format(n),
    }
    if event_type == "weight_change":
        body["delta_weight"] = extra.pop("delta_weight")
    else:
        body.update(quantity=qty, weight=100.0)
    body.update(extra)
    return json.dumps(body)


def _batch(spark, values):
    rows = [("c1", v, "shelf_events", 0, i, datetime(2026, 1, 1, tzinfo=UTC)) for i, v in enumerate(values)]
    return spark.createDataFrame(
        rows, "key string, value string, topic string, partition int, offset long, kafka_ts timestamp"
    )


@pytest.fixture
def aggregator(stack, settings, spark, topic_factory, unique, tmp_path, pg_conn):
    state_topic, events_topic = topic_factory("shelf_state"), topic_factory("shelf_events", dead_letters=True)
    cfg = ShelfAggregatorSettings(
        _env_file=None,
        delta_root=tmp_path / "delta",
        topic_shelf_state=state_topic,
        topic_shelf_events=events_topic,
        pg_host=settings.pg_host,
        pg_port=settings.pg_port,
        kafka_broker=settings.kafka_broker,
    )
    create_tables(spark, str(cfg.delta_root))
    paths = job.Paths.of(cfg)
    assert job.bootstrap(spark, cfg, paths)
    assert not job.bootstrap(spark, cfg, paths)  # a second start keeps the state
    with pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id, current_stock FROM ref.store_inventory ORDER BY shelf_id LIMIT 2")
        (a, a0), (b, b0) = cur.fetchall()
    return cfg, paths, (a, a0), (b, b0)


def _stock(spark, paths):
    return {r.shelf_id: r.current_stock for r in spark.read.format("delta").load(paths.state).collect()}


def test_scripted_events_give_exactly_the_expected_state(spark, aggregator, settings):
    cfg, paths, (a, a0), (b, b0) = aggregator
    before = _stock(spark, paths)
    batch = [
        _event(1, "pickup", a, 2),
        _event(2, "weight_change", a, delta_weight=-200.0),
        _event(3, "putback", a, 1),
        _event(4, "pickup", b, 1),
        _event(5, "putback", a, 5, customer="restock_bot", shelf_id=a, batch_code="SUP-1"),
        _event(1, "pickup", a, 2),  # the bridge delivered event 1 twice
        "{not json",  # poison
        _event(6, "pickup", "NO-SUCH-SHELF", 1),  # unknown shelf
    ]
    job.process_batch(spark, cfg, paths, _batch(spark, batch), 0)
    after = _stock(spark, paths)
    assert after[a] == a0 - 2 + 1 + 5 and after[b] == b0 - 1
    assert {k: v for k, v in after.items() if k not in (a, b)} == {
        k: v for k, v in before.items() if k not in (a, b)
    }

    quarantined = sorted(
        r.reason
        for r in spark.read.format("delta").load(f"{cfg.delta_root}/quarantine/shelf_events").collect()
    )
    assert quarantined == ["not a JSON object", "unknown shelf: NO-SUCH-SHELF"]
    raw_ids = [r.event_id for r in spark.read.format("delta").load(paths.raw).collect()]
    assert len(raw_ids) == len(set(raw_ids)) == 5

    published = {}
    for message in consume_all(settings, cfg.topic_shelf_state, 2, timeout_s=30):
        published[message.key.decode()] = json.loads(message.value)
    assert published[a]["current_stock"] == a0 + 4 and published[b]["current_stock"] == b0 - 1
    assert published[a]["shelf_weight"] == pytest.approx((a0 + 4) * published[a]["item_weight"])


def test_the_same_events_twice_give_the_same_state(spark, aggregator):
    cfg, paths, (a, a0), _ = aggregator
    batch = [_event(10, "pickup", a, 3), _event(11, "putback", a, 1)]
    job.process_batch(spark, cfg, paths, _batch(spark, batch), 0)
    job.process_batch(spark, cfg, paths, _batch(spark, batch), 0)  # the same batch replayed
    job.process_batch(spark, cfg, paths, _batch(spark, batch), 1)  # the same events in a later batch
    assert _stock(spark, paths)[a] == a0 - 2


def test_a_batch_interrupted_between_its_writes_is_counted_once(spark, aggregator, monkeypatch):
    cfg, paths, (a, a0), _ = aggregator
    batch = [_event(20, "pickup", a, 4)]
    real_append = job.append_delta

    def crash_on_raw(df, path, app_id, batch_id):
        if path == paths.raw:
            raise RuntimeError("killed after the state was written, before the raw events were")
        real_append(df, path, app_id, batch_id)

    monkeypatch.setattr(job, "append_delta", crash_on_raw)
    with pytest.raises(RuntimeError):
        job.process_batch(spark, cfg, paths, _batch(spark, batch), 0)
    assert _stock(spark, paths)[a] == a0 - 4  # the state moved already
    monkeypatch.setattr(job, "append_delta", real_append)
    job.process_batch(spark, cfg, paths, _batch(spark, batch), 0)  # the restart replays the batch
    assert _stock(spark, paths)[a] == a0 - 4
