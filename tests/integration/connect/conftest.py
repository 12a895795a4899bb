"""Fixtures for the Kafka Connect tests: connectors of the test's own, removed afterwards with
everything they left behind (a source's replication slot and publication, sinks' dead-letter topics)."""

from __future__ import annotations

import time

import pytest

from smart_shelf.connect.client import ConnectClient
from smart_shelf.kafka_client import make_admin

WAIT_SECONDS = 120


@pytest.fixture
def connect(stack, settings) -> ConnectClient:
    return ConnectClient(settings.kafka_connect_url)


@pytest.fixture
def connectors(connect, settings, pg_conn, unique):
    """register(name, config): create a connector and wait until it and its tasks run."""
    names: list[str] = []
    slots: list[tuple[str, str]] = []

    def register(name: str, config: dict) -> str:
        connect.put_config(name, config)
        names.append(name)
        if "slot.name" in config:
            slots.append((config["slot.name"], config["publication.name"]))
        connect.wait_running([name], deadline_seconds=WAIT_SECONDS)
        return name

    yield register
    for name in names:
        connect.delete(name)
    pg_conn.autocommit = True
    with pg_conn.cursor() as cur:
        for slot, publication in slots:
            _drop_slot(cur, slot)
            cur.execute(f'DROP PUBLICATION IF EXISTS "{publication}"')
    admin = make_admin(settings, deadline_seconds=60)
    leftovers = [t for t in admin.list_topics() if t.startswith(f"dlq.connect.test.{unique}.")]
    if leftovers:
        admin.delete_topics(leftovers)
    admin.close()


def _drop_slot(cur, slot: str) -> None:
    """A deleted connector lets go of its slot a moment later; an active slot cannot be dropped."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        row = cur.fetchone()
        if row is None:
            return
        if not row[0]:
            cur.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            return
        time.sleep(1)
    raise AssertionError(f"replication slot {slot} still active a minute after its connector went")
