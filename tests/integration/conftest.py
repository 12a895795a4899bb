"""Fixtures of the integration tier: the CDC source over copies of the config tables; a private Redis
and Kafka to kill and restart."""

from __future__ import annotations

import pytest

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, COMPACTED_CONFIG, TopicSpec
from smart_shelf.connect.configs import CDC_TABLES, heartbeat_topic, source_config
from smart_shelf.kafka_client import make_admin


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


@pytest.fixture
def private(tmp_path):
    """A Redis and a Kafka of this test's own (tests/integration/private_stack.py), stopped afterwards."""
    from tests.integration.private_stack import PrivateStack

    stack = PrivateStack(tmp_path)
    stack.up("redis", "kafka")
    yield stack
    stack.down()
