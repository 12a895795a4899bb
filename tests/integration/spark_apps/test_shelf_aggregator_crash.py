"""The shelf-aggregator process killed with SIGKILL mid-stream and restarted gives the same state."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from smart_shelf.contracts import stable_id
from smart_shelf.kafka_client import make_producer
from tests.integration.spark_apps.ledger_harness import wait_for

EVENTS = 1500


def _start(env):
    return subprocess.Popen([sys.executable, "-m", "spark_apps.shelf_aggregator"], env=env)


def _stock(spark, path):
    return {r.shelf_id: r.current_stock for r in spark.read.format("delta").load(path).collect()}


def _of(stock, shelves):
    return {s: stock[s] for s in shelves}


@pytest.mark.timeout(1200)  # 3.5-5 minutes beside make test's other processes
def test_killed_and_restarted_aggregator_gives_the_same_state(
    stack, settings, spark, topic_factory, pg_conn, tmp_path
):
    events_topic = topic_factory("shelf_events", dead_letters=True)
    state_topic = topic_factory("shelf_state")
    alerts_topic = topic_factory("alerts")
    with pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id, current_stock FROM ref.store_inventory ORDER BY shelf_id LIMIT 50")
        shelves = dict(cur.fetchall())
    delta_root = tmp_path / "delta"
    env = {
        **os.environ,
        "DELTA_ROOT": str(delta_root),
        "TOPIC_SHELF_EVENTS": events_topic,
        "TOPIC_SHELF_STATE": state_topic,
        "TOPIC_ALERTS": alerts_topic,
        "SPARK_TRIGGER_SECONDS": "1",
        "MAX_OFFSETS_PER_TRIGGER": "300",
        "DELTA_TRIGGER_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    # pickups and putbacks that never take a shelf below zero: each shelf loses at most 1 unit per 3 events
    expected = dict(shelves)
    producer = make_producer(settings, deadline_seconds=30)
    ids = sorted(shelves)
    for n in range(EVENTS):
        shelf = ids[n % len(ids)]
        kind = "putback" if n % 3 == 2 else "pickup"
        if kind == "pickup" and expected[shelf] == 0:
            kind = "putback"
        expected[shelf] += 1 if kind == "putback" else -1
        event = {
            "event_id": stable_id("crash-agg", n),
            "event_type": kind,
            "customer_id": f"c{n % 7}",
            "item_id": shelf,
            "quantity": 1,
            "weight": 100.0,
            "timestamp": "2026-01-01T10:00:00+00:00",
        }
        producer.send(events_topic, key=event["customer_id"], value=json.dumps(event))
        if n % 500 == 0:  # a few repeats, as the bridge may deliver after a crash
            producer.send(events_topic, key=event["customer_id"], value=json.dumps(event))
    producer.flush()

    state_path = str(delta_root / "cleansed" / "shelf_state")
    raw_path = str(delta_root / "raw" / "shelf_events")
    job = _start(env)
    try:
        wait_for(
            lambda: (
                delta_root / "raw" / "shelf_events" / "_delta_log" / "00000000000000000002.json"
            ).exists(),
            180,
            "a few committed micro-batches",
        )
        job.send_signal(signal.SIGKILL)  # mid-stream: 1,500 events at 300 per batch
        job.wait()
        counted = spark.read.format("delta").load(raw_path).count()
        assert counted < EVENTS, "the kill came too late to test anything"
        job = _start(env)
        wait_for(
            lambda: spark.read.format("delta").load(raw_path).count() == EVENTS, 240, "every event in raw"
        )
        # the state query runs beside the raw one: wait until it has consumed the topic too
        wait_for(lambda: _of(_stock(spark, state_path), shelves) == expected, 180, "the state to catch up")
        time.sleep(3 * float(env["SPARK_TRIGGER_SECONDS"]))  # nothing moves it further
    finally:
        job.send_signal(signal.SIGTERM)
        job.wait(timeout=60)
    stock = _stock(spark, state_path)
    assert _of(stock, shelves) == expected
    assert spark.read.format("delta").load(raw_path).select("event_id").distinct().count() == EVENTS
