"""One typed, frozen settings object shared by every service.

Variable names and meanings follow the specification; hosts default to loopback so that the
native run works with no configuration, and docker-compose overrides them with service names.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    AwareDatetime,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from smart_shelf.paths import REPO_ROOT

log = logging.getLogger(__name__)


class SettingsError(RuntimeError):
    """A variable is missing or invalid; the message names it."""


class Settings(BaseSettings):
    # .env (copied from .env.example by `make setup`) is read by the native run as by docker compose;
    # the process environment wins over it.
    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=False,
        extra="ignore",
        env_file=REPO_ROOT / ".env",
        env_file_encoding="utf-8",
    )

    # --- Redis (streams and the simulated clock)
    redis_host: str = "127.0.0.1"
    redis_port: int = Field(6379, ge=1, le=65535)
    redis_db: int = Field(0, ge=0)

    # --- Kafka and Kafka Connect
    kafka_broker: str = "127.0.0.1:9092"
    kafka_controller_port: int = Field(9093, ge=1, le=65535)
    topic_partitions: int = Field(3, ge=1)
    topic_replication_factor: int = Field(1, ge=1)
    kafka_connect_url: str = "http://127.0.0.1:8083"

    # --- Redis -> Kafka bridge
    stream_topic_map: str = (
        "foot_traffic=foot_traffic,foot_traffic:realistic=foot_traffic_realistic,"
        "shelf_events=shelf_events,pos_transactions=pos_transactions"
    )
    redis_group: str = "redis-kafka-bridge"
    redis_consumer: str = Field(default_factory=socket.gethostname)
    batch_count: int = Field(500, ge=1, le=10000)
    block_ms: int = Field(1000, ge=1)
    claim_idle_ms: int = Field(60000, ge=1000)
    # how long the bridge waits for Kafka to acknowledge a batch before it calls Kafka away
    send_timeout_s: float = Field(30.0, gt=0)
    stream_maxlen: int = Field(200000, ge=1000)

    # --- PostgreSQL
    pg_host: str = "127.0.0.1"
    pg_port: int = Field(5432, ge=1, le=65535)
    pg_db: str = "smart_shelf"
    pg_user: str = "bdt_user"
    pg_pass: SecretStr = SecretStr("bdt_password")
    pg_readonly_user: str = "dashboard_ro"
    pg_readonly_pass: SecretStr = SecretStr("dashboard_ro_password")

    # --- Spark and Delta
    spark_master: str = "local[2]"
    # one per core: each stateful partition costs a state store commit per micro-batch
    spark_shuffle_partitions: int = Field(2, ge=2, le=4)
    # the heap (ledgers live in Python, the dedupe state in RocksDB): a day at 720x keeps about
    # 230 MiB live after a full collection
    spark_driver_memory: str = "512m"
    # The driver JVM's own options. The parallel collector: G1's remembered sets and regions cost
    # 70 MiB resident beside a 768 MiB heap, and its pauses matter little between micro-batches.
    # The quick JIT compiler only: the optimising one cost a session's start and first jobs 45
    # against 27 CPU seconds, and bought the ledgers no throughput (their time goes to Python,
    # Arrow and RocksDB): 12,600 against 12,900 events/s over the same backlog.
    spark_jvm_options: str = "-XX:+UseParallelGC -XX:TieredStopAtLevel=1"
    # The classes a Spark JVM loads, archived by `make setup` and mapped by every Spark JVM instead
    # of loaded and verified again (smart_shelf.spark.class_archive); empty or no such file: none.
    spark_class_archive: Path | None = REPO_ROOT / "jars" / "spark-classes.jsa"
    spark_trigger_seconds: float = Field(5.0, gt=0)
    # How often the ledgers (shelf, warehouse and batch stock, the alert engines, the restock plans)
    # take their next micro-batch: the wait on the path from an event to its state and alerts.
    # Unset: SPARK_TRIGGER_SECONDS (the shelf ledger's own default is below).
    ledger_trigger_seconds: float | None = Field(None, gt=0)
    # How often the Delta tables nothing waits on (raw events, the state tables' mirrors of their
    # topics) are written: each write costs seconds whatever its size, so they batch more.
    delta_trigger_seconds: float = Field(30.0, gt=0)
    # Process what the topics hold, then stop (catch-up runs and tests), instead of every few seconds.
    spark_available_now: bool = False
    starting_offsets: str = "earliest"
    max_offsets_per_trigger: int | None = Field(None, ge=1)
    delta_root: Path = REPO_ROOT / "delta"
    # How long (Kafka append time) an event id is remembered to drop a re-sent copy: longer than a
    # bridge or producer takes to re-send after a crash.
    dedupe_window: str = Field("30 minutes", pattern=r"^\d+ (seconds?|minutes?|hours?)$")
    spark_jars_dir: Path = REPO_ROOT / "jars" / "spark"
    # How often the Spark application logs a line per query (its last batch and where the time went).
    spark_progress_seconds: float = Field(60.0, gt=0)

    # --- Data files (paths default to files under DATA_DIR)
    data_dir: Path = REPO_ROOT / "data"
    store_parquet: Path | None = None
    store_csv_path: Path | None = None
    discount_parquet_path: Path | None = None
    catalogue_scale: float = Field(1.0, gt=0, le=100)

    # --- Simulation
    seed: int | None = None
    use_simulated_time: bool = False
    time_multiplier: float = Field(1.0, gt=0)
    step_seconds: float = Field(1.0, gt=0)
    sim_days: int = Field(365, ge=1)
    sim_start: AwareDatetime = datetime.fromisoformat("2026-01-01T07:00:00+00:00")
    # Who plans supplier orders: `rule` (wh-alert-engine's reorder points, the default) or `ml` (the
    # inference service's forecasts, before each cutoff; the alert engine then plans none itself).
    order_policy: Literal["rule", "ml"] = "rule"

    # --- Kafka Connect CDC (the Postgres source's replication slot and publication)
    debezium_slot: str = "smart_shelf_cdc"
    debezium_publication: str = "smart_shelf_cdc"
    # how long connect-init waits for every connector and task to be RUNNING
    connect_init_timeout_seconds: float = Field(180.0, gt=0)

    # --- Runtime
    run_dir: Path = REPO_ROOT / "var"
    log_dir: Path = REPO_ROOT / "logs"
    log_level: str = "INFO"
    retry_max_seconds: float = Field(30.0, gt=0)

    @field_validator("spark_class_archive", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value == "" else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _data_paths(self) -> Settings:
        defaults = {
            "store_parquet": self.data_dir / "store_inventory_final.parquet",
            "store_csv_path": self.data_dir / "db_csv" / "store_inventory_final.csv",
            "discount_parquet_path": self.data_dir / "all_discounts.parquet",
        }
        return self._fill_unset(defaults)

    def _fill_unset(self, defaults: dict[str, Path]):
        """Paths left unset take their defaults, derived from other settings."""
        for name, path in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, path)  # frozen: filled once, at validation
        return self

    @property
    def data_seed(self) -> int:
        """The generators' seed: SEED, or 42 so that an unset SEED still reproduces the same store."""
        return 42 if self.seed is None else self.seed

    @property
    def dedupe_window_seconds(self) -> int:
        """DEDUPE_WINDOW ("30 minutes") in seconds."""
        amount, unit = self.dedupe_window.split()
        return int(amount) * {"s": 1, "m": 60, "h": 3600}[unit[0]]

    @property
    def ledger_seconds(self) -> float:
        """The ledgers' micro-batch interval: LEDGER_TRIGGER_SECONDS, else SPARK_TRIGGER_SECONDS."""
        return self.ledger_trigger_seconds or self.spark_trigger_seconds

    @property
    def checkpoint_root(self) -> Path:
        return self.delta_root / "_checkpoints"

    @property
    def kafka_host_port(self) -> tuple[str, int]:
        first = self.kafka_broker.split(",")[0]
        host, _, port = first.rpartition(":")
        return host or "127.0.0.1", int(port)

    def pg_dsn(self, *, readonly: bool = False) -> str:
        """libpq key/value DSN; the password is only put here, never logged."""
        user = self.pg_readonly_user if readonly else self.pg_user
        password = (self.pg_readonly_pass if readonly else self.pg_pass).get_secret_value()
        return (
            f"host={self.pg_host} port={self.pg_port} dbname={self.pg_db} "
            f"user={user} password={password} connect_timeout=5"
        )

    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.pg_host}:{self.pg_port}/{self.pg_db}"

    def masked(self) -> dict[str, object]:
        """The effective settings with secrets masked, for the start-up log line."""
        return {name: str(value) for name, value in self.model_dump().items()}


