"""The config each topic should have: pure functions over the contracts' topic catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from smart_shelf.connect.configs import SINKS, heartbeat_topic
from smart_shelf.contracts import DEAD_LETTER_TOPICS, TOPICS, Cleanup

DAY_MS = 24 * 3600 * 1000
SEGMENT_BYTES = 256 * 1024 * 1024

APPEND_ONLY_CONFIG = {
    "cleanup.policy": "delete",
    "retention.ms": str(7 * DAY_MS),
    "segment.bytes": str(SEGMENT_BYTES),
}
# Compact eagerly (dirty ratio 0.01, hourly segments) so a replay of a state topic stays short.
COMPACTED_CONFIG = {
    "cleanup.policy": "compact",
    "min.cleanable.dirty.ratio": "0.01",
    "segment.ms": str(3600 * 1000),
    "delete.retention.ms": str(DAY_MS),
    "segment.bytes": str(SEGMENT_BYTES),
}
# Dead letters are kept longer than the events themselves: someone has to look at them.
DEAD_LETTER_CONFIG = {**APPEND_ONLY_CONFIG, "retention.ms": str(30 * DAY_MS)}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def desired_topics(default_partitions: int, replication_factor: int) -> list[TopicSpec]:
    specs = [
        TopicSpec(
            name=topic.name,
            partitions=topic.partitions or default_partitions,
            replication_factor=replication_factor,
            config=dict(COMPACTED_CONFIG if topic.cleanup is Cleanup.COMPACT else APPEND_ONLY_CONFIG),
        )
        for topic in TOPICS.values()
    ]
    specs += [
        TopicSpec(name, default_partitions, replication_factor, dict(DEAD_LETTER_CONFIG))
        for name in DEAD_LETTER_TOPICS
    ]
    # Kafka Connect's own: the sinks' dead letters and the CDC source's heartbeats (kept a day)
    specs += [
        TopicSpec(sink.dead_letter_topic, 1, replication_factor, dict(DEAD_LETTER_CONFIG)) for sink in SINKS
    ]
    specs.append(
        TopicSpec(
            heartbeat_topic(), 1, replication_factor, {**APPEND_ONLY_CONFIG, "retention.ms": str(DAY_MS)}
        )
    )
    return specs


def config_drift(desired: dict[str, str], actual: dict[str, str]) -> dict[str, str]:
    """The entries of `desired` that the live topic does not have (empty: nothing to align)."""
    return {key: value for key, value in desired.items() if actual.get(key) != value}
