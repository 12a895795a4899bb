"""Shelf stock rules as DataFrame transforms: no I/O, no clock.

A pickup takes units off a shelf, a putback (a customer's, or a restock's) puts them back; the stock
never goes below zero (a movement that would is reported, not applied past zero). The weight on a
shelf is its units times the unit weight.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def stock_movements(events: DataFrame) -> DataFrame:
    """Per shelf: the net units moved and the latest event time.

    events: ShelfEvent rows (deduplicated) -> (shelf_id, delta_qty, last_event_ts)
    """
    signed = F.when(F.col("event_type") == "pickup", -F.col("quantity")).when(
        F.col("event_type") == "putback", F.col("quantity")
    )
    return (
        events.where(F.col("event_type").isin("pickup", "putback"))
        .select(F.coalesce("shelf_id", "item_id").alias("shelf_id"), signed.alias("qty"), "timestamp")
        .groupBy("shelf_id")
        .agg(F.sum("qty").cast("long").alias("delta_qty"), F.max("timestamp").alias("last_event_ts"))
    )


def apply_movements(state: DataFrame, movements: DataFrame) -> DataFrame:
    """The new state rows of the shelves that moved; `shortfall` > 0 where stock would have gone negative.

    state: ShelfState rows; movements: stock_movements() of known shelves
    -> ShelfState columns + shortfall
    """
    joined = movements.join(state, "shelf_id", "inner")
    raw_stock = F.col("current_stock") + F.col("delta_qty")
    return joined.select(
        "shelf_id",
        F.greatest(raw_stock, F.lit(0)).cast("long").alias("current_stock"),
        "item_weight",
        (F.greatest(raw_stock, F.lit(0)) * F.col("item_weight")).cast("double").alias("shelf_weight"),
        F.greatest("last_update_ts", "last_event_ts").alias("last_update_ts"),
        F.greatest(-raw_stock, F.lit(0)).cast("long").alias("shortfall"),
    )


def unknown_shelves(events: DataFrame, state: DataFrame) -> DataFrame:
    """Events naming a shelf the store does not have."""
    shelf = F.coalesce("shelf_id", "item_id")
    return events.join(state.select(F.col("shelf_id").alias("_known")), shelf == F.col("_known"), "left_anti")
