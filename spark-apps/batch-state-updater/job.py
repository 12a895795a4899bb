"""batch-state-updater: pos_transactions -> delta/raw/pos_transactions (and Postgres ops.pos_transactions
with its lines, pos_tables.py); store batch quantities per
(shelf_id, batch_code) -> delta/cleansed/shelf_batch_state and the compacted topic shelf_batch_state.

Two queries: `raw` (every transaction once) and `shelf_batch_state`: one StoreBatchLedger per shelf
on the driver, moved by sales (the exploded POS lines) and by restocks arriving on the shelf
(restock putbacks on shelf_events, which carry their batch) and removals of expired batches. Opening batches: ref.store_batches.
"""

from __future__ import annotations

from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import REMOVAL_CUSTOMER, RESTOCK_CUSTOMER, PosTransaction, ShelfEvent
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import BatchStateSettings
from smart_shelf.spark.ledger import (
    DEDUPE_COLUMNS,
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
from smart_shelf.spark.raw_sink import RawSink, parsed_stream, start_raw_query
from smart_shelf.store.batches import Batches
from spark_apps.batch_state_updater.pos_tables import write_pos_tables
from spark_apps.batch_state_updater.rules import BatchReading, StoreBatchLedger

JOB = "batch-state-updater"
SETTINGS = BatchStateSettings
READING_COLUMNS = [
    "shelf_id",
    "event_id",
    "kind",
    "quantity",
    "transaction_id",
    "batch_code",
    "received_date",
    "expiry_date",
    "event_us",
    "partition",
    "offset",
    *DEDUPE_COLUMNS,
]


def opening_ledgers(settings: BatchStateSettings) -> dict[str, StoreBatchLedger]:
    ledgers: dict[str, StoreBatchLedger] = {}
    for shelf in fetch_rows(settings, "SELECT shelf_id FROM ref.store_inventory"):
        ledgers[shelf["shelf_id"]] = StoreBatchLedger(
            shelf["shelf_id"], Batches(), settings.sim_start, settings.prob_earliest_expiry
        )
    rows = fetch_rows(
        settings,
        "SELECT shelf_id, batch_code, received_date, expiry_date, batch_quantity_store FROM ref.store_batches",
    )
    for r in rows:
        ledger = ledgers[r["shelf_id"]]
        ledger.batches.add(r["batch_code"], r["batch_quantity_store"], r["received_date"], r["expiry_date"])
    return handover.take_over(settings, JOB, ledgers, StoreBatchLedger.loads)


def reading(row) -> BatchReading:
    return BatchReading(
        event_id=row.event_id,
        kind=row.kind,
        timestamp=utc(row.event_us),
        quantity=int(row.quantity),
        transaction_id=present(row.transaction_id),
        batch_code=present(row.batch_code),
        received_date=present(row.received_date),
        expiry_date=present(row.expiry_date),
    )


def readings(spark: SparkSession, settings: BatchStateSettings) -> DataFrame:
    """POS lines (sales), restock putbacks and removals as one stream (the ledger's store drops a
    record applied before, by its event's id)."""
    pos = parsed_stream(spark, settings, settings.topic_pos_transactions, PosTransaction, dedupe=False)
    sales = (
        pos.where(F.col("invalid_reason").isNull())
        .select(
            "event",
            "topic",
            "kafka_ts",
            "partition",
            "offset",
            "dedupe_id",
            F.explode("event.items").alias("item"),
        )
        .select(
            F.col("item.item_id").alias("shelf_id"),
            F.col("event.event_id").alias("event_id"),
            F.lit("sale").alias("kind"),
            F.col("item.quantity").cast("long").alias("quantity"),
            F.col("event.transaction_id").alias("transaction_id"),
            F.lit(None).cast("string").alias("batch_code"),
            F.lit(None).cast("date").alias("received_date"),
            F.lit(None).cast("date").alias("expiry_date"),
            event_time_us().alias("event_us"),
            *record_columns(),
        )
    )
    shelf = parsed_stream(
        spark, settings, settings.topic_shelf_events, ShelfEvent, dedupe=False,
        naming=(RESTOCK_CUSTOMER, REMOVAL_CUSTOMER),
    )  # fmt: skip
    restock = (F.col("event.event_type") == "putback") & (F.col("event.customer_id") == RESTOCK_CUSTOMER)
    removal = (F.col("event.event_type") == "removal") & (F.col("event.customer_id") == REMOVAL_CUSTOMER)
    restocks = shelf.where(F.col("invalid_reason").isNull() & (restock | removal)).select(
        F.coalesce("event.shelf_id", "event.item_id").alias("shelf_id"),
        "event.event_id",
        F.when(removal, "removal").otherwise("restock").alias("kind"),
        F.col("event.quantity").cast("long").alias("quantity"),
        F.lit(None).cast("string").alias("transaction_id"),
        "event.batch_code",
        "event.received_date",
        "event.expiry_date",
        event_time_us().alias("event_us"),
        *record_columns(),
    )
    return sales.unionByName(restocks).select(*READING_COLUMNS)


def sink(settings: BatchStateSettings) -> LedgerSink:
    return ledger_sink(settings, JOB, "shelf_batch_state", settings.topic_batch_state)


def start(spark: SparkSession, settings: BatchStateSettings) -> list[StreamingQuery]:
    opening = opening_ledgers(settings)
    ledger_sink = sink(settings)
    balances = [row for ledger in opening.values() for row in ledger.rows()]
    raw = RawSink(
        JOB, settings.topic_pos_transactions, "pos_transactions", PosTransaction,
        also=write_pos_tables if settings.write_to_pg else None,
    )  # fmt: skip
    rules = LedgerRules(partial(open_copy, opening), StoreBatchLedger.loads, reading)
    return [
        start_raw_query(spark, settings, raw),
        *start_ledger(spark, settings, readings(spark, settings), "shelf_id", rules, ledger_sink, balances),
    ]