class FootTrafficSettings(Settings):
    """kafka-producer-foot_traffic (seeds 002 and 004)."""

    redis_stream: str = "foot_traffic"
    default_daily_customers: int = Field(1000, ge=0)
    base_daily_customers: int | None = Field(None, ge=0)
    daily_customers: int | None = Field(None, ge=0)
    daily_variation_pct: float = Field(0.10, ge=0, lt=1)
    disable_daily_variation: bool = False


class ShelfProducerSettings(Settings):
    """kafka-producer-shelf (seed 000)."""

    kafka_topic_foot: str = "foot_traffic"
    kafka_topic_shelf: str = "shelf_events"
    redis_stream: str = "shelf_events"
    group_id_foot: str = "shelf-foot-listener"
    group_id_restock: str = "shelf-restock-listener"
    kafka_topic_removal_orders: str = "removal_orders"
    group_id_removal: str = "shelf-removal-listener"
    shelf_idle_sleep: float = Field(0.01, gt=0)
    putback_prob: float = Field(0.15, ge=0, le=1)
    store_file_retry_seconds: float = Field(10.0, gt=0)
    daily_discount_table: str = "analytics.daily_discounts"


class PosProducerSettings(Settings):
    """kafka-producer-pos (seed 001)."""

    foot_topic: str = "foot_traffic"
    shelf_topic: str = "shelf_events"
    pos_topic: str = "pos_transactions"
    group_id_shelf: str = "pos-simulator-shelf"
    group_id_foot: str = "pos-simulator-foot"
    force_checkout_if_empty: bool = False
    max_session_age_sec: int = Field(10800, gt=0)
    daily_discount_table: str = "analytics.daily_discounts"


