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
    assert {s.partitions for s in specs.values() if not s.name.startswith(("dlq.connect.", "__"))} == {3}
    # 18 contract topics + 7 dead-letter topics + Kafka Connect's: 5 sink dead letters, 1 heartbeat
    assert len(specs) == 31
    assert specs["dlq.connect.shelf_state"].config["cleanup.policy"] == "delete"
    assert specs["__debezium-heartbeat.cdc"].config["retention.ms"] == str(24 * 3600 * 1000)


def test_config_drift_lists_only_what_differs():
    desired = {"cleanup.policy": "compact", "segment.ms": "3600000"}
    assert config_drift(desired, {"cleanup.policy": "compact", "segment.ms": "3600000", "x": "1"}) == {}
    assert config_drift(desired, {"cleanup.policy": "delete", "segment.ms": "3600000"}) == {
        "cleanup.policy": "compact"
    }
    assert config_drift(desired, {}) == desired
