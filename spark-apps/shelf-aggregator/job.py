"""shelf-aggregator: shelf_events -> delta/raw/shelf_events; shelf stock -> delta/cleansed/shelf_state
and the compacted topic shelf_state; sensor mismatches and discrepancies -> alerts.

Two queries: `raw` (every event once, unknown shelves and refused records to quarantine) and
`shelf_state` (one ShelfLedger per shelf, kept on the driver: see smart_shelf.spark.ledger).
Opening stock: ref.store_inventory in Postgres.
"""

from __future__ import annotations

import logging
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import ShelfEvent
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import ShelfAggregatorSettings
from smart_shelf.spark.ledger import (
    LedgerRules,
    LedgerSink,
    event_time_us,
    ledger_sink,
    open_copy,
    present,
    record_columns,
    start_ledger,
    utc,
)
from smart_shelf.spark.raw_sink import KnownKeys, RawSink, parsed_stream, start_raw_query
from spark_apps.shelf_aggregator.rules import ShelfLedger, ShelfReading

log = logging.getLogger(__name__)
JOB = "shelf-aggregator"
SETTINGS = ShelfAggregatorSettings


def shelf_of_event() -> F.Column:
    """Customer events name the item (one item per shelf); restocks name the shelf."""
    return F.coalesce(F.col("event.shelf_id"), F.col("event.item_id"))


def opening_ledgers(settings: ShelfAggregatorSettings) -> dict[str, ShelfLedger]:
    """Each shelf's ledger as the store opens (ref.store_inventory), or where a history left it."""
    rows = fetch_rows(settings, "SELECT shelf_id, current_stock, item_weight FROM ref.store_inventory")
    opening = {
        r["shelf_id"]: ShelfLedger(
            r["shelf_id"], int(r["current_stock"]), float(r["item_weight"]), settings.sim_start
        )
        for r in rows
    }
    return handover.take_over(settings, JOB, opening, ShelfLedger.loads)


def reading(row) -> ShelfReading:
    return ShelfReading(
        event_id=row.event_id,
        event_type=row.event_type,
        customer_id=row.customer_id,
        timestamp=utc(row.event_us),
        quantity=None if present(row.quantity) is None else int(row.quantity),
        delta_weight=present(row.delta_weight),
    )


def readings(spark: SparkSession, settings: ShelfAggregatorSettings) -> DataFrame:
    """Valid shelf events as (shelf_id, event fields, event_us, record_columns)."""
    parsed = parsed_stream(spark, settings, settings.topic_shelf_events, ShelfEvent, dedupe=False)
    return parsed.where(F.col("invalid_reason").isNull()).select(
        shelf_of_event().alias("shelf_id"),
        "event.event_id",
        "event.event_type",
        "event.customer_id",
        F.col("event.quantity").cast("long").alias("quantity"),
        "event.delta_weight",
        event_time_us().alias("event_us"),
        *record_columns(),
    )


def sink(settings: ShelfAggregatorSettings) -> LedgerSink:
    return ledger_sink(settings, JOB, "shelf_state", settings.topic_shelf_state)


def start(spark: SparkSession, settings: ShelfAggregatorSettings) -> list[StreamingQuery]:
    opening = opening_ledgers(settings)
    ledger_sink = sink(settings)
    balances = [ledger.state() for ledger in opening.values()]
    raw = RawSink(
        JOB,
        settings.topic_shelf_events,
        "shelf_events",
        ShelfEvent,
        KnownKeys.of(shelf_of_event(), opening, "unknown shelf:"),
    )
    rules = LedgerRules(partial(open_copy, opening), ShelfLedger.loads, reading)
    return [
        start_raw_query(spark, settings, raw),
        *start_ledger(spark, settings, readings(spark, settings), "shelf_id", rules, ledger_sink, balances),
    ]
