"""JDBC sink (Debezium 3.6, real Connect worker and Postgres): state records become rows equal to the
latest record per key; a replay of the topic changes nothing; poison goes to the dead-letter topic
with its reason while the task keeps running."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from kafka_components.kafka_init.topic_config import COMPACTED_CONFIG
from smart_shelf.connect.configs import SINKS, sink_config
from tests.conftest import consume_all, rows, table_like
from tests.integration.spark_apps.ledger_harness import send, wait_for

SHELF_STATE = next(s for s in SINKS if s.topic == "shelf_state")
BATCH_STATE = next(s for s in SINKS if s.topic == "shelf_batch_state")


@pytest.fixture
def shelves(pg_conn) -> list[str]:
    with pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT 3")
        return [r[0] for r in cur.fetchall()]


def _state(shelf: str, stock: int, ts: str, **extra) -> dict:
    return {
        "shelf_id": shelf,
        "current_stock": stock,
        "item_weight": 250.0,
        "shelf_weight": 250.0 * stock,
        "last_update_ts": ts,
        **extra,
    }


def test_state_records_become_the_latest_row_per_key_and_a_replay_changes_nothing(
    settings, connect, connectors, topic_factory, pg_conn, pg_schema, shelves
):
    topic = topic_factory("shelf_state", config=COMPACTED_CONFIG)
    table = table_like(pg_conn, pg_schema, "state.shelf_state")
    name = connectors(f"test-sink-{pg_schema}", sink_config(settings, SHELF_STATE, topic=topic, table=table))
    a, b, c = shelves
    history = {
        a: [_state(a, 10, "2026-01-01T08:00:00+00:00"), _state(a, 7, "2026-01-01T09:30:00+02:00")],
        b: [_state(b, 3, "2026-01-01T08:00:00Z", restocked_units=12)],
        # a field no column has (a newer producer's) is left out, not refused
        c: [_state(c, 5, "2026-01-01T08:00:00Z"), _state(c, 4, "2026-01-01T08:01:00Z", sensor="v2")],
    }
    for shelf, records in history.items():
        send(settings, topic, records, key=shelf)
    poison = ["{not json", json.dumps({"shelf_id": a, "last_update_ts": "2026-01-01T10:00:00Z"})]
    send(settings, topic, poison, key="poison")

    expected = [
        (a, 7, 250.0, 1750.0, datetime.fromisoformat("2026-01-01T07:30:00+00:00"), None),
        (b, 3, 250.0, 750.0, datetime.fromisoformat("2026-01-01T08:00:00+00:00"), 12),
        (c, 4, 250.0, 1000.0, datetime.fromisoformat("2026-01-01T08:01:00+00:00"), None),
    ]
    wait_for(lambda: rows(pg_conn, table, "shelf_id") == expected, 120, "the latest row per shelf")
    dead = consume_all(settings, f"dlq.connect.{topic}", expected=2, timeout_s=60)
    assert sorted(r.value for r in dead) == sorted(p.encode() for p in poison)
    reasons = {dict(r.headers)["__connect.errors.exception.message"].decode() for r in dead}
    assert any("serialization error" in m for m in reasons), reasons  # not JSON
    assert any(
        "current_stock" in m or "null" in m.lower() for m in reasons
    ), reasons  # a required field missing
    assert connect.state(name).running  # poison did not stop the task

    # Replay the whole topic from the start: the upsert lands on the same rows.
    connect.stop(name)
    wait_for(lambda: connect.state(name).connector == "STOPPED", 60, "the sink to stop")
    connect.delete_offsets(name)
    connect.resume(name)
    connect.wait_running([name], deadline_seconds=120)
    # the poison reaches the dead-letter topic a second time: the topic was read again from its start
    wait_for(
        lambda: len(consume_all(settings, f"dlq.connect.{topic}", expected=4, timeout_s=10)) == 4,
        120,
        "the replay to reach the poison again",
    )
    assert rows(pg_conn, table, "shelf_id") == expected


def test_batch_state_is_upserted_on_its_composite_key_with_iso_dates(
    settings, connectors, topic_factory, pg_conn, pg_schema, shelves
):
    topic = topic_factory("shelf_batch_state", config=COMPACTED_CONFIG)
    table = table_like(pg_conn, pg_schema, "state.shelf_batch_state")
    connectors(f"test-sink-{pg_schema}", sink_config(settings, BATCH_STATE, topic=topic, table=table))
    shelf = shelves[0]

    def batch(code: str, qty: int, ts: str) -> dict:
        return {
            "shelf_id": shelf,
            "batch_code": code,
            "received_date": "2026-01-01",
            "expiry_date": "2026-01-09",
            "batch_quantity_store": qty,
            "last_update_ts": ts,
        }

    send(
        settings,
        topic,
        [batch("B1", 10, "2026-01-01T08:00:00Z"), batch("B2", 5, "2026-01-01T08:00:00Z")],
        key=shelf,
    )
    send(settings, topic, [batch("B1", 8, "2026-01-01T09:00:00Z")], key=shelf)

    def batches():
        return [(r[1], str(r[2]), str(r[3]), r[4]) for r in rows(pg_conn, table, "batch_code")]

    wait_for(
        lambda: batches() == [("B1", "2026-01-01", "2026-01-09", 8), ("B2", "2026-01-01", "2026-01-09", 5)],
        120,
        "one row per (shelf, batch) with the latest quantity",
    )


def test_a_row_the_database_refuses_fails_the_task_and_make_status_shows_it(
    settings, stack, connect, connectors, topic_factory, pg_conn, pg_schema, shelves, capsys
):
    from smart_shelf.runner.cli import _print_connectors

    topic = topic_factory("shelf_state", config=COMPACTED_CONFIG)
    table = table_like(pg_conn, pg_schema, "state.shelf_state")
    config = {**sink_config(settings, SHELF_STATE, topic=topic, table=table), "flush.max.retries": "1"}
    name = connectors(f"test-sink-{pg_schema}", config)
    # valid JSON the converter reads, but the table's CHECK (no negative stock) refuses it
    send(settings, topic, [_state(shelves[0], -1, "2026-01-01T08:00:00Z")], key=shelves[0])
    wait_for(lambda: connect.state(name).failed, 120, "the sink task to fail")
    assert "current_stock" in connect.state(name).trace or "check" in connect.state(name).trace.lower()
    assert name in _print_connectors(stack)
    assert f"{name}" in capsys.readouterr().out
