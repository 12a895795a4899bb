"""kafka-init against the real broker: topics created, configs aligned, idempotent."""

from kafka_components.kafka_init.admin import (
    alter_topic_configs,
    await_configs,
    describe_configs,
    ensure_topics,
    partition_counts,
)
from kafka_components.kafka_init.topic_config import COMPACTED_CONFIG, TopicSpec, desired_topics
from smart_shelf.connect.configs import SINKS, heartbeat_topic
from smart_shelf.contracts import APPEND_ONLY, COMPACTED, DEAD_LETTER_TOPICS
from smart_shelf.kafka_client import make_admin


def test_the_stack_has_every_topic_with_its_cleanup_policy(stack, settings):
    admin = make_admin(settings, deadline_seconds=30)
    try:
        names = [*APPEND_ONLY, *COMPACTED, *DEAD_LETTER_TOPICS]
        configs = describe_configs(admin, names)
        assert set(names) <= set(admin.list_topics())
        for name in COMPACTED:
            assert configs[name]["cleanup.policy"] == "compact", name
        for name in (*APPEND_ONLY, *DEAD_LETTER_TOPICS):
            assert configs[name]["cleanup.policy"] == "delete", name
        assert set(partition_counts(admin, names).values()) == {settings.topic_partitions}
    finally:
        admin.close()


def test_ensure_topics_creates_then_reports_ok_then_repairs_drift(stack, settings, unique):
    admin = make_admin(settings, deadline_seconds=30)
    name = f"test.{unique}.state"
    spec = TopicSpec(name, 2, 1, dict(COMPACTED_CONFIG))
    try:
        assert ensure_topics(admin, [spec]) == {name: "created"}
        assert ensure_topics(admin, [spec]) == {name: "ok"}  # idempotent
        # Someone flips the topic to delete: the next run aligns it back.
        flipped = {**COMPACTED_CONFIG, "cleanup.policy": "delete"}
        alter_topic_configs(admin, name, flipped)
        await_configs(admin, {name: flipped})
        assert ensure_topics(admin, [spec])[name].startswith("aligned cleanup.policy")
        assert describe_configs(admin, [name])[name]["cleanup.policy"] == "compact"
        # More partitions wanted: the topic grows.
        grown = TopicSpec(name, 3, 1, dict(COMPACTED_CONFIG))
        assert "grown to 3" in ensure_topics(admin, [grown])[name]
        assert partition_counts(admin, [name]) == {name: 3}
    finally:
        admin.delete_topics([name])
        admin.close()


def test_broker_does_not_auto_create_topics(stack, settings, unique):
    from kafka import KafkaProducer
    from kafka.errors import KafkaTimeoutError

    producer = KafkaProducer(bootstrap_servers=settings.kafka_broker, max_block_ms=3000)
    name = f"test.{unique}.accidental"
    try:
        try:
            producer.send(name, b"x").get(timeout=5)
            sent = True
        except KafkaTimeoutError:
            sent = False
        assert not sent
        admin = make_admin(settings, deadline_seconds=30)
        assert name not in admin.list_topics()
        admin.close()
    finally:
        producer.close(timeout=5)


def test_desired_topics_cover_the_catalogue_and_kafka_connects_own():
    connect = {heartbeat_topic(), *(sink.dead_letter_topic for sink in SINKS)}
    assert {s.name for s in desired_topics(3, 1)} == {*APPEND_ONLY, *COMPACTED, *DEAD_LETTER_TOPICS, *connect}
