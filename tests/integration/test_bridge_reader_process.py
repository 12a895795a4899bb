"""The bridge's reader in a process of its own (reader.py), against real Redis and Kafka: what it
hands over reaches Kafka once; it stays at most `ahead` entries in front of what was acknowledged;
it never takes back (XAUTOCLAIM) this consumer's own entries while the bridge still holds them, and
does take over a dead consumer's; it dies with the bridge, and the bridge stops when it dies."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kafka_components.redis_kafka_bridge.bridge import RedisKafkaBridge
from kafka_components.redis_kafka_bridge.reader import ReaderProcess
from kafka_components.redis_kafka_bridge.routing import Route
from smart_shelf.contracts import ShelfEvent
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import connect_redis
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import wait_for
from tests.integration.test_redis_kafka_bridge import _pickup as pickup


def _pickup(n: int) -> str:
    return json.dumps(pickup(n))


def _feed(settings, route, **overrides) -> ReaderProcess:
    ours = settings.model_copy(
        update={
            "redis_group": f"g-{route.stream}",
            "redis_consumer": "reader-1",
            "block_ms": 100,
            "log_level": "WARNING",
            **overrides,
        }
    )
    feed = ReaderProcess(ours, {route.stream: route}, ahead=overrides.get("ahead"))
    feed.start()
    feed.wait_started()
    return feed


def _taken(feed, seconds: float) -> list[str]:
    """The entry ids handed over in the next `seconds`."""
    ids, until = [], time.monotonic() + seconds
    while time.monotonic() < until:
        ids += [out[1] for out in feed.take(100)]
    return ids


def test_what_the_reader_process_hands_over_reaches_kafka_once(stack, settings, topic_factory, unique):
    topic, dlq = topic_factory("shelf_events"), topic_factory("dlq")
    route = Route(f"test:{unique}:shelf", topic, ShelfEvent, dlq, ("customer_id",))
    redis = connect_redis(settings, deadline_seconds=30)
    for n in range(1200):
        redis.xadd(route.stream, {"data": _pickup(n), "key": ""})
    redis.xadd(route.stream, {"data": '{"event_type": "pickup"', "key": "c-x"})  # truncated JSON
    feed = _feed(settings, route)
    # the group, consumer and batch size its reader reads with
    bridge = RedisKafkaBridge.from_settings(
        feed.settings, redis, make_producer(settings, deadline_seconds=30), feed.routes, feed=feed
    )
    try:
        done, deadline = 0, time.monotonic() + 60
        while done < 1201:
            assert time.monotonic() < deadline, f"{done} of 1,201 entries acknowledged"
            done += bridge.poll_once()
        good = consume_all(settings, topic, 1200)
        assert sorted(json.loads(m.value)["event_id"] for m in good) == sorted(f"e-{n}" for n in range(1200))
        assert {m.key.decode() for m in good} == {"c-0", "c-1", "c-2"}
        assert "not valid JSON" in json.loads(consume_all(settings, dlq, 1)[0].value)["reason"]
        assert redis.xpending(route.stream, bridge.group)["pending"] == 0
        assert (bridge.stats.forwarded, bridge.stats.dead_letters) == (1200, 1)
    finally:
        bridge.producer.close()
        feed.stop()
        redis.delete(route.stream)


def test_the_reader_stays_at_most_ahead_of_what_was_acknowledged(stack, settings, unique):
    route = Route(f"test:{unique}:shelf", "unused", ShelfEvent, "unused-dlq", ("customer_id",))
    redis = connect_redis(settings, deadline_seconds=30)
    for n in range(40):
        redis.xadd(route.stream, {"data": _pickup(n), "key": ""})
    feed = _feed(settings, route, batch_count=5, ahead=10)
    group = f"g-{route.stream}"
    try:
        assert len(_taken(feed, 2)) == 10  # two batches, then it waits
        assert redis.xpending(route.stream, group)["pending"] == 10  # nothing more read
        ids = [i for i, *_ in (e for e in redis.xrange(route.stream, count=10))]
        redis.xack(route.stream, group, *ids)
        feed.acknowledged(10)
        assert len(_taken(feed, 2)) == 10
    finally:
        feed.stop()
        redis.delete(route.stream)


def test_the_reader_takes_back_no_entry_the_bridge_holds_and_takes_over_a_dead_consumer_s(
    stack, settings, unique
):
    route = Route(f"test:{unique}:shelf", "unused", ShelfEvent, "unused-dlq", ("customer_id",))
    redis = connect_redis(settings, deadline_seconds=30)
    group = f"g-{route.stream}"
    redis.xgroup_create(route.stream, group, id="0", mkstream=True)
    for n in range(3):
        redis.xadd(route.stream, {"data": _pickup(100 + n), "key": ""})
    redis.xreadgroup(group, "crashed", {route.stream: ">"}, count=10)  # read, never acknowledged
    for n in range(5):
        redis.xadd(route.stream, {"data": _pickup(n), "key": ""})
    feed = _feed(settings, route, claim_idle_ms=1000)
    try:
        # the new entries, and the dead consumer's when they were idle long enough at the start (a busy
        # machine); held as through a Kafka outage
        held = _taken(feed, 2)
        assert len(held) in (5, 8)
        # claims fall due while the bridge holds these: a claim now would hand them over again
        assert _taken(feed, 3) == []
        redis.xack(route.stream, group, *held)
        feed.acknowledged(len(held))
        claimed = _taken(feed, 3)  # the claim it put off: the dead consumer's three, if not taken yet
        assert len(held) + len(claimed) == len(set(held) | set(claimed)) == 8
        assert redis.xpending_range(route.stream, group, "-", "+", 10, consumername="crashed") == []
    finally:
        feed.stop()
        redis.delete(route.stream)


def _readers(pid: int) -> list[int]:
    """The reader processes among the children of `pid` (multiprocessing's resource tracker is one too)."""
    children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def _service(settings, unique, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "STREAM_TOPIC_MAP": f"test:{unique}:shelf=shelf_events",
        "REDIS_CONSUMER": f"bridge-{unique}",
        "REDIS_GROUP": f"g-{unique}",
    }
    with log_path.open("w") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "kafka_components.redis_kafka_bridge"], env=env, stdout=log, stderr=log
        )


def test_the_reader_dies_with_a_killed_bridge(stack, settings, unique, tmp_path):
    bridge = _service(settings, unique, tmp_path / "bridge.log")
    try:
        wait_for(lambda: _readers(bridge.pid), 60, "the reader process started")
        (reader,) = _readers(bridge.pid)
        bridge.send_signal(signal.SIGKILL)  # the bridge alone, not its process group
        bridge.wait()
        wait_for(lambda: not _alive(reader), 10, "the reader gone with the bridge")
    finally:
        bridge.kill()
        connect_redis(settings).delete(f"test:{unique}:shelf")


def test_the_bridge_stops_with_an_error_when_its_reader_dies(stack, settings, unique, tmp_path):
    log_path = tmp_path / "bridge.log"
    bridge = _service(settings, unique, log_path)
    try:
        wait_for(lambda: _readers(bridge.pid), 60, "the reader process started")
        (reader,) = _readers(bridge.pid)
        os.kill(reader, signal.SIGKILL)
        assert bridge.wait(timeout=60) == 1  # the runner's watchdog starts it again
        assert "the reader process exited (exit code -9)" in log_path.read_text()
    finally:
        bridge.kill()
        connect_redis(settings).delete(f"test:{unique}:shelf")
