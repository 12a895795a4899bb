"""foot-traffic-raw-sink against real Delta and Kafka: each event once, poison to quarantine."""

import json
from datetime import UTC, datetime

import spark_apps.foot_traffic_raw_sink.job as job
from smart_shelf.contracts import stable_id
from smart_shelf.settings import Settings
from spark_apps.spark_init_delta.create import create_tables
from tests.conftest import consume_all


def _session(n):
    return json.dumps(
        {
            "event_id": stable_id("raw-sink", n),
            "event_type": "foot_traffic",
            "customer_id": f"c{n}",
            "entry_time": "2026-01-01T10:00:00+00:00",
            "exit_time": "2026-01-01T10:30:00+00:00",
            "trip_duration_minutes": 30,
            "weekday": "Thursday",
            "time_slot": "10:00–13:59",
        }
    )


def _batch(spark, values):
    rows = [("c", v, "t", 0, i, datetime(2026, 1, 1, tzinfo=UTC)) for i, v in enumerate(values)]
    return spark.createDataFrame(
        rows, "key string, value string, topic string, partition int, offset long, kafka_ts timestamp"
    )


def test_sessions_land_once_and_poison_is_quarantined(
    stack, settings, spark, topic_factory, unique, tmp_path
):
    topic_factory("foot_traffic", dead_letters=True)
    cfg = Settings(_env_file=None, delta_root=tmp_path / "delta", kafka_broker=settings.kafka_broker)
    create_tables(spark, str(cfg.delta_root))
    sink = job.sinks(cfg, prefix=f"test.{unique}.")[0]
    batch = [_session(1), _session(2), _session(1), '{"event_type": "foot_traffic"}']
    assert job.process_batch(spark, cfg, sink, _batch(spark, batch), 0) == 2
    assert job.process_batch(spark, cfg, sink, _batch(spark, batch), 0) == 0  # replayed: nothing new
    assert job.process_batch(spark, cfg, sink, _batch(spark, [_session(2), _session(3)]), 1) == 1
    raw = spark.read.format("delta").load(f"{cfg.delta_root}/raw/foot_traffic")
    assert sorted(r.customer_id for r in raw.collect()) == ["c1", "c2", "c3"]
    quarantined = spark.read.format("delta").load(f"{cfg.delta_root}/quarantine/foot_traffic").collect()
    assert [q.reason for q in quarantined] == ["event_id: missing or of the wrong type"]
    letters = [json.loads(m.value) for m in consume_all(settings, f"dlq.{sink.topic}", 1)]
    # the Delta quarantine holds it once; the dlq topic is at least once (the replay sent it again)
    assert {d["reason"] for d in letters} == {"event_id: missing or of the wrong type"}
