"""Reading and writing for Spark jobs: Kafka in, contract validation, idempotent Delta and Postgres out.

A streaming job is `read_topic` -> `parse_with_contract` -> foreachBatch(`split_valid`, rules, writes).
Writes are idempotent per micro-batch, so a batch replayed after a crash changes nothing:
Delta appends carry (txnAppId, txnVersion) = (job/query, batch_id), Postgres writes upsert on keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg2
from psycopg2 import sql
from psycopg2.extras import execute_values
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import Event
from smart_shelf.postgres_client import connect_postgres
from smart_shelf.settings import Settings
from smart_shelf.spark import checkpoint_path, trigger
from smart_shelf.spark_schemas import invalid_reason, struct_type

PG_BATCH_ROWS = 1000


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
) -> StreamingQuery:
    """A foreachBatch query with its own checkpoint (delta/_checkpoints/<job>/<query>), triggered
    every `seconds` (default SPARK_TRIGGER_SECONDS)."""
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


def parse_with_contract(df: DataFrame, model: type[Event]) -> DataFrame:
    """Adds `event` (the parsed struct) and `invalid_reason` (null when the record is valid)."""
    parsed = F.from_json(F.col("value"), struct_type(model), {"mode": "PERMISSIVE"})
    return df.withColumn("event", parsed).withColumn(
        "invalid_reason", invalid_reason(F.col("value"), F.col("event"), model)
    )


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
    """INSERT .. ON CONFLICT (keys) DO UPDATE (or DO NOTHING): replaying a batch changes nothing.

    `update_when`: a condition on the row (`t`) and the proposed one (`EXCLUDED`) for the update,
    e.g. "EXCLUDED.status >= t.status" so that a status only moves forward.

    Rows are streamed from the executors to the driver in chunks; meant for operational tables
    (states, alerts, plans), not raw event volumes, which belong in Delta.
    """
    columns = df.columns
    schema_name, _, table_name = table.rpartition(".")
    target = sql.Identifier(schema_name, table_name) if schema_name else sql.Identifier(table_name)
    conflict = sql.SQL(", ").join(map(sql.Identifier, key_columns))
    updates = [c for c in columns if c not in key_columns]
    if update and updates:
        action = sql.SQL("DO UPDATE SET ") + sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates
        )
        if update_when:
            action += sql.SQL(" WHERE ") + sql.SQL(update_when)
    else:
        action = sql.SQL("DO NOTHING")
    statement = sql.SQL("INSERT INTO {} AS t ({}) VALUES %s ON CONFLICT ({}) {}").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns)), conflict, action
    )
    written = 0
    conn = connect_postgres(settings, deadline_seconds=120)
    try:
        with conn, conn.cursor() as cur:
            query = statement.as_string(cur)
            chunk: list[tuple] = []
            for row in df.toLocalIterator():
                chunk.append(tuple(row))
                if len(chunk) >= PG_BATCH_ROWS:
                    written += _write_chunk(cur, query, chunk, on_reject)
                    chunk = []
            if chunk:
                written += _write_chunk(cur, query, chunk, on_reject)
    finally:
        conn.close()
    return written


def _write_chunk(cur, query: str, chunk: list[tuple], on_reject: Callable[[tuple, str], None] | None) -> int:
    """The chunk in one statement; with `on_reject`, a chunk a constraint refuses is written row by
    row instead, and each refused row is handed to on_reject with the database's reason."""
    if on_reject is None:
        execute_values(cur, query, chunk)
        return len(chunk)
    try:
        cur.execute("SAVEPOINT chunk")
        execute_values(cur, query, chunk)
        return len(chunk)
    except psycopg2.IntegrityError:
        cur.execute("ROLLBACK TO SAVEPOINT chunk")
    written = 0
    for row in chunk:
        try:
            cur.execute("SAVEPOINT one")
            execute_values(cur, query, [row])
            written += 1
        except psycopg2.IntegrityError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT one")
            on_reject(row, str(exc).strip().splitlines()[0])
    return written


def dead_letters_out(
    dead: DataFrame, settings: Settings, quarantine_path: str, dlq_topic: str, app_id: str, batch_id: int
) -> int:
    """Refused records to delta/quarantine/<source> (once per batch) and to their dlq topic."""
    count = dead.count()
    if count:
        append_delta(dead, quarantine_path, app_id, batch_id)
        publish_dead_letters(dead, settings, dlq_topic)
    return count
