"""Services ride out a restart of their dependencies. A Redis and a Kafka of the test's own (started by
the runner's launchers on free ports and their own data directories, so the shared stack is never
touched) are SIGKILLed under a running service and started again on their data: the service logs the
outage, waits with backoff, carries on where it stopped, and nothing is lost or sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import redis

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, TopicSpec
from smart_shelf.contracts import STREAM_DATA_FIELD, STREAM_KEY_FIELD, stable_id
from smart_shelf.kafka_client import make_admin
from tests.conftest import consume_all


def _shelf_event(n: int) -> str:
    return json.dumps(
        {
            "event_id": stable_id("outage", n),
            "event_type": "pickup",
            "customer_id": f"c{n % 50}",
            "item_id": f"S{n % 40:03d}",
            "quantity": 1,
            "weight": 0.5,
            "timestamp": "2026-01-01T10:00:00+00:00",
        }
    )


def _write(client_args: dict, stream: str, parts: list[range], go: list[threading.Event]) -> None:
    """A producer: XADD one entry at a time, each again until Redis acknowledged it; each part of
    the entries waits for its go. Entry n gets the id n+1: an XADD that Redis applied but whose answer
    the kill cut off is refused when sent again (an id must grow), so the stream never holds an
    entry twice, as the simulators' MULTI with their own progress ensures."""
    client = redis.Redis(**client_args, socket_connect_timeout=1)
    for part, start in zip(parts, go, strict=True):
        start.wait()
        for n in part:
            fields = {STREAM_DATA_FIELD: _shelf_event(n), STREAM_KEY_FIELD: f"c{n % 50}"}
            while True:
                try:
                    client.xadd(stream, fields, id=f"{n + 1}-0")
                    break
                except redis.exceptions.ResponseError as exc:
                    if "equal or smaller" in str(exc):  # the earlier attempt landed
                        break
                    raise
                except redis.exceptions.RedisError:
                    time.sleep(0.2)
            time.sleep(0.01)


def _wait_for_line(log_path, text: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in log_path.read_text():
        assert process.poll() is None, f"the bridge exited: {log_path.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"no {text!r} in {timeout_s}s: {log_path.read_text()[-3000:]}"
        time.sleep(0.5)


def test_the_bridge_rides_out_kafka_and_redis_restarts_without_losing_or_repeating(private, tmp_path):
    settings = private.settings
    admin = make_admin(settings, deadline_seconds=60)
    ensure_topics(
        admin,
        [TopicSpec(t, 1, 1, dict(APPEND_ONLY_CONFIG)) for t in ("shelf_events", "dlq.shelf_events")],
    )
    admin.close()
    log_path = tmp_path / "bridge.log"
    # Kafka stays away longer than the bridge waits for an acknowledgement
    env = {
        **private.env,
        "STREAM_TOPIC_MAP": "shelf_events=shelf_events",
        "BLOCK_MS": "200",
        "SEND_TIMEOUT_S": "3",
    }
    with log_path.open("w") as log:
        bridge = subprocess.Popen(
            [sys.executable, "-m", "kafka_components.redis_kafka_bridge"], env=env, stdout=log, stderr=log
        )
    total = 1500
    # the first part is written around the Kafka outage, the second into the Redis one
    go = [threading.Event(), threading.Event()]
    writer = threading.Thread(
        target=_write,
        args=(
            {"port": settings.redis_port, "decode_responses": True},
            "shelf_events",
            [range(0, 1000), range(1000, total)],
            go,
        ),
        daemon=True,
    )
    try:
        writer.start()
        go[0].set()
        time.sleep(4)
        private.kill("kafka")  # the bridge's sends now go unanswered
        time.sleep(10)
        private.up("kafka")
        # a broker recovering its log after a SIGKILL can take tens of seconds on a busy machine: the
        # second outage starts once the bridge has seen the first one end, so each is logged on its own
        _wait_for_line(log_path, "kafka is back after", bridge, timeout_s=240)
        go[1].set()
        private.kill("redis")  # the writer and the bridge both lose Redis
        time.sleep(5)
        private.up("redis")
        writer.join(180)
        assert not writer.is_alive(), "the writer finished"
        records = consume_all(settings, "shelf_events", expected=total, timeout_s=120)
        assert bridge.poll() is None, f"the bridge exited: {log_path.read_text()[-3000:]}"
    finally:
        bridge.terminate()
        bridge.wait(timeout=60)
    ids = [json.loads(r.value)["event_id"] for r in records]
    assert set(ids) == {stable_id("outage", n) for n in range(total)}  # nothing lost
    assert len(ids) == total, f"{len(ids) - len(set(ids))} records sent twice"  # nothing repeated
    log = log_path.read_text()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    # a line when an outage starts and one when it ends, not one per attempt (a broker that has just
    # restarted may miss a deadline or two while it takes its partitions back: short outages of their own)
    lines = [line for line in log.splitlines() if " unavailable (" in line or " is back after " in line]
    assert any("kafka unavailable" in line for line in lines), log[-3000:]
    assert any("redis unavailable" in line for line in lines), log[-3000:]
    assert len(lines) <= 12, log[-3000:]
    assert " is back after " in lines[-1]
