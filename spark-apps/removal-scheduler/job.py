"""removal-scheduler: once per simulated day, expired store batches leave the shelves.

Reads the store batches from the batch ledger's compacted topic (`TOPIC_SHELF_BATCH_STATE`, the
freshest view of them), and for each batch due for removal (REMOVE_MODE, rules.py) sends a removal
order to `TOPIC_REMOVAL_ORDERS`, and one `expired_removal` alert per shelf to `alerts`. The shelf
producer carries each order out (a `removal` and its `weight_change` on shelf_events, which the shelf
and batch ledgers apply: they stay the only writers of stock). The day's run is recorded in
delta/ops/job_runs; a run repeated after a crash sends the same order ids, carried out once.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import SparkSession

from smart_shelf.kafka_client import make_producer, send_events
from smart_shelf.settings import RemovalSettings
from smart_shelf.spark.clock import ClockJob, ScheduledRuns, start_clock_query
from smart_shelf.store.sources import unit_weights
from spark_apps.daily_discount_manager.job import store_batches
from spark_apps.removal_scheduler.rules import expired, removal_alerts, removal_order

JOB = "removal-scheduler"
SETTINGS = RemovalSettings


class Removals:
    def __init__(self, spark: SparkSession, settings: RemovalSettings, producer=None):
        self.spark, self.settings = spark, settings
        self.runs = ScheduledRuns(spark, settings, JOB)
        self.producer = producer or make_producer(settings, deadline_seconds=120)
        self.weights = unit_weights(settings)

    def tick(self, now: datetime) -> None:
        today = now.date()
        key = f"removal:{today.isoformat()}"
        if not self.runs.pending(key):
            return
        candidates = store_batches(self.settings, self.settings.topic_shelf_batch_state)
        due = expired(candidates, today, self.settings.remove_mode)
        orders = [removal_order(b, self.weights.get(b.shelf_id, 0.0), now) for b in due]
        send_events(self.producer, self.settings.topic_removal_orders, orders)
        alerts = removal_alerts(due, now)
        send_events(self.producer, self.settings.topic_alerts, alerts)
        units = sum(b.quantity for b in due)
        self.runs.finish(key, now, f"{len(due)} batches, {units} units removed from {len(alerts)} shelves")


def start(spark: SparkSession, settings: RemovalSettings) -> list[ClockJob]:
    return [start_clock_query(spark, settings, JOB, Removals(spark, settings).tick, settings.poll_seconds)]
