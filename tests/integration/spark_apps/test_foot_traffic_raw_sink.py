"""foot-traffic-raw-sink against real Delta and Kafka: each event once, poison to quarantine."""

import json
from functools import partial

import spark_apps.foot_traffic_raw_sink.job as job
from smart_shelf.contracts import stable_id
from smart_shelf.kafka_client import end_offsets
from smart_shelf.settings import FootTrafficSinkSettings
from smart_shelf.spark.checkpoints import lagging_queries
from spark_apps.spark_init_delta.create import create_tables
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import delta_rows, run_once, send


def _session(n):
    return {
        "event_id": stable_id("raw-sink", n),
        "event_type": "foot_traffic",
        "customer_id": f"c{n}",
        "entry_time": "2026-01-01T10:00:00+00:00",
        "exit_time": "2026-01-01T10:30:00+00:00",
        "trip_duration_minutes": 30,
        "weekday": "Thursday",
        "time_slot": "10:00–13:59",
    }


def test_sessions_land_once_and_poison_is_quarantined(stack, settings, spark, topic_factory, tmp_path):
    cfg = FootTrafficSinkSettings(
        _env_file=None,
        delta_root=tmp_path / "delta",
        kafka_broker=settings.kafka_broker,
        spark_available_now=True,
        topic_foot_traffic=topic_factory("foot_traffic", dead_letters=True),
        topic_foot_traffic_realistic=topic_factory("foot_traffic_realistic", dead_letters=True),
    )
    create_tables(cfg.delta_root)
    poison = '{"event_type": "foot_traffic"}'
    send(settings, cfg.topic_foot_traffic, [_session(1), _session(2), _session(1), poison])
    run_once(spark, job, cfg)
    behind = partial(lagging_queries, cfg.checkpoint_root, partial(end_offsets, settings))
    assert behind() == {}  # what make reconcile asks first: each query at the end of its topics
    send(settings, cfg.topic_foot_traffic, [_session(2), _session(3), poison])  # re-sent, in a later batch
    assert behind() == {"foot-traffic-raw-sink/raw_foot_traffic": 3}
    run_once(spark, job, cfg)
    assert behind() == {}

    raw = delta_rows(spark, f"{cfg.delta_root}/raw/foot_traffic")
    assert sorted(r.customer_id for r in raw) == ["c1", "c2", "c3"]
    quarantined = delta_rows(spark, f"{cfg.delta_root}/quarantine/foot_traffic")
    # the same poison record twice is one dead letter: records without an id are deduplicated by content
    assert [q.reason for q in quarantined] == ["event_id: missing or of the wrong type"]
    letters = [json.loads(m.value) for m in consume_all(settings, f"dlq.{cfg.topic_foot_traffic}", 1)]
    assert [d["reason"] for d in letters] == ["event_id: missing or of the wrong type"]
    assert json.loads(letters[0]["raw"]) == json.loads(poison)