class SparkJobSettings(Settings):
    """What every Spark job shares: the alerts topic it raises alerts on."""

    topic_alerts: str = "alerts"


class FootTrafficSinkSettings(SparkJobSettings):
    """spark-apps/foot-traffic-raw-sink."""

    topic_foot_traffic: str = "foot_traffic"
    topic_foot_traffic_realistic: str = "foot_traffic_realistic"


class ShelfAggregatorSettings(SparkJobSettings):
    """spark-apps/shelf-aggregator."""

    topic_shelf_events: str = "shelf_events"
    topic_shelf_state: str = "shelf_state"
    # The shelf ledger is what the shop floor and the dashboard watch, so it takes a batch every
    # second; the other ledgers every SPARK_TRIGGER_SECONDS (docs/benchmarks.md: what each costs).
    ledger_trigger_seconds: float | None = Field(1.0, gt=0)


class BatchStateSettings(SparkJobSettings):
    """spark-apps/batch-state-updater."""

    topic_pos_transactions: str = "pos_transactions"
    topic_shelf_events: str = "shelf_events"
    topic_batch_state: str = "shelf_batch_state"
    prob_earliest_expiry: float = Field(0.80, ge=0, le=1)
    write_to_pg: bool = True  # transactions and their lines into ops.pos_transactions(_items)


class WarehouseAggregatorSettings(SparkJobSettings):
    """spark-apps/wh-aggregator."""

    topic_wh_events: str = "wh_events"
    topic_wh_state: str = "wh_state"


class WarehouseBatchSettings(SparkJobSettings):
    """spark-apps/wh-batch-state-updater."""

    topic_wh_events: str = "wh_events"
    topic_wh_batch: str = "wh_batch_state"


class AlertsSinkSettings(SparkJobSettings):
    """spark-apps/alerts-sink."""

    write_to_pg: bool = True
    pg_table: str = "ops.alerts"


class ShelfAlertEngineSettings(SparkJobSettings):
    """spark-apps/shelf-alert-engine."""

    topic_shelf_state: str = "shelf_state"
    topic_wh_state: str = "wh_state"
    topic_shelf_batch_state: str = "shelf_batch_state"
    topic_shelf_events: str = "shelf_events"
    topic_restock: str = "shelf_restock_plan"
    topic_shelf_policies: str = "shelf_policies"
    write_to_pg: bool = True


class RestockManagerSettings(SparkJobSettings):
    """spark-apps/shelf-restock-manager."""

    topic_restock: str = "shelf_restock_plan"
    topic_wh_batch: str = "wh_batch_state"
    topic_wh_events: str = "wh_events"


class ClockJobSettings(SparkJobSettings):
    """Jobs that act at moments of the simulated clock, checked every POLL_SECONDS (real seconds)."""

    poll_seconds: float = Field(10.0, gt=0)


class RefillBridgeSettings(ClockJobSettings):
    """spark-apps/shelf-refill-bridge."""

    topic_wh_events: str = "wh_events"
    topic_shelf_events: str = "shelf_events"
    delay_minutes: float = Field(3.0, ge=0)
    poll_seconds: float = Field(2.0, gt=0)


class WarehouseAlertEngineSettings(SparkJobSettings):
    """spark-apps/wh-alert-engine."""

    topic_wh_state: str = "wh_state"
    topic_wh_supplier_plan: str = "wh_supplier_plan"
    topic_wh_policies: str = "wh_policies"
    write_to_pg: bool = True


