"""Kafka producer, consumer and admin clients with the project's delivery guarantees.

Producers are idempotent with acks=all, so a retried send never duplicates within a session;
consumers commit offsets only when told to (after the caller has written its result).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, NoBrokersAvailable
from pydantic import BaseModel

from smart_shelf.retry import retry
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)
# A broker that is down or not yet up; configuration errors are not retried.
_RETRYABLE = (NoBrokersAvailable, KafkaConnectionError, KafkaTimeoutError, OSError)
Row = TypeVar("Row", bound=BaseModel)
# The largest response a consumer accepts. kafka-python 2.3 refuses more than 1,000,000 bytes by default,
# less than one partition's fetch (max_partition_fetch_bytes, 1 MiB) and its headers: reading a backlog,
# the connection was dropped with "Invalid frame length" and the fetch sent again. A response is at
# most fetch_max_bytes (50 MiB) and its headers.
RECEIVE_MAX_BYTES = 100 * 1024 * 1024


def _encode(value: str | bytes | dict | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, dict):
        value = json.dumps(value, separators=(",", ":"))
    return value.encode("utf-8")


def make_producer(settings: Settings, *, deadline_seconds: float | None = None, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=settings.kafka_broker,
        acks="all",
        enable_idempotence=True,
        retries=2**31 - 1,
        max_in_flight_requests_per_connection=1,  # kafka-python's idempotent producer requires 1
        linger_ms=5,
        compression_type="gzip",
        key_serializer=_encode,
        value_serializer=_encode,
        client_id="smart-shelf",
    )
    config.update(overrides)
    return retry(
        lambda: KafkaProducer(**config),
        what=f"kafka producer {settings.kafka_broker}",
        deadline_seconds=deadline_seconds,
        max_delay=settings.retry_max_seconds,
        exceptions=_RETRYABLE,
    )


def make_consumer(
    settings: Settings,
    *topics: str,
    group_id: str | None,
    offset_reset: str = "earliest",
    deadline_seconds: float | None = None,
    **overrides,
) -> KafkaConsumer:
    """A consumer in `group_id` with auto-commit off: commit after the result is durable. With no
    group, a reader that commits nothing (assign it partitions and seek)."""
    config = dict(
        bootstrap_servers=settings.kafka_broker,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset=offset_reset,
        isolation_level="read_committed",
        client_id=f"smart-shelf-{group_id or 'reader'}",
        receive_message_max_bytes=RECEIVE_MAX_BYTES,
    )
    config.update(overrides)
    return retry(
        lambda: KafkaConsumer(*topics, **config),
        what=f"kafka consumer {group_id or 'reader'}@{settings.kafka_broker}",
        deadline_seconds=deadline_seconds,
        max_delay=settings.retry_max_seconds,
        exceptions=_RETRYABLE,
    )


def has_unread(consumer: KafkaConsumer) -> bool:
    """Whether records wait on the broker that the consumer has not read yet: its positions against
    the partitions' end offsets, asked of the broker now (the high watermark of the last fetch lags
    behind a consumer that polls without waiting). True while it cannot tell: no partition assigned
    yet, no position yet, or the broker not answering."""
    partitions = list(consumer.assignment())
    if not partitions:
        return True
    try:
        ends = consumer.end_offsets(partitions)
    except KafkaError:
        return True
    for partition in partitions:
        position = consumer.position(partition, timeout_ms=0)
        if position is None or position < ends.get(partition, 0):
            return True
    return False


def end_offsets(
    settings: Settings, topics: Iterable[str], *, deadline_seconds: float | None = None
) -> dict[tuple[str, int], int]:
    """{(topic, partition): end offset} of every partition of `topics` (those that exist), asked of
    the broker now."""
    consumer = make_consumer(settings, group_id=None, deadline_seconds=deadline_seconds)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or [])
        ]
        ends = consumer.end_offsets(partitions) if partitions else {}
        return {(tp.topic, tp.partition): end for tp, end in ends.items()}
    finally:
        consumer.close()


def make_admin(settings: Settings, *, deadline_seconds: float | None = None) -> KafkaAdminClient:
    return retry(
        lambda: KafkaAdminClient(bootstrap_servers=settings.kafka_broker, client_id="smart-shelf-admin"),
        what=f"kafka admin {settings.kafka_broker}",
        deadline_seconds=deadline_seconds,
        max_delay=settings.retry_max_seconds,
        exceptions=_RETRYABLE,
    )


def consumer_group_lag(settings: Settings, admin: KafkaAdminClient) -> dict[str, dict[str, int]]:
    """{group: {topic: total lag}} for every consumer group with committed offsets."""
    groups = [g[0] for g in admin.list_consumer_groups()]
    if not groups:
        return {}
    probe = KafkaConsumer(bootstrap_servers=settings.kafka_broker, enable_auto_commit=False)
    try:
        lag: dict[str, dict[str, int]] = {}
        for group in sorted(groups):
            committed = admin.list_consumer_group_offsets(group)
            partitions: Iterable[TopicPartition] = list(committed)
            ends = probe.end_offsets(list(partitions)) if partitions else {}
            per_topic: dict[str, int] = {}
            for tp, meta in committed.items():
                if meta.offset is None or meta.offset < 0:
                    continue
                per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(ends.get(tp, 0) - meta.offset, 0)
            lag[group] = per_topic
        return lag
    finally:
        probe.close()


def send_events(producer: KafkaProducer, topic: str, events: Iterable, timeout_s: float = 60.0) -> int:
    """Contract events to their topic, keyed as its contract says; returns once every one is acked
    (raises if one is not: the caller has not recorded them as sent)."""
    from smart_shelf.contracts import to_json, topic_contract

    contract = topic_contract(topic)
    futures = [
        producer.send(topic, key=contract.key_of(e.model_dump(mode="json")), value=to_json(e)) for e in events
    ]
    producer.flush(timeout_s)
    for future in futures:
        future.get(timeout=timeout_s)
    return len(futures)


def read_compacted(settings: Settings, topic: str, timeout_s: float = 60.0) -> dict[str, str]:
    """The latest value of every key of a compacted topic, read from its start to its current end
    (what the topic says now, fresher than any table that follows it)."""
    consumer = retry(
        lambda: KafkaConsumer(
            bootstrap_servers=settings.kafka_broker,
            enable_auto_commit=False,
            group_id=None,
            isolation_level="read_committed",
            consumer_timeout_ms=1000,
        ),
        what=f"kafka consumer {settings.kafka_broker}",
        deadline_seconds=timeout_s,
        max_delay=settings.retry_max_seconds,
        exceptions=_RETRYABLE,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            raise ValueError(f"topic {topic!r} does not exist")
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        latest: dict[str, str] = {}
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            for records in consumer.poll(timeout_ms=1000, max_records=5000).values():
                for record in records:
                    if record.key is not None and record.value is not None:
                        latest[record.key.decode()] = record.value.decode()
        return latest
    finally:
        consumer.close()


def latest_rows(settings: Settings, topic: str, model: type[Row]) -> list[Row]:
    """The latest value of every key of a compacted state topic, as `model` rows (read_compacted)."""
    return [model.model_validate_json(value) for value in read_compacted(settings, topic).values()]
