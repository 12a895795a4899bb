"""The shared settings: defaults, environment overrides, errors that name the variable, masking."""

import pytest

from smart_shelf.settings import Settings, SettingsError, get_settings


def test_defaults_are_the_embedded_loopback_stack(monkeypatch):
    for name in ("REDIS_HOST", "KAFKA_BROKER", "PG_HOST", "PG_PASS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.redis_host == "127.0.0.1" and settings.kafka_broker == "127.0.0.1:9092"
    assert (settings.pg_db, settings.pg_user) == ("smart_shelf", "bdt_user")
    assert settings.kafka_host_port == ("127.0.0.1", 9092)
    assert settings.sim_start.isoformat() == "2026-01-01T07:00:00+00:00"
    # the clock's contract defaults: real time unless asked otherwise
    assert (settings.use_simulated_time, settings.time_multiplier, settings.sim_days) == (False, 1.0, 365)
    assert settings.store_parquet == settings.data_dir / "store_inventory_final.parquet"


def test_environment_overrides_by_the_specification_names(monkeypatch):
    monkeypatch.setenv("KAFKA_BROKER", "kafka:9092")
    monkeypatch.setenv("PG_PASS", "s3cret")
    monkeypatch.setenv("SPARK_SHUFFLE_PARTITIONS", "3")
    settings = Settings(_env_file=None)
    assert settings.kafka_host_port == ("kafka", 9092)
    assert "password=s3cret" in settings.pg_dsn()
    assert settings.spark_shuffle_partitions == 3


def test_secrets_are_masked_in_the_logged_settings(monkeypatch):
    monkeypatch.setenv("PG_PASS", "s3cret")
    masked = Settings(_env_file=None).masked()
    assert "s3cret" not in str(masked)
    assert masked["pg_pass"] == "**********"


def test_dotenv_values_apply_and_the_environment_wins(monkeypatch, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("TIME_MULTIPLIER=60\nSEED=7\n")
    monkeypatch.setenv("SEED", "9")
    settings = Settings(_env_file=env_file)
    assert (settings.time_multiplier, settings.seed) == (60.0, 9)


@pytest.mark.parametrize(
    "name, value",
    [
        ("REDIS_PORT", "not-a-port"),
        ("SPARK_SHUFFLE_PARTITIONS", "200"),  # 2 to 4 on this design's 2-core target
        ("LOG_LEVEL", "LOUD"),
        ("SIM_START", "2026-01-01T07:00:00"),  # timestamps must carry an offset
    ],
)
def test_an_invalid_value_fails_naming_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=name):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_the_spark_class_archive_is_mapped_only_when_it_exists(monkeypatch, tmp_path):
    from smart_shelf.spark.class_archive import archive_option

    archive = tmp_path / "spark-classes.jsa"
    monkeypatch.setenv("SPARK_CLASS_ARCHIVE", str(archive))
    assert archive_option(Settings(_env_file=None)) == ""  # not made yet: Spark starts without it
    archive.write_bytes(b"archive")
    assert archive_option(Settings(_env_file=None)) == f"-XX:SharedArchiveFile={archive}"
    monkeypatch.setenv("SPARK_CLASS_ARCHIVE", "")  # turned off
    assert Settings(_env_file=None).spark_class_archive is None
    assert archive_option(Settings(_env_file=None)) == ""


def test_the_driver_s_own_options_come_after_the_code_cache_so_they_can_override_it(monkeypatch):
    from smart_shelf.spark.session import CODE_CACHE_OPTION, driver_java_options

    monkeypatch.setenv("SPARK_CLASS_ARCHIVE", "")
    monkeypatch.setenv("SPARK_JVM_OPTIONS", "-XX:ReservedCodeCacheSize=64m")
    options = driver_java_options(Settings(_env_file=None)).split()
    # the JVM takes the last value of an option given twice
    assert options.index(CODE_CACHE_OPTION) < options.index("-XX:ReservedCodeCacheSize=64m")
    assert options[0] == "-Duser.timezone=UTC"


def test_the_shelf_ledger_triggers_every_second_and_the_others_with_the_spark_trigger(monkeypatch):
    from smart_shelf.settings import BatchStateSettings, ShelfAggregatorSettings
    from smart_shelf.spark.session import trigger

    shelf, batches = ShelfAggregatorSettings(_env_file=None), BatchStateSettings(_env_file=None)
    assert trigger(shelf, shelf.ledger_seconds) == {"processingTime": "1.0 seconds"}
    assert trigger(batches, batches.ledger_seconds) == {"processingTime": "5.0 seconds"}
    monkeypatch.setenv("LEDGER_TRIGGER_SECONDS", "2")  # every ledger, the shelf's too
    for job in (ShelfAggregatorSettings, BatchStateSettings):
        settings = job(_env_file=None)
        assert trigger(settings, settings.ledger_seconds) == {"processingTime": "2.0 seconds"}