class SupplierManagerSettings(ClockJobSettings):
    """spark-apps/wh-supplier-manager (weekdays as Python counts them: Monday = 0)."""

    topic_wh_supplier_plan: str = "wh_supplier_plan"
    topic_wh_events: str = "wh_events"
    topic_wh_state: str = "wh_state"  # the warehouse stock a delivery must fit in
    cutoff_dows: str = "6,1,3"
    cutoff_hour: int = Field(12, ge=0, le=23)
    cutoff_minute: int = Field(0, ge=0, le=59)
    delivery_dows: str = "0,2,4"
    delivery_hour: int = Field(8, ge=0, le=23)
    delivery_minute: int = Field(0, ge=0, le=59)
    write_to_pg: bool = True
    # ORDER_POLICY=ml: how long (simulated) a cutoff waits for the forecast's plans to be recorded
    forecast_wait_minutes: int = Field(120, ge=0)


class DailyDiscountSettings(ClockJobSettings):
    """spark-apps/daily-discount-manager."""

    topic_daily_discounts: str = "daily_discounts"
    topic_shelf_batch_state: str = "shelf_batch_state"
    discount_min: float = Field(0.30, ge=0, le=1)
    discount_max: float = Field(0.50, ge=0, le=1)
    write_to_pg: bool = True


class RemovalSettings(ClockJobSettings):
    """spark-apps/removal-scheduler."""

    topic_removal_orders: str = "removal_orders"
    topic_shelf_batch_state: str = "shelf_batch_state"
    remove_mode: str = Field("next_day", pattern="^(next_day|same_day_evening)$")
    poll_seconds: float = Field(5.0, gt=0)


class ShelfDailySettings(ClockJobSettings):
    """spark-apps/shelf-daily-features: a day is summarised at CLOSE_HOUR of the next (simulated)."""

    close_hour: int = Field(6, ge=1, le=23)
    write_to_pg: bool = True
    poll_seconds: float = Field(60.0, gt=0)


class TrainingSettings(Settings):
    """ml-model/training-service."""

    model_name: str = "demand_xgb"
    artifact_dir: Path = REPO_ROOT / "models"
    holdout_days: int = Field(28, ge=7)  # held out at the end of the history: one origin per cutoff


class InferenceSettings(TrainingSettings):
    """ml-model/inference-service: runs on each supplier cutoff's day at RUN_HOUR:RUN_MINUTE (before the
    cutoff, CUTOFF_HOUR:CUTOFF_MINUTE of wh-supplier-manager's settings)."""

    run_hour: int = Field(11, ge=0, le=23)
    run_minute: int = Field(30, ge=0, le=59)
    order_service_level: float = Field(0.95, gt=0, lt=1)  # the forecast quantile orders bring stock to
    topic_wh_supplier_plan: str = "wh_supplier_plan"
    heartbeat_seconds: float = Field(60.0, gt=0)  # a log line this often (real seconds) while waiting


class DashboardSettings(Settings):
    """dashboard (seed 003: the variable names and their alternatives are the specification's)."""

    dash_host: str = "127.0.0.1"  # 0.0.0.0 in a container, to be reachable through its port
    dash_port: int = Field(8501, ge=1, le=65535)
    dash_layout_yaml: Path = Field(
        REPO_ROOT / "dashboard" / "store_layout.yaml",
        validation_alias=AliasChoices("dash_layout_yaml", "layout_yaml"),
    )
    # how often the live parts of a page refresh (and how long a query's answer is reused)
    dash_autorefresh_ms: int = Field(
        5000, ge=500, validation_alias=AliasChoices("dash_autorefresh_ms", "dash_refresh_ms")
    )
    # the store map marks shelves weighed within this many simulated seconds
    weight_event_lookback_sec: int = Field(120, ge=1)
    weight_event_type: str = "weight_change"
    delta_shelf_events_path: Path | None = Field(
        None, validation_alias=AliasChoices("delta_shelf_events_path", "delta_events_path")
    )
    delta_supplier_plan_path: Path | None = None
    delta_supplier_orders_path: Path | None = None
    base_daily_customers: int = Field(1000, ge=0)  # what the arrival model expects, for comparison

    @model_validator(mode="after")
    def _delta_paths(self) -> DashboardSettings:
        defaults = {
            "delta_shelf_events_path": self.delta_root / "raw" / "shelf_events",
            "delta_supplier_plan_path": self.delta_root / "ops" / "wh_supplier_plan",
            "delta_supplier_orders_path": self.delta_root / "ops" / "wh_supplier_orders",
        }
        return self._fill_unset(defaults)


@functools.cache
def get_settings() -> Settings:
    """Load settings once per process; a bad variable stops start-up with its name."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


def load_dotenv(path: Path = REPO_ROOT / ".env") -> None:
    """Put .env's variables into this process's environment (without overriding it), so that the
    native runner sees e.g. KAFKA_BROKER set there and treats Kafka as external, as services will."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


def log_settings(settings: Settings, service: str) -> None:
    log.info("%s starting with settings %s", service, settings.masked())
