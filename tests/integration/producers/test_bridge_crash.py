"""The bridge process killed with SIGKILL mid-stream and restarted: nothing lost, repeats keep their id."""

import json
import os
import signal
import subprocess
import sys
import time

from kafka import TopicPartition

from smart_shelf.contracts import stable_id
from smart_shelf.kafka_client import make_consumer
from smart_shelf.redis_client import connect_redis

N = 20_000


def _bridge(settings, stream, topic, db):
    env = {
        **os.environ,
        "REDIS_DB": str(db),
        "STREAM_TOPIC_MAP": f"{stream}={topic}",
        "REDIS_CONSUMER": "bridge-under-test",
        "BATCH_COUNT": "200",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen([sys.executable, "-m", "kafka_components.redis_kafka_bridge"], env=env)


def _entries_read(redis, stream) -> int:
    groups = redis.xinfo_groups(stream)
    return (groups[0].get("entries-read") or 0) if groups else 0


def _read_all(settings, topic):
    consumer = make_consumer(settings, group_id=None, deadline_seconds=60)
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    end = consumer.end_offsets(parts)
    values = []
    while any(consumer.position(p) < end[p] for p in parts):
        for records in consumer.poll(timeout_ms=1000).values():
            values += [json.loads(r.value) for r in records]
    consumer.close()
    return values


def test_a_killed_bridge_loses_nothing(stack, settings, topic_factory, unique):
    topic = topic_factory("shelf_events", dead_letters=True)
    db, stream = 14, f"test:{unique}:shelf_events"
    redis = connect_redis(settings.model_copy(update={"redis_db": db}), deadline_seconds=30)
    ids = [stable_id("crash", unique, n) for n in range(N)]
    for start in range(0, N, 1000):
        pipe = redis.pipeline(transaction=False)
        for event_id in ids[start : start + 1000]:
            event = {
                "event_id": event_id,
                "event_type": "pickup",
                "customer_id": "c",
                "item_id": "A",
                "quantity": 1,
                "weight": 1.0,
                "timestamp": "2026-01-01T10:00:00+00:00",
            }
            pipe.xadd(stream, {"data": json.dumps(event), "key": "c"})
        pipe.execute()

    bridge = _bridge(settings, stream, topic, db)
    deadline = time.monotonic() + 60
    while _entries_read(redis, stream) == 0:
        assert time.monotonic() < deadline, "the bridge never started reading"
        time.sleep(0.05)
    bridge.send_signal(signal.SIGKILL)  # mid-stream: some entries read, some sent, some acknowledged
    bridge.wait()
    acked_before_restart = (
        N
        - redis.xpending(stream, "redis-kafka-bridge")["pending"]
        - (redis.xinfo_groups(stream)[0]["lag"] or 0)
    )
    assert acked_before_restart < N, "the kill came too late to test anything"

    bridge = _bridge(settings, stream, topic, db)
    try:
        deadline = time.monotonic() + 120
        while True:
            info = redis.xinfo_groups(stream)[0]
            if info["pending"] == 0 and (info["lag"] or 0) == 0:
                break
            assert time.monotonic() < deadline, f"bridge did not catch up: {info}"
            time.sleep(0.2)
    finally:
        bridge.send_signal(signal.SIGTERM)
        assert bridge.wait(timeout=30) == 0

    delivered = [v["event_id"] for v in _read_all(settings, topic)]
    assert set(delivered) == set(ids)  # nothing lost
    assert len(delivered) >= N  # a repeat, if any, carries the same event_id (counted once downstream)
    redis.flushdb()
