"""shelf-aggregator: shelf_events -> delta/raw/shelf_events, delta/cleansed/shelf_state, topic shelf_state.

Exactly once, per micro-batch:
  1. parse and validate; refused records and events of unknown shelves -> quarantine + dlq topic;
  2. new events = the batch's events (deduplicated by event_id) not yet in delta/raw/shelf_events,
     read at the version the batch started from, so a recomputation sees the same set;
  3. MERGE the moved shelves into the state, then append the new events to raw, each write
     skipped if this batch already committed it (Delta txnAppId/txnVersion);
  4. publish the current state of every shelf the batch touched to the compacted topic.
A batch replayed after a crash at any point therefore changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import ShelfEvent, ShelfState, dead_letter_topic
from smart_shelf.delta_io import current_version, read_version, upsert
from smart_shelf.settings import ShelfAggregatorSettings
from smart_shelf.spark import delta_path
from smart_shelf.spark_io import (
    append_delta,
    dead_letters_out,
    parse_with_contract,
    read_topic,
    split_valid,
    start_batch_query,
    unseen_events,
)
from spark_apps.shelf_aggregator.transforms import apply_movements, stock_movements, unknown_shelves

log = logging.getLogger(__name__)
JOB = "shelf-aggregator"
STATE_COLUMNS = list(ShelfState.model_fields)


@dataclass(frozen=True)
class Paths:
    raw: str
    state: str
    quarantine: str

    @classmethod
    def of(cls, settings: ShelfAggregatorSettings) -> Paths:
        return cls(
            delta_path(settings, "raw", "shelf_events"),
            delta_path(settings, "cleansed", "shelf_state"),
            delta_path(settings, "quarantine", "shelf_events"),
        )


def bootstrap(spark: SparkSession, settings: ShelfAggregatorSettings, paths: Paths) -> bool:
    """An empty state starts from the store inventory in Postgres (ref.store_inventory)."""
    if not spark.read.format("delta").load(paths.state).isEmpty():
        return False
    inventory = spark.read.jdbc(
        settings.jdbc_url(),
        "ref.store_inventory",
        properties={
            "user": settings.pg_user,
            "password": settings.pg_pass.get_secret_value(),
            "driver": "org.postgresql.Driver",
        },
    )
    rows = inventory.select(
        "shelf_id",
        F.col("current_stock").cast("long").alias("current_stock"),
        F.col("item_weight").cast("double").alias("item_weight"),
        (F.col("current_stock") * F.col("item_weight")).cast("double").alias("shelf_weight"),
        F.lit(settings.sim_start).cast("timestamp").alias("last_update_ts"),
    )
    append_delta(rows, paths.state, f"{JOB}/bootstrap", 0)
    log.info("shelf state bootstrapped from ref.store_inventory")
    return True


def publish_state(rows: DataFrame, settings: ShelfAggregatorSettings) -> None:
    """State rows to the compacted topic, keyed by shelf_id (the latest value per shelf wins)."""
    (
        rows.select(F.col("shelf_id").alias("key"), F.to_json(F.struct(*STATE_COLUMNS)).alias("value"))
        .write.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_broker)
        .option("kafka.enable.idempotence", "true")
        .option("kafka.acks", "all")
        .option("topic", settings.topic_shelf_state)
        .save()
    )


def process_batch(
    spark: SparkSession, settings: ShelfAggregatorSettings, paths: Paths, batch: DataFrame, batch_id: int
) -> None:
    # parsed once: every later step reads the cached rows, not Kafka again
    parsed = parse_with_contract(batch, ShelfEvent).persist()
    valid, dead = split_valid(parsed, settings.topic_shelf_events)
    valid = valid.dropDuplicates(["event_id"])
    state = read_version(spark, paths.state, current_version(spark, paths.state))
    unknown = unknown_shelves(valid, state)
    known = valid.join(unknown.select("event_id"), "event_id", "left_anti")
    new = unseen_events(spark, known, paths.raw).persist()
    # new: the events this state has not counted yet -> per shelf movements -> new state rows
    updated = apply_movements(state, stock_movements(new)).persist()
    for row in updated.where("shortfall > 0").select("shelf_id", "shortfall").collect():
        log.warning("shelf %s: %d units taken that the ledger did not have; stock kept at 0", *row)
    upsert(
        spark, paths.state, updated.drop("shortfall"), ["shelf_id"], app_id=f"{JOB}/state", version=batch_id
    )
    # `new` holds no event of raw (pinned version), so a plain append, once per batch, is enough
    append_delta(new, paths.raw, f"{JOB}/raw", batch_id)
    updated.unpersist()
    new.unpersist()

    dead = dead.unionByName(
        unknown.select(
            F.lit(settings.topic_shelf_events).alias("source"),
            F.concat(F.lit("unknown shelf: "), F.coalesce("shelf_id", "item_id")).alias("reason"),
            F.to_json(F.struct(*ShelfEvent.model_fields)).alias("raw"),
            F.col("customer_id").alias("key"),
            F.current_timestamp().alias("failed_at"),
        )
    ).persist()
    dead_letters_out(
        dead,
        settings,
        paths.quarantine,
        dead_letter_topic(settings.topic_shelf_events),
        f"{JOB}/quarantine",
        batch_id,
    )
    dead.unpersist()

    touched = known.select(F.coalesce("shelf_id", "item_id").alias("shelf_id")).distinct()
    current = spark.read.format("delta").load(paths.state).join(touched, "shelf_id")
    publish_state(current.select(*STATE_COLUMNS), settings)
    parsed.unpersist()


def start(spark: SparkSession, settings: ShelfAggregatorSettings) -> StreamingQuery:
    paths = Paths.of(settings)
    bootstrap(spark, settings, paths)
    publish_state(spark.read.format("delta").load(paths.state), settings)  # the topic converges on start
    events = read_topic(
        spark,
        settings,
        settings.topic_shelf_events,
        starting_offsets=settings.starting_offsets,
        max_offsets_per_trigger=settings.max_offsets_per_trigger,
    )
    process = partial(process_batch, spark, settings, paths)
    return start_batch_query(events, process, settings, job=JOB, query="shelf_events")
