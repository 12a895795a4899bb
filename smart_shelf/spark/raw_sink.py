"""Events as they arrived: a Kafka topic -> delta/raw/<table>, each event once; refused records ->
delta/quarantine/<table> and the topic's dlq.<topic>, with the reason and the raw payload.

Records are deduplicated by event_id in the query's state store (`smart_shelf.spark.io.deduplicated`), then each
micro-batch appends with (txnAppId, txnVersion) = (job/raw/table, batch_id): a batch replayed after a
crash is skipped by Delta, so every event is in the raw table exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import Event, dead_letter_topic
from smart_shelf.settings import Settings
from smart_shelf.spark.io import (
    append_delta,
    dead_letters_out,
    deduplicated,
    may_name,
    parse_with_contract,
    read_topic,
    split_valid,
    start_batch_query,
)
from smart_shelf.spark.session import delta_path


@dataclass(frozen=True)
class KnownKeys:
    """Valid events whose `key` (an expression over the parsed `event`) is not one of the known keys
    are refused as `<what> <key>`: e.g. an event of a shelf the store does not have."""

    key: Column
    unknown: Column  # true for a record whose key is null or not known
    what: str

    @classmethod
    def of(cls, key: Column, keys: Iterable[str], what: str) -> KnownKeys:
        # built once: the set is a literal per key, each made through py4j (0.3 s for the store's
        # 1,142 shelves), which every micro-batch would otherwise pay again
        return cls(key, key.isNull() | ~key.isin(*sorted(set(keys))), what)


@dataclass(frozen=True)
class RawSink:
    job: str
    topic: str
    table: str  # delta/raw/<table> and delta/quarantine/<table>
    model: type[Event]
    known: KnownKeys | None = None
    # after the append: the batch's valid events to another store too (e.g. Postgres tables); idempotent
    also: Callable[[DataFrame, Settings], object] | None = None


def refuse_unknown(parsed: DataFrame, known: KnownKeys) -> DataFrame:
    """Sets invalid_reason on valid records whose key is not known (a set the plan carries: no join,
    no DataFrame of the keys to compute each batch)."""
    reason = F.when(
        F.col("invalid_reason").isNull() & known.unknown,
        F.concat(F.lit(f"{known.what} "), F.coalesce(known.key, F.lit("(none)"))),
    ).otherwise(F.col("invalid_reason"))
    return parsed.withColumn("invalid_reason", reason)


def process_raw_batch(sink: RawSink, settings: Settings, parsed: DataFrame, batch_id: int) -> int:
    """Appends the batch's valid events and quarantines the rest; returns the events appended."""
    if sink.known is not None:
        parsed = refuse_unknown(parsed, sink.known)
    parsed = parsed.persist()
    counts = parsed.groupBy(F.col("invalid_reason").isNull().alias("valid")).count().collect()
    appended = next((row["count"] for row in counts if row["valid"]), 0)
    refused = next((row["count"] for row in counts if not row["valid"]), 0)
    valid, dead = split_valid(parsed, sink.topic)
    if appended:
        append_delta(valid, delta_path(settings, "raw", sink.table), f"{sink.job}/raw/{sink.table}", batch_id)
        if sink.also is not None:
            sink.also(valid, settings)
    if refused:
        dead_letters_out(
            dead,
            settings,
            delta_path(settings, "quarantine", sink.table),
            dead_letter_topic(sink.topic),
            f"{sink.job}/quarantine/{sink.table}",
            batch_id,
        )
    parsed.unpersist()
    return appended


def parsed_stream(
    spark: SparkSession,
    settings: Settings,
    topic: str,
    model: type[Event],
    where: Column | None = None,
    *,
    dedupe: bool = True,
    naming: Sequence[str] = (),
) -> DataFrame:
    """The topic's records parsed against the contract, with `dedupe_id`: the event_id, or the
    payload's hash for a record that has none (so a repeated poison record is quarantined once).
    With `dedupe`, deduplicated by it in the query's state store; a ledger's input is not (its
    LedgerStore drops the copies). `where` (over the parsed `event`) keeps only the records a job
    reads, before the dedupe state; `naming`: words every record `where` keeps has as a value (e.g.
    the restock bot's id), so the records that cannot are dropped unparsed (`may_name`)."""
    stream = read_topic(
        spark,
        settings,
        topic,
        starting_offsets=settings.starting_offsets,
        max_offsets_per_trigger=settings.max_offsets_per_trigger,
    )
    if naming:
        stream = stream.where(may_name(F.col("value"), naming))
    parsed = parse_with_contract(stream, model)
    if where is not None:
        parsed = parsed.where(where)
    payload_hash = F.sha2(F.col("value"), 256)
    # state rows and plans carry no event_id: an identical record is the same record
    has_id = "event_id" in model.model_fields
    dedupe_id = F.coalesce(F.col("event.event_id"), payload_hash) if has_id else payload_hash
    parsed = parsed.withColumn("dedupe_id", dedupe_id)
    return deduplicated(parsed, "dedupe_id", settings.dedupe_window) if dedupe else parsed


def start_raw_query(spark: SparkSession, settings: Settings, sink: RawSink) -> StreamingQuery:
    stream = parsed_stream(spark, settings, sink.topic, sink.model)
    process = partial(process_raw_batch, sink, settings)
    # nothing waits on the raw tables: larger, rarer appends leave the cores to the ledgers
    return start_batch_query(
        stream,
        process,
        settings,
        job=sink.job,
        query=f"raw_{sink.table}",
        seconds=settings.delta_trigger_seconds,
    )
