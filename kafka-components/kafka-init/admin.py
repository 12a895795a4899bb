"""Create missing topics, grow partition counts, and align configs of topics that already exist."""

from __future__ import annotations

import logging
import time

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewPartitions, NewTopic
from kafka.errors import TopicAlreadyExistsError, for_code

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


def alter_topic_configs(admin: KafkaAdminClient, name: str, config: dict[str, str]) -> None:
    """Replace a topic's dynamic config; an error in the broker's answer raises."""
    response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs=config)])
    for error_code, message, _type, resource in response.resources:
        if error_code != 0:
            raise for_code(error_code)(f"altering {resource}: {message}")


def await_configs(
    admin: KafkaAdminClient, wanted: dict[str, dict[str, str]], deadline_seconds: float = 30.0
) -> None:
    """Wait until the broker shows every wanted config. Under KRaft the controller commits a change
    before the broker applies it from the metadata log, so a describe just after an alter can still
    show the old value."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        configs = describe_configs(admin, list(wanted))
        pending = {n: d for n, c in wanted.items() if (d := config_drift(c, configs.get(n, {})))}
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic configs not applied after {deadline_seconds:.0f} s: {pending}")
        time.sleep(0.2)


def ensure_topics(admin: KafkaAdminClient, specs: list[TopicSpec]) -> dict[str, str]:
    """Idempotent: returns {topic: what was done} with 'created', 'aligned', 'grown' or 'ok'.
    An aligned config is visible on the broker when this returns."""
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
    aligned: dict[str, dict[str, str]] = {}
    for spec in present:
        drift = config_drift(spec.config, configs.get(spec.name, {}))
        done = []
        if drift:
            # alter_configs replaces the topic's dynamic config, so send the whole desired set.
            alter_topic_configs(admin, spec.name, spec.config)
            aligned[spec.name] = spec.config
            done.append("aligned " + ",".join(sorted(drift)))
        if counts.get(spec.name, spec.partitions) < spec.partitions:
            admin.create_partitions({spec.name: NewPartitions(spec.partitions)})
            done.append(f"grown to {spec.partitions} partitions")
        actions[spec.name] = "; ".join(done) or "ok"
    if aligned:
        await_configs(admin, aligned)
    return actions
