"""wh-aggregator: wh_events -> delta/raw/wh_events; warehouse stock per shelf_id ->
delta/cleansed/wh_state and the compacted topic wh_state. Opening stock: ref.warehouse_inventory.

Two queries: `raw` (every event once; events of an unknown shelf and refused records to quarantine)
and `wh_state` (one WarehouseLedger per shelf, kept on the driver: see smart_shelf.spark.ledger).
"""

from __future__ import annotations

from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import WarehouseEvent
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import WarehouseAggregatorSettings
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
from spark_apps.wh_aggregator.rules import WarehouseLedger, WarehouseReading

JOB = "wh-aggregator"
SETTINGS = WarehouseAggregatorSettings


def opening_ledgers(settings: WarehouseAggregatorSettings) -> dict[str, WarehouseLedger]:
    rows = fetch_rows(settings, "SELECT shelf_id, current_stock FROM ref.warehouse_inventory")
    opening = {
        r["shelf_id"]: WarehouseLedger(r["shelf_id"], int(r["current_stock"]), settings.sim_start)
        for r in rows
    }
    return handover.take_over(settings, JOB, opening, WarehouseLedger.loads)


def reading(row) -> WarehouseReading:
    return WarehouseReading(
        row.event_id,
        row.event_type,
        utc(row.event_us),
        int(row.qty),
        row.batch_code,
        present(row.received_date),
        present(row.expiry_date),
    )


def warehouse_readings(spark: SparkSession, settings) -> DataFrame:
    """Valid warehouse events: (shelf_id, event fields, event_us, record_columns)."""
    parsed = parsed_stream(spark, settings, settings.topic_wh_events, WarehouseEvent, dedupe=False)
    return parsed.where(F.col("invalid_reason").isNull()).select(
        "event.shelf_id",
        "event.event_id",
        "event.event_type",
        F.col("event.qty").cast("long").alias("qty"),
        "event.batch_code",
        "event.received_date",
        "event.expiry_date",
        event_time_us().alias("event_us"),
        *record_columns(),
    )


def sink(settings: WarehouseAggregatorSettings) -> LedgerSink:
    return ledger_sink(settings, JOB, "wh_state", settings.topic_wh_state)


def start(spark: SparkSession, settings: WarehouseAggregatorSettings) -> list[StreamingQuery]:
    opening = opening_ledgers(settings)
    ledger_sink = sink(settings)
    balances = [ledger.state() for ledger in opening.values()]
    raw = RawSink(
        JOB,
        settings.topic_wh_events,
        "wh_events",
        WarehouseEvent,
        KnownKeys.of(F.col("event.shelf_id"), opening, "unknown shelf:"),
    )
    rules = LedgerRules(partial(open_copy, opening), WarehouseLedger.loads, reading)
    return [
        start_raw_query(spark, settings, raw),
        *start_ledger(
            spark, settings, warehouse_readings(spark, settings), "shelf_id", rules, ledger_sink, balances
        ),
    ]
