"""Feeds for the operations ledgers: several topics read as one stream of readings per shelf.

An operations job (an alert engine, the restock manager) keeps one small ledger per shelf in the
state store (smart_shelf.spark_ledger) and reacts to records of several topics: state rows, plans,
events. Each topic is a `Feed`: parsed against its contract, deduplicated, filtered, and reduced to

    shelf_id, kind, value (the record's JSON), event_us (its event time), partition, offset

so the feeds union into one frame; the ledger receives `OpsReading(kind, timestamp, body)` in event
time order and parses nothing in Spark beyond the key and the time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from smart_shelf import delta_tables
from smart_shelf.contracts import Event
from smart_shelf.raw_sink import parsed_stream
from smart_shelf.settings import Settings
from smart_shelf.spark import delta_path
from smart_shelf.spark_ledger import LedgerSink, event_time_us, utc

FEED_COLUMNS = ["shelf_id", "kind", "value", "event_us", "partition", "offset"]


@dataclass(frozen=True)
class Feed:
    kind: str
    topic: str
    model: type[Event]
    time_field: str  # the payload's event time, e.g. last_update_ts
    where: Column | None = None  # over the parsed `event` struct
    shelf: str = "event.shelf_id"


@dataclass(frozen=True)
class OpsReading:
    kind: str
    timestamp: datetime
    body: dict


def feed_stream(spark: SparkSession, settings: Settings, feed: Feed) -> DataFrame:
    parsed = parsed_stream(spark, settings, feed.topic, feed.model, where=feed.where)
    return parsed.where(F.col("invalid_reason").isNull()).select(
        F.col(feed.shelf).alias("shelf_id"),
        F.lit(feed.kind).alias("kind"),
        "value",
        event_time_us(f"event.{feed.time_field}").alias("event_us"),
        "partition",
        "offset",
    )


def readings(spark: SparkSession, settings: Settings, feeds: list[Feed]) -> DataFrame:
    """Every feed's valid records as one frame of FEED_COLUMNS."""
    frames = [feed_stream(spark, settings, feed) for feed in feeds]
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union.select(*FEED_COLUMNS)


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
