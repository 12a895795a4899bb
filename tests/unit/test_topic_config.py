"""kafka-init's desired topic configs and drift detection (pure)."""

from kafka_components.kafka_init.topic_config import config_drift, desired_topics


def test_every_contract_topic_and_dead_letter_topic_is_desired():
    specs = {s.name: s for s in desired_topics(3, 1)}
    assert specs["shelf_state"].config["cleanup.policy"] == "compact"
    assert specs["shelf_events"].config["cleanup.policy"] == "delete"
    assert specs["dlq.shelf_events"].config["cleanup.policy"] == "delete"
    # dead letters outlive the events they came from
    assert int(specs["dlq.shelf_events"].config["retention.ms"]) > int(
        specs["shelf_events"].config["retention.ms"]
    )
    assert {s.partitions for s in specs.values()} == {3}
    assert len(specs) == 23  # 17 contract topics + 6 dead-letter topics


def test_config_drift_lists_only_what_differs():
    desired = {"cleanup.policy": "compact", "segment.ms": "3600000"}
    assert config_drift(desired, {"cleanup.policy": "compact", "segment.ms": "3600000", "x": "1"}) == {}
    assert config_drift(desired, {"cleanup.policy": "delete", "segment.ms": "3600000"}) == {
        "cleanup.policy": "compact"
    }
    assert config_drift(desired, {}) == desired
