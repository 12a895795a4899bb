"""Reading and writing for Spark jobs: Kafka in, contract validation, idempotent Delta and Postgres out.

A streaming job is `read_topic` -> `parse_with_contract` -> foreachBatch(`split_valid`, rules, writes).
Writes are idempotent per micro-batch, so a batch replayed after a crash changes nothing:
Delta appends carry (txnAppId, txnVersion) = (job/query, batch_id), Postgres writes upsert on keys.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import Event
from smart_shelf.postgres_client import upsert_rows
from smart_shelf.settings import Settings
from smart_shelf.spark.schemas import invalid_reason, not_a_json_object, struct_type
from smart_shelf.spark.session import TABLES, checkpoint_path, scheduler_pool, trigger

# A micro-batch reads each partition up to its end, where the consumer's next fetch waits on the
# broker for new records up to `fetch.max.wait.ms` (Kafka's default: 500 ms) and holds a task slot
# meanwhile: 50,000 records took 1.3 s to read to the end and 0.25 s with this (docs/benchmarks.md).
FETCH_MAX_WAIT_MS = 10


def read_topic(
    spark: SparkSession,
    settings: Settings,
    topic: str,
    *,
    starting_offsets: str = "earliest",
    max_offsets_per_trigger: int | None = None,
) -> DataFrame:
    """A stream of (key, value, topic, partition, offset, kafka_ts) with key and value as strings."""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_broker)
        .option("subscribe", topic)
        .option("startingOffsets", starting_offsets)
        .option("failOnDataLoss", "false")
        .option("kafka.fetch.max.wait.ms", str(FETCH_MAX_WAIT_MS))
    )
    if max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(max_offsets_per_trigger))
    return reader.load().select(
        F.col("key").cast("string").alias("key"),
        F.col("value").cast("string").alias("value"),
        "topic",
        "partition",
        "offset",
        F.col("timestamp").alias("kafka_ts"),
    )


def start_batch_query(
    stream: DataFrame,
    process: Callable[[DataFrame, int], object],
    settings: Settings,
    *,
    job: str,
    query: str,
    seconds: float | None = None,
    pool: str = TABLES,
) -> StreamingQuery:
    """A foreachBatch query with its own checkpoint (delta/_checkpoints/<job>/<query>), triggered
    every `seconds` (default SPARK_TRIGGER_SECONDS), its jobs in the scheduler pool `pool`."""
    with scheduler_pool(stream.sparkSession, pool):
        return (
            stream.writeStream.foreachBatch(process)
            .option("checkpointLocation", checkpoint_path(settings, job, query))
            .trigger(**trigger(settings, seconds))
            .queryName(f"{job}-{query}")
            .start()
        )


def deduplicated(df: DataFrame, id_column: str, window: str) -> DataFrame:
    """Drops a record whose id was seen within `window` of Kafka append time, across micro-batches
    (the ids live in the query's state store, so a restart keeps them).

    Duplicates come from retries (a bridge re-sending after a crash), close in arrival time however
    far apart their event times are: a fast simulated clock moves event time much faster.
    """
    return df.withWatermark("kafka_ts", window).dropDuplicatesWithinWatermark([id_column])


# A column of the projection that parses each record, referenced by `invalid_reason` (parse_with_contract
# says why); a partition id is never negative, so the check it adds never holds.
PARSED_ONCE = "_parsed_once"


def parse_with_contract(df: DataFrame, model: type[Event]) -> DataFrame:
    """Adds `event` (the parsed struct) and `invalid_reason` (null when the record is valid).

    Each record's JSON is parsed once. Spark's optimizer pushes a filter on `invalid_reason` below
    the projection that parses, inlining `from_json` into every check (one parse per required field,
    then one more for the projection), and an operator holding `from_json` or `get_json_object` runs
    without whole-stage code generation, its code generated again in every task. A non-deterministic
    column in the parsing projection (the partition id) that the reason refers to keeps the filters
    above it: 60,000 shelf events read in 0.76 s against 1.63 s (docs/benchmarks.md)."""
    parsed = F.from_json(F.col("value"), struct_type(model), {"mode": "PERMISSIVE"})
    stage = df.withColumns(  # one projection
        {
            "event": parsed,
            "_not_object": not_a_json_object(F.col("value")),
            PARSED_ONCE: F.spark_partition_id(),
        }
    )
    reason = F.when(F.col(PARSED_ONCE) < 0, F.lit("unreachable")).otherwise(
        invalid_reason(F.col("value"), F.col("event"), model, F.col("_not_object"))
    )
    return stage.withColumn("invalid_reason", reason).drop("_not_object", PARSED_ONCE)


def may_name(raw: Column, words: Sequence[str]) -> Column:
    """True for a JSON text that may hold one of `words` as a value: it holds the word as written,
    or a \\uXXXX escape (the one way JSON can spell a letter otherwise, so that text is parsed to be
    sure). Lets a query that reads a few records of a busy topic skip parsing the rest."""
    if any(c in '"\\/' or c < " " for word in words for c in word):
        raise ValueError(f"{words}: JSON has short escapes for these characters; name words without them")
    return reduce(operator.or_, (raw.contains(word) for word in words), raw.contains("\\u"))


def split_valid(parsed: DataFrame, source: str) -> tuple[DataFrame, DataFrame]:
    """(valid events flattened to their fields, dead letters: source, reason, raw, key, failed_at)."""
    valid = parsed.where(F.col("invalid_reason").isNull()).select("event.*")
    dead = parsed.where(F.col("invalid_reason").isNotNull()).select(
        F.lit(source).alias("source"),
        F.col("invalid_reason").alias("reason"),
        F.col("value").alias("raw"),
        F.col("key"),
        F.current_timestamp().alias("failed_at"),
    )
    return valid, dead


def append_delta(df: DataFrame, path: str, app_id: str, batch_id: int) -> None:
    """Append once per (app_id, batch_id): Delta skips a transaction version it has already seen."""
    (
        df.write.format("delta")
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", batch_id)
        .save(path)
    )


def publish(rows: DataFrame, settings: Settings, topic: str) -> None:
    """(key, value) string rows to a Kafka topic, idempotent producer, acks from all replicas."""
    (
        rows.select("key", "value")
        .write.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_broker)
        .option("kafka.enable.idempotence", "true")
        .option("kafka.acks", "all")
        .option("topic", topic)
        .save()
    )


def publish_dead_letters(dead: DataFrame, settings: Settings, topic: str) -> None:
    """Dead letters to their Kafka topic as JSON, keyed like the record they came from."""
    value = F.to_json(F.struct("source", "reason", "raw", "key", "failed_at"))
    publish(dead.select(F.col("key"), value.alias("value")), settings, topic)


def upsert_postgres(
    df: DataFrame,
    settings: Settings,
    table: str,
    key_columns: Sequence[str],
    *,
    update: bool = True,
    update_when: str | None = None,
    on_reject: Callable[[tuple, str], None] | None = None,
) -> int:
    """The frame's rows upserted into `table` (postgres_client.upsert_rows), streamed from the
    executors to the driver in chunks; meant for operational tables (states, alerts, plans), not raw
    event volumes, which belong in Delta."""
    rows = (tuple(row) for row in df.toLocalIterator())
    return upsert_rows(
        settings,
        table,
        df.columns,
        rows,
        key_columns,
        update=update,
        update_when=update_when,
        on_reject=on_reject,
    )


def dead_letters_out(
    dead: DataFrame, settings: Settings, quarantine_path: str, dlq_topic: str, app_id: str, batch_id: int
) -> int:
    """Refused records to delta/quarantine/<source> (once per batch) and to their dlq topic."""
    count = dead.count()
    if count:
        append_delta(dead, quarantine_path, app_id, batch_id)
        publish_dead_letters(dead, settings, dlq_topic)
    return count
