"""Fixtures of the integration tier: Kafka Connect connectors of the test's own, removed afterwards with
everything they left behind (a source's replication slot and publication, sinks' dead-letter topics)."""

from __future__ import annotations

import pytest

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, COMPACTED_CONFIG, TopicSpec
from smart_shelf.connect.client import ConnectClient
from smart_shelf.connect.configs import CDC_TABLES, heartbeat_topic, source_config
from smart_shelf.kafka_client import make_admin
from smart_shelf.postgres_client import drop_slot_when_released

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
            drop_slot_when_released(cur, slot)
            cur.execute(f'DROP PUBLICATION IF EXISTS "{publication}"')
    admin = make_admin(settings, deadline_seconds=60)
    leftovers = [t for t in admin.list_topics() if t.startswith(f"dlq.connect.test.{unique}.")]
    if leftovers:
        admin.delete_topics(leftovers)
    groups = {g for g, _ in admin.list_consumer_groups()} & {f"connect-{name}" for name in names}
    if groups:
        admin.delete_consumer_groups(list(groups))  # the sinks' consumer groups
    admin.close()


@pytest.fixture
def cdc(settings, connectors, topic_factory, pg_conn, pg_schema, unique):
    """The CDC source over copies of the config tables in the test's schema, routed to test topics."""
    with pg_conn, pg_conn.cursor() as cur:
        for table in CDC_TABLES:
            cur.execute(f'CREATE TABLE "{pg_schema}".{table.table} (LIKE config.{table.table} INCLUDING ALL)')
    topics = {t.table: topic_factory(t.topic, partitions=1, config=COMPACTED_CONFIG) for t in CDC_TABLES}
    prefix = f"t{unique}"
    admin = make_admin(settings, deadline_seconds=60)
    ensure_topics(admin, [TopicSpec(heartbeat_topic(prefix), 1, 1, dict(APPEND_ONLY_CONFIG))])
    config = source_config(
        settings,
        schema=pg_schema,
        topic_namespace=f"test.{unique}.",
        topic_prefix=prefix,
        slot=f"test_{unique}",
        publication=f"test_{unique}",
        drop_slot_on_stop=True,
    )
    connectors(f"test-cdc-{unique}", config)
    yield topics
    admin.delete_topics([heartbeat_topic(prefix)])
    admin.close()


def table_like(pg_conn, schema: str, table: str) -> str:
    """A copy of a project table in the test's schema (no foreign keys)."""
    name = f'"{schema}".{table.split(".")[1]}'
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL)")
    return name


def rows(pg_conn, table: str, order: str) -> list[tuple]:
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY {order}")
        return cur.fetchall()
