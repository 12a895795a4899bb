"""POS transactions -> Postgres ops.pos_transactions (one row per checkout) and ops.pos_transaction_items
(one row per line), written by the raw query after each append to delta/raw/pos_transactions.

Kafka Connect's JDBC sink cannot do this: it writes one flat row per record, and a transaction
carries its lines as a nested array. Upserts on the tables' keys make a replayed batch change nothing.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from smart_shelf.contracts import PosTransaction
from smart_shelf.settings import Settings
from smart_shelf.spark.io import upsert_postgres

log = logging.getLogger(__name__)
HEADERS, LINES = "ops.pos_transactions", "ops.pos_transaction_items"


def pos_headers(events: DataFrame) -> DataFrame:
    """PosTransaction events -> transaction_id, customer_id, timestamp, total_items, total_amount."""
    return events.select(
        "transaction_id",
        "customer_id",
        "timestamp",
        F.aggregate("items", F.lit(0).cast("long"), lambda total, item: total + item["quantity"]).alias(
            "total_items"
        ),
        F.round(F.aggregate("items", F.lit(0.0), lambda total, item: total + item["total_price"]), 2).alias(
            "total_amount"
        ),
    )


def pos_lines(events: DataFrame) -> DataFrame:
    """PosTransaction events -> one row per line, numbered from 1 in the order of the items."""
    lines = events.select("transaction_id", F.posexplode("items").alias("position", "item"))
    return lines.select(
        "transaction_id",
        (F.col("position") + 1).alias("line_no"),
        F.col("item.item_id").alias("shelf_id"),
        "item.quantity",
        "item.unit_price",
        "item.discount",
        "item.total_price",
        "item.batch_code",
        "item.expiry_date",
    )


def header_row(transaction: PosTransaction) -> tuple:
    """pos_headers for one transaction held in memory (a history run writes without Spark)."""
    total_items = sum(item.quantity for item in transaction.items)
    total_amount = round(sum(item.total_price for item in transaction.items), 2)
    return (
        transaction.transaction_id,
        transaction.customer_id,
        transaction.timestamp,
        total_items,
        total_amount,
    )


def line_rows(transaction: PosTransaction) -> list[tuple]:
    """pos_lines for one transaction held in memory."""
    return [
        (
            transaction.transaction_id,
            n,
            i.item_id,
            i.quantity,
            i.unit_price,
            i.discount,
            i.total_price,
            i.batch_code,
            i.expiry_date,
        )
        for n, i in enumerate(transaction.items, start=1)
    ]


HEADER_COLUMNS = ("transaction_id", "customer_id", "timestamp", "total_items", "total_amount")
LINE_COLUMNS = (
    "transaction_id", "line_no", "shelf_id", "quantity", "unit_price", "discount", "total_price", "batch_code", "expiry_date",
)  # fmt: skip


def write_pos_tables(events: DataFrame, settings: Settings) -> None:
    """Headers, then their lines (the lines refer to them). A line Postgres refuses (a shelf it does
    not know) is logged and left out; the transaction stays complete in delta/raw."""
    once = events.dropDuplicates(["transaction_id"])  # one statement may touch a key only once
    upsert_postgres(pos_headers(once), settings, HEADERS, ["transaction_id"], on_reject=_refused(HEADERS))
    upsert_postgres(
        pos_lines(once), settings, LINES, ["transaction_id", "line_no"], on_reject=_refused(LINES)
    )


def _refused(table: str):
    def log_refusal(row: tuple, reason: str) -> None:
        log.warning("%s refused %s: %s", table, row[:2], reason)

    return log_refusal
