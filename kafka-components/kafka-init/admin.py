"""Create missing topics, grow partition counts, and align configs of topics that already exist."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError

from kafka_components.kafka_init.topic_config import TopicSpec, config_drift

log = logging.getLogger(__name__)


def describe_configs(admin: KafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    out: dict[str, dict[str, str]] = {}
    for response in admin.describe_configs(resources):
        for error_code, _msg, _type, name, entries in response.resources:
            if error_code == 0:
                out[name] = {entry[0]: entry[1] for entry in entries}
    return out


def partition_counts(admin: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    return {t["topic"]: len(t["partitions"]) for t in admin.describe_topics(names)}


def ensure_topics(admin: KafkaAdminClient, specs: list[TopicSpec]) -> dict[str, str]:
    """Idempotent: returns {topic: what was done} with 'created', 'aligned', 'grown' or 'ok'."""
    existing = set(admin.list_topics())
    actions: dict[str, str] = {}
    missing = [s for s in specs if s.name not in existing]
    for spec in missing:
        try:
            admin.create_topics(
                [NewTopic(spec.name, spec.partitions, spec.replication_factor, topic_configs=spec.config)]
            )
            actions[spec.name] = "created"
        except TopicAlreadyExistsError:  # created by a concurrent init
            existing.add(spec.name)
    present = [s for s in specs if s.name in existing]
    if not present:
        return actions
    configs = describe_configs(admin, [s.name for s in present])
    counts = partition_counts(admin, [s.name for s in present])
    for spec in present:
        drift = config_drift(spec.config, configs.get(spec.name, {}))
        done = []
        if drift:
            # alter_configs replaces the topic's dynamic config, so send the whole desired set.
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=spec.config)])
            done.append("aligned " + ",".join(sorted(drift)))
        if counts.get(spec.name, spec.partitions) < spec.partitions:
            admin.create_partitions({spec.name: NewPartitions(spec.partitions)})
            done.append(f"grown to {spec.partitions} partitions")
        actions[spec.name] = "; ".join(done) or "ok"
    return actions
