"""The ledger jobs in one Spark application: sustained shelf_events -> shelf_state throughput, and the
delay from an event's write to Kafka until its effect is in the shelf_state topic (p50, p95).

Every ledger job runs (shelf-aggregator, batch-state-updater, wh-aggregator, wh-batch-state-updater,
alerts-sink) in one `python -m spark_apps` process on its own topics and Delta root; only
shelf_events carries load. Each event is a putback of one unit, so every shelf's expected stock after
each event is known and can be recognised in the state topic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime

from kafka import KafkaConsumer

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, COMPACTED_CONFIG, TopicSpec
from smart_shelf.contracts import stable_id
from smart_shelf.kafka_client import make_admin, make_producer
from smart_shelf.postgres_client import fetch_rows

JOBS = ["shelf-aggregator", "batch-state-updater", "wh-aggregator", "wh-batch-state-updater", "alerts-sink"]
BACKLOG = 200_000
BATCH_LIMIT = 50_000  # maxOffsetsPerTrigger: the backlog is worked off in several micro-batches
RATES_PER_S = (500, 2_000)  # well below, then near what the application absorbs
RATE_SECONDS = 45


class StateWatcher(threading.Thread):
    """Follows the shelf_state topic: for each shelf, the time each expected stock value was seen."""

    def __init__(self, settings, topic: str):
        super().__init__(daemon=True)
        self.consumer = KafkaConsumer(
            topic, bootstrap_servers=settings.kafka_broker, auto_offset_reset="earliest", group_id=None
        )
        self.latest: dict[str, int] = {}
        self.waiting: dict[str, deque] = defaultdict(deque)  # shelf -> (expected stock, sent at)
        self.delays: list[float] = []
        self.lock = threading.Lock()
        self.stop = False

    def expect(self, shelf: str, stock: int, sent_at: float) -> None:
        with self.lock:
            self.waiting[shelf].append((stock, sent_at))

    def run(self) -> None:
        while not self.stop:
            for records in self.consumer.poll(timeout_ms=200).values():
                now = time.time()
                with self.lock:
                    for record in records:
                        shelf, stock = record.key.decode(), json.loads(record.value)["current_stock"]
                        self.latest[shelf] = stock
                        queue = self.waiting[shelf]
                        while queue and queue[0][0] <= stock:
                            self.delays.append(now - queue.popleft()[1])
        self.consumer.close()


def moved_by(latest: dict[str, int], opening: dict[str, int]) -> int:
    """How far the shelves moved from their opening stock: the putbacks of one unit already in
    shelf_state (a shelf not seen yet has not moved). Pure."""
    return sum(latest.get(shelf, stock) - stock for shelf, stock in opening.items())


def _putback(n: int, shelf: str) -> bytes:
    return json.dumps(
        {
            "event_id": stable_id("bench-ledger", n),
            "event_type": "putback",
            "customer_id": f"bench-{n % 997}",
            "item_id": shelf,
            "quantity": 1,
            "weight": 0.5,
            "timestamp": datetime.now(UTC).isoformat(),
        }
    ).encode()


def _wait_until(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def bench_ledgers(settings) -> dict:
    ns = f"bench.{uuid.uuid4().hex[:8]}"
    events, state = f"{ns}.shelf_events", f"{ns}.shelf_state"
    append_only = [events, f"{ns}.pos_transactions", f"{ns}.wh_events", f"{ns}.alerts"]
    compacted = [state, f"{ns}.shelf_batch_state", f"{ns}.wh_state", f"{ns}.wh_batch_state"]
    admin = make_admin(settings)
    ensure_topics(
        admin,
        [TopicSpec(t, settings.topic_partitions, 1, dict(APPEND_ONLY_CONFIG)) for t in append_only]
        + [TopicSpec(f"dlq.{t}", 1, 1, dict(APPEND_ONLY_CONFIG)) for t in append_only]
        + [TopicSpec(t, settings.topic_partitions, 1, dict(COMPACTED_CONFIG)) for t in compacted],
    )
    rows = fetch_rows(settings, "SELECT shelf_id, current_stock FROM ref.store_inventory")
    opening = {r["shelf_id"]: r["current_stock"] for r in rows}
    stock, shelves = dict(opening), sorted(opening)
    producer = make_producer(settings)
    for n in range(BACKLOG):
        shelf = shelves[n % len(shelves)]
        producer.send(events, key=shelf.encode(), value=_putback(n, shelf))
        stock[shelf] += 1
    producer.flush()

    env = {
        **os.environ,
        "DELTA_ROOT": tempfile.mkdtemp(prefix="bench-delta-"),
        "TOPIC_SHELF_EVENTS": events,
        "TOPIC_SHELF_STATE": state,
        "TOPIC_POS_TRANSACTIONS": f"{ns}.pos_transactions",
        "TOPIC_BATCH_STATE": f"{ns}.shelf_batch_state",
        "TOPIC_WH_EVENTS": f"{ns}.wh_events",
        "TOPIC_WH_STATE": f"{ns}.wh_state",
        "TOPIC_WH_BATCH": f"{ns}.wh_batch_state",
        "TOPIC_ALERTS": f"{ns}.alerts",
        "SPARK_TRIGGER_SECONDS": "1",
        "DELTA_TRIGGER_SECONDS": "30",
        "MAX_OFFSETS_PER_TRIGGER": str(BATCH_LIMIT),
        "LOG_LEVEL": "WARNING",
    }
    watcher = StateWatcher(settings, state)
    watcher.start()
    app = subprocess.Popen([sys.executable, "-m", "spark_apps", *JOBS], env=env, stdout=subprocess.DEVNULL)
    result: dict = {"backlog": BACKLOG, "rate_seconds": RATE_SECONDS}
    try:
        # the opening state is published first; the first moved shelf shows that processing began
        moved = lambda: any(watcher.latest.get(s, opening[s]) != opening[s] for s in shelves)  # noqa: E731
        assert _wait_until(moved, 900), "the ledger application published no movement"
        started = time.monotonic()
        # the clock starts at the first batch's effect: that batch (the application's warm-up) is
        # in shelf_state, so its events are not counted (each event moves its shelf by one). Its
        # records are published in one flush: all of them are in well before the next batch's.
        time.sleep(1)
        with watcher.lock:
            result["counted"] = BACKLOG - moved_by(watcher.latest, opening)
        assert _wait_until(
            lambda: all(watcher.latest.get(s) == stock[s] for s in shelves), 900
        ), "backlog not absorbed"
        result["backlog_seconds"] = time.monotonic() - started
        result["events_per_s"] = result["counted"] / result["backlog_seconds"]

        n = BACKLOG
        for rate in RATES_PER_S:
            watcher.delays.clear()
            t_end = time.monotonic() + RATE_SECONDS
            while time.monotonic() < t_end:
                tick = time.monotonic()
                for _ in range(rate // 10):
                    shelf = shelves[n % len(shelves)]
                    stock[shelf] += 1
                    producer.send(events, key=shelf.encode(), value=_putback(n, shelf))
                    watcher.expect(shelf, stock[shelf], time.time())
                    n += 1
                producer.flush()
                time.sleep(max(0.0, 0.1 - (time.monotonic() - tick)))
            _wait_until(lambda: all(not q for q in watcher.waiting.values()), 180)
            delays = sorted(watcher.delays)
            result[rate] = {
                "samples": len(delays),
                "p50_s": delays[len(delays) // 2],
                "p95_s": delays[int(len(delays) * 0.95)],
            }
        result["rss_mib"] = _rss_mib(app.pid)
    finally:
        app.terminate()
        app.wait(timeout=120)
        watcher.stop = True
        producer.close()
        admin.delete_topics(append_only + compacted + [f"dlq.{t}" for t in append_only])
        admin.close()
    return result


def _rss_mib(pid: int) -> float:
    """Resident memory of the process and its descendants (the JVM is a child of the Python driver)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier.extend(children)
    total_kib = 0
    for member in tree:
        try:
            with open(f"/proc/{member}/status") as status:
                total_kib += int(next(x for x in status if x.startswith("VmRSS")).split()[1])
        except (OSError, StopIteration):
            continue
    return total_kib / 1024
