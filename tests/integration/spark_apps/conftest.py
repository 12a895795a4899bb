"""Fixtures of the Spark job tests."""

import pytest

from spark_apps.spark_init_delta.create import create_tables


@pytest.fixture
def common(stack, settings, tmp_path, spark, topic_factory):
    """Settings every job under test shares: its own Delta root (tables created), the running
    Postgres and Kafka, availableNow runs, and an alerts topic of the test's own."""
    create_tables(tmp_path / "delta")
    return dict(
        _env_file=None,
        delta_root=tmp_path / "delta",
        pg_host=settings.pg_host,
        pg_port=settings.pg_port,
        kafka_broker=settings.kafka_broker,
        spark_available_now=True,
        topic_alerts=topic_factory("alerts", dead_letters=True),
    )
