"""Feeds for the operations ledgers: several topics read as one stream of readings per shelf.

An operations job (an alert engine, the restock manager) keeps one small ledger per shelf on the
driver (smart_shelf.spark.ledger) and reacts to records of several topics: state rows, plans,
events. Each topic is a `Feed`: parsed against its contract, filtered, and reduced to

    shelf_id, kind, value (the record's JSON), event_us (its event time), partition, offset,
    dedupe_id, kafka_us (the ledger's store drops a record it applied before)

so the feeds union into one frame; the ledger receives `OpsReading(kind, timestamp, body)` in event
time order and parses nothing in Spark beyond the key and the time.

A policy topic (`policy_feed`) is fanned out to the shelves each policy row covers; its readings
come first in a micro-batch (event time 0): a policy is in force from the moment it is read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from smart_shelf import delta_tables
from smart_shelf.contracts import Event
from smart_shelf.settings import Settings
from smart_shelf.spark.io import read_topic
from smart_shelf.spark.ledger import (
    DEDUPE_COLUMNS,
    LedgerSink,
    event_time_us,
    kafka_time_us,
    record_columns,
    utc,
)
from smart_shelf.spark.raw_sink import parsed_stream
from smart_shelf.spark.schemas import local_frame, struct_type
from smart_shelf.spark.session import delta_path
from smart_shelf.store.policies import DELETED
from smart_shelf.store.readings import OpsReading

FEED_COLUMNS = ["shelf_id", "kind", "value", "event_us", "partition", "offset", *DEDUPE_COLUMNS]


@dataclass(frozen=True)
class Feed:
    kind: str
    topic: str
    model: type[Event]
    time_field: str  # the payload's event time, e.g. last_update_ts
    where: Column | None = None  # over the parsed `event` struct
    shelf: str = "event.shelf_id"
    naming: tuple[str, ...] = ()  # words every record `where` keeps has as a value (parsed_stream)


def feed_stream(spark: SparkSession, settings: Settings, feed: Feed) -> DataFrame:
    parsed = parsed_stream(
        spark, settings, feed.topic, feed.model, where=feed.where, dedupe=False, naming=feed.naming
    )
    return parsed.where(F.col("invalid_reason").isNull()).select(
        F.col(feed.shelf).alias("shelf_id"),
        F.lit(feed.kind).alias("kind"),
        "value",
        event_time_us(f"event.{feed.time_field}").alias("event_us"),
        *record_columns(),
    )


def readings(spark: SparkSession, settings: Settings, feeds: list[Feed]) -> DataFrame:
    """Every feed's valid records as one frame of FEED_COLUMNS."""
    frames = [feed_stream(spark, settings, feed) for feed in feeds]
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union.select(*FEED_COLUMNS)


SHELF_SCOPE = ("scope_shelf", "scope_category", "scope_subcategory")


def policy_feed(
    spark: SparkSession, settings: Settings, topic: str, model: type[Event], shelves: list[tuple]
) -> DataFrame:
    """A compacted policy topic (config.*_policies through the CDC source) as `policy` readings of
    every shelf a row covers; `shelves` are (shelf_id, item_category, item_subcategory). A delete (a
    tombstone, whose scope is gone with it) reaches every shelf as {"policy_id", "deleted": true}."""
    records = read_topic(spark, settings, topic, starting_offsets="earliest")
    parsed = records.select(
        F.from_json("value", struct_type(model)).alias("p"), "key", "value", "partition", "offset", "kafka_ts"
    )
    tombstone = F.col("value").isNull()
    scopes = T.StructType([T.StructField(name, T.StringType()) for name in SHELF_SCOPE])
    known = local_frame(spark, [dict(zip(SHELF_SCOPE, shelf, strict=True)) for shelf in shelves], scopes)

    def unset_or(field: str, column: str) -> Column:
        return F.col(f"p.{field}").isNull() | (F.col(f"p.{field}") == F.col(column))

    covered = (
        unset_or("shelf_id", "scope_shelf")
        & unset_or("item_category", "scope_category")
        & unset_or("item_subcategory", "scope_subcategory")
    )
    # a record that is not a policy (p.policy_id unset) reaches no shelf
    readable = tombstone | F.col("p.policy_id").isNotNull()
    deleted = F.to_json(F.struct(F.col("key").alias("policy_id"), F.lit(True).alias(DELETED)))
    return (
        parsed.where(readable)
        .join(F.broadcast(known), tombstone | covered)
        .select(
            F.col("scope_shelf").alias("shelf_id"),
            F.lit("policy").alias("kind"),
            F.when(tombstone, deleted).otherwise(F.col("value")).alias("value"),
            F.lit(0).cast("long").alias("event_us"),
            "partition",
            "offset",
            # every reading of a policy record applies: its version is in the record
            F.lit(None).cast("string").alias("dedupe_id"),
            kafka_time_us().alias("kafka_us"),
        )
    )


def ops_reading(row) -> OpsReading:
    return OpsReading(row.kind, utc(row.event_us), json.loads(row.value))


def plan_sink(
    settings: Settings,
    job: str,
    query: str,
    table: str,
    topic: str,
    *,
    to_postgres: bool = False,
    events_topic: str | None = None,
) -> LedgerSink:
    """The sink of a job that writes plans: rows of delta/ops/<table> (MERGEd by plan id) on their
    compacted topic, optionally copied to Postgres ops.<table> with the status only moving forward,
    and the events it emits (picks, deliveries) on `events_topic`."""
    spec = delta_tables.table("ops", table)
    return LedgerSink(
        job=job,
        query=query,
        model=spec.model,
        keys=spec.keys,
        state_path=delta_path(settings, "ops", table),
        state_topic=topic,
        alerts_topic=settings.topic_alerts,
        events_topic=events_topic,
        pg_table=f"ops.{table}" if to_postgres else None,
        pg_update_when="EXCLUDED.status >= t.status",
    )
