"""The Kafka Connect worker: healthy, with the Debezium source and JDBC sink plugins loaded."""

import requests


def test_connect_worker_serves_the_debezium_plugins(stack, settings):
    plugins = requests.get(f"{settings.kafka_connect_url}/connector-plugins", timeout=10).json()
    classes = {p["class"] for p in plugins}
    assert "io.debezium.connector.postgresql.PostgresConnector" in classes
    assert "io.debezium.connector.jdbc.JdbcSinkConnector" in classes


def test_connect_worker_reports_its_kafka_cluster(stack, settings):
    info = requests.get(f"{settings.kafka_connect_url}/", timeout=10).json()
    assert info["version"].startswith("4.")
    assert info["kafka_cluster_id"]
