"""Kafka Connect SIGKILLed while state records stream into a sink and config rows change under the
CDC source, then started again by the runner: no row lost, the table equals the topic's latest value
per key, and the source resumes from its replication slot without a gap."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

from kafka_components.kafka_init.topic_config import COMPACTED_CONFIG
from smart_shelf.connect.configs import SINKS, sink_config
from smart_shelf.kafka_client import make_producer
from tests.conftest import consume_all, rows, table_like
from tests.integration.spark_apps.ledger_harness import wait_for

VERSIONS = 150  # records per shelf, streamed over about 15 s


def _stream_states(settings, topic: str, shelves: list[str], done: threading.Event) -> None:
    producer = make_producer(settings, deadline_seconds=30)
    for version in range(1, VERSIONS + 1):
        for shelf in shelves:
            state = {
                "shelf_id": shelf,
                "current_stock": version,
                "item_weight": 1.0,
                "shelf_weight": float(version),
                "last_update_ts": f"2026-01-01T08:00:{version % 60:02d}Z",
            }
            producer.send(topic, key=shelf, value=state)
        time.sleep(0.1)
    producer.flush()
    producer.close()
    done.set()


def test_a_killed_worker_restarted_by_the_runner_loses_no_row_and_no_change(
    stack, settings, connect, connectors, cdc, topic_factory, pg_conn, pg_schema, unique
):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT 20")
        shelves = [r[0] for r in cur.fetchall()]
    topic = topic_factory("shelf_state", config=COMPACTED_CONFIG)
    table = table_like(pg_conn, pg_schema, "state.shelf_state")
    sink = next(s for s in SINKS if s.topic == "shelf_state")
    connectors(f"test-sink-{pg_schema}", sink_config(settings, sink, topic=topic, table=table))

    def add_policies(n: int) -> list[str]:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        with pg_conn, pg_conn.cursor() as cur:
            for policy in ids:
                cur.execute(
                    f'INSERT INTO "{pg_schema}".shelf_policies (policy_id, item_category, threshold_pct)'
                    " VALUES (%s, %s, 20)",
                    (policy, f"cat-{policy}"),
                )
        return ids

    policies = add_policies(3)
    streamed = threading.Event()
    producer = threading.Thread(target=_stream_states, args=(settings, topic, shelves, streamed), daemon=True)
    producer.start()
    time.sleep(4)
    pid = stack.table.pid("kafka-connect")
    assert pid, "the test stack runs Kafka Connect natively"
    os.kill(pid, signal.SIGKILL)
    policies += add_policies(3)  # written while no worker reads the slot
    stack.up(["kafka-connect"])
    # the restarted worker answers only once it has rejoined its group and read its configs
    connect.wait_running([f"test-sink-{pg_schema}", f"test-cdc-{unique}"], 240)
    producer.join(timeout=120)
    assert streamed.is_set()

    expected = [(shelf, VERSIONS) for shelf in shelves]
    wait_for(
        lambda: [(r[0], r[1]) for r in rows(pg_conn, table, "shelf_id")] == expected,
        180,
        "every shelf's row at its last version",
    )
    records = consume_all(settings, cdc["shelf_policies"], expected=len(policies), timeout_s=120)
    # at least once: a restart may repeat a record, never skip one
    assert {r.key.decode() for r in records} == set(policies)
    first_seen = list(dict.fromkeys(r.key.decode() for r in records))
    assert first_seen == policies  # in commit order
