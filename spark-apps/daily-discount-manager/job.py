"""daily-discount-manager: once per simulated day, the near-expiry discounts of the day.

Reads the store batches (the batch ledger's compacted `TOPIC_SHELF_BATCH_STATE`, as fresh as the
ledger), picks the shelves with stock expiring today or tomorrow (rules.py), and writes their discount
to delta/analytics/daily_discounts, Postgres analytics.daily_discounts (where the shelf and POS
producers read it) and the compacted topic `daily_discounts` (keyed by shelf and date). The day's run
is recorded in delta/ops/job_runs, so a restart the same day does not run it again; a run repeated
after a crash writes the same values.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import SparkSession

from smart_shelf.contracts import ShelfBatchState
from smart_shelf.kafka_client import latest_rows, make_producer, send_events
from smart_shelf.settings import DailyDiscountSettings
from smart_shelf.spark.clock import ClockJob, ScheduledRuns, start_clock_query
from smart_shelf.spark.ops_tables import write_rows
from smart_shelf.store.expiry import BatchStock
from spark_apps.daily_discount_manager.rules import discounts_for

JOB = "daily-discount-manager"
SETTINGS = DailyDiscountSettings


def store_batches(settings, topic: str) -> list[BatchStock]:
    """Every store batch with stock, as the batch ledger's compacted topic says now."""
    return [
        BatchStock(r.shelf_id, r.batch_code, r.expiry_date, r.batch_quantity_store)
        for r in latest_rows(settings, topic, ShelfBatchState)
        if r.batch_quantity_store > 0
    ]


class DailyDiscounts:
    def __init__(self, spark: SparkSession, settings: DailyDiscountSettings, producer=None):
        self.spark, self.settings = spark, settings
        self.runs = ScheduledRuns(spark, settings, JOB)
        self.producer = producer or make_producer(settings, deadline_seconds=120)

    def tick(self, now: datetime) -> None:
        today = now.date()
        key = f"discounts:{today.isoformat()}"
        if not self.runs.pending(key):
            return
        s = self.settings
        batches = store_batches(s, s.topic_shelf_batch_state)
        rows = discounts_for(batches, today, s.data_seed, s.discount_min, s.discount_max, now)
        write_rows(
            self.spark, s, "analytics", "daily_discounts", rows,
            app_id=f"{JOB}/daily_discounts", version=today.toordinal(),
            pg_table="analytics.daily_discounts" if s.write_to_pg else None,
        )  # fmt: skip
        send_events(self.producer, s.topic_daily_discounts, rows)
        self.runs.finish(key, now, f"{len(rows)} shelves discounted")


def start(spark: SparkSession, settings: DailyDiscountSettings) -> list[ClockJob]:
    return [
        start_clock_query(spark, settings, JOB, DailyDiscounts(spark, settings).tick, settings.poll_seconds)
    ]
