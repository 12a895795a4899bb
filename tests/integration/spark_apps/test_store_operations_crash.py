"""shelf-restock-manager killed with SIGKILL while plans stream in, then restarted: every plan is
picked once, earliest expiry first, and no unit is picked twice (a replayed micro-batch sends the same
event ids, which the readers of wh_events drop)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smart_shelf.kafka_client import make_producer
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import wait_for

SHELVES = [f"CRASH{n:02d}" for n in range(40)]
PLANS_PER_SHELF = 3
PLAN_QTY = 8
T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)


def _start(env):
    return subprocess.Popen([sys.executable, "-m", "spark_apps.shelf_restock_manager"], env=env)


def _send(settings, topic, keyed_payloads):
    producer = make_producer(settings, deadline_seconds=30)
    for key, payload in keyed_payloads:
        producer.send(topic, key=key, value=json.dumps(payload))
    producer.flush()
    producer.close()


def _batch(shelf, code, expiry, qty):
    return {
        "shelf_id": shelf,
        "batch_code": code,
        "received_date": "2026-04-20",
        "expiry_date": expiry,
        "batch_quantity_warehouse": qty,
        "batch_quantity_store": 0,
        "last_update_ts": T0.isoformat(),
    }


def _plan(shelf, n):
    at = (T0 + timedelta(minutes=10 * (n + 1))).isoformat()
    return {
        "plan_id": f"{shelf}-plan-{n}",
        "shelf_id": shelf,
        "suggested_qty": PLAN_QTY,
        "status": "pending",
        "created_at": at,
        "updated_at": at,
    }


def test_a_killed_and_restarted_restock_manager_picks_every_plan_once(
    stack, settings, topic_factory, tmp_path
):
    plans_topic = topic_factory("shelf_restock_plan")
    batches_topic = topic_factory("wh_batch_state")
    events_topic = topic_factory("wh_events", dead_letters=True)
    delta_root = tmp_path / "delta"
    env = {
        **os.environ,
        "DELTA_ROOT": str(delta_root),
        "TOPIC_RESTOCK": plans_topic,
        "TOPIC_WH_BATCH": batches_topic,
        "TOPIC_WH_EVENTS": events_topic,
        "TOPIC_ALERTS": topic_factory("alerts"),
        "SPARK_TRIGGER_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    # per shelf: 10 units expiring soon, 50 later; three plans of 8 take 10 + 14
    _send(
        settings,
        batches_topic,
        [(s, _batch(s, f"{s}-SOON", "2026-05-20", 10)) for s in SHELVES]
        + [(s, _batch(s, f"{s}-LATER", "2026-09-01", 50)) for s in SHELVES],
    )
    plans = [(s, _plan(s, n)) for n in range(PLANS_PER_SHELF) for s in SHELVES]
    chunks = [plans[i : i + 20] for i in range(0, len(plans), 20)]
    commits = Path(delta_root, "_checkpoints", "shelf-restock-manager", "picks", "commits")

    job = _start(env)
    try:
        wait_for(lambda: commits.is_dir() and any(commits.iterdir()), 240, "the batches read")
        for chunk in chunks[:3]:
            _send(settings, plans_topic, chunk)
            time.sleep(1)
        wait_for(lambda: len(consume_all(settings, events_topic, 1, timeout_s=2)) > 0, 120, "the first picks")
        job.send_signal(signal.SIGKILL)  # whatever it was doing
        job.wait()
        job = _start(env)
        for chunk in chunks[3:]:
            _send(settings, plans_topic, chunk)
        expected = len(SHELVES) * 4  # SOON 8, SOON 2 + LATER 6, LATER 8

        def distinct():
            return {json.loads(m.value)["event_id"] for m in consume_all(settings, events_topic, expected, 5)}

        wait_for(lambda: len(distinct()) >= expected, 300, "every plan picked")
        time.sleep(5)  # anything more would come now
    finally:
        job.send_signal(signal.SIGTERM)
        job.wait(timeout=120)

    picks = {}
    for m in consume_all(settings, events_topic, expected * 2, timeout_s=10):
        event = json.loads(m.value)
        assert picks.setdefault(event["event_id"], event) == event  # a repeat is the same event
    assert len(picks) == expected
    taken = defaultdict(Counter)
    for event in picks.values():
        taken[event["shelf_id"]][event["batch_code"].rsplit("-", 1)[1]] += event["qty"]
    assert all(taken[s] == Counter(SOON=10, LATER=14) for s in SHELVES)
    statuses = {
        (p["plan_id"], p["status"], p.get("picked_qty"))
        for p in (
            json.loads(m.value) for m in consume_all(settings, plans_topic, len(plans) * 2, timeout_s=10)
        )
    }
    issued = {(plan_id, qty) for plan_id, status, qty in statuses if status == "issued"}
    assert issued == {(p["plan_id"], PLAN_QTY) for _, p in plans}
