"""shelf-daily-features: each simulated day, once it has closed, every shelf's day summary.

From CLOSE_HOUR of the next day, once both raw Delta tables hold a later day's events (their sinks
lag the clock, by minutes at high multipliers), it reads the day's shelf events
(delta/raw/shelf_events) and till lines (delta/raw/pos_transactions), the shelf producer's lost-sale
counts (Redis), and the day before's close, and writes one row per shelf (contracts.ShelfDay,
rules.py) to delta/analytics/shelf_daily and Postgres analytics.shelf_daily: the table `make history`
fills for the days before the live store, where training and the inference service read demand.
Then the demand features known on the next day (once 28 days are in) for the four days after it:
delta/analytics/shelf_daily_features and analytics.shelf_daily_features. Days missed while the job
was down are summarised in order when it is back; a day written again (after a crash) rewrites the
same rows.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from simulated_time.clock import opened_at
from smart_shelf.contracts import REMOVAL_CUSTOMER, RESTOCK_CUSTOMER
from smart_shelf.forecast.features import MIN_HISTORY, feature_rows
from smart_shelf.forecast.lake import NoHistory, lake_panel
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.redis_client import connect_redis, lost_sales_key
from smart_shelf.settings import ShelfDailySettings
from smart_shelf.spark.clock import ClockJob, ScheduledRuns, start_clock_query
from smart_shelf.spark.ops_tables import write_rows
from smart_shelf.spark.session import delta_path
from spark_apps.shelf_daily_features.rules import Sales, ShelfMoves, shelf_days

log = logging.getLogger(__name__)
JOB = "shelf-daily-features"
SETTINGS = ShelfDailySettings
BOTS = (RESTOCK_CUSTOMER, REMOVAL_CUSTOMER)


def _on(frame: DataFrame, day: date) -> DataFrame:
    start = datetime.combine(day, time(0), UTC)
    return frame.where((F.col("timestamp") >= start) & (F.col("timestamp") < start + timedelta(days=1)))


def _units(condition) -> F.Column:
    return F.sum(F.when(condition, F.col("quantity")).otherwise(0)).cast("long")


class ShelfDaily:
    def __init__(self, spark: SparkSession, settings: ShelfDailySettings):
        self.spark, self.settings = spark, settings
        self.runs = ScheduledRuns(spark, settings, JOB)
        inventory = fetch_rows(settings, "SELECT shelf_id, current_stock FROM ref.store_inventory")
        self.initial = {r["shelf_id"]: r["current_stock"] for r in inventory}
        self.redis = connect_redis(settings, deadline_seconds=120)
        self.next_day: date | None = None  # the first day not summarised yet

    def _read(self, layer: str, name: str) -> DataFrame:
        return self.spark.read.format("delta").load(delta_path(self.settings, layer, name))

    def tick(self, now: datetime) -> None:
        closed = (now - timedelta(hours=self.settings.close_hour)).date() - timedelta(days=1)
        if self.next_day is None:
            self.next_day = self._first_day()  # read once; then kept here (ticks cost no Spark job)
        day = self.next_day
        if day > closed:
            return
        # the lake has a day once both raw tables hold a later day's events: the sinks lag the clock
        # (by minutes at high multipliers), and each micro-batch takes every partition up to its end
        written = self._written_through()
        while day <= min(closed, written):
            self.summarise(day)
            day += timedelta(days=1)
            self.next_day = day
        if day <= closed:
            log.info("%s has closed; waiting for the raw tables to hold its last events", day)

    def _written_through(self) -> date:
        """The last day both raw tables are complete for (the day before their newest event)."""
        newest = [
            self._read("raw", name).agg(F.max("timestamp")).first()[0]
            for name in ("shelf_events", "pos_transactions")
        ]
        if any(n is None for n in newest):
            return date.min
        return min(n.date() for n in newest) - timedelta(days=1)

    def _first_day(self) -> date:
        """The day after the last one summarised (by this job or a history), else the store's first."""
        last = self._read("analytics", "shelf_daily").agg(F.max("day")).first()[0]
        if last is not None:
            return last + timedelta(days=1)
        opened = opened_at(self.redis)
        return (opened or self.settings.sim_start).date()

    def _opening(self, day: date) -> dict[str, int]:
        before = self._read("analytics", "shelf_daily").where(F.col("day") == day - timedelta(days=1))
        closes = {r.shelf_id: r.stock_close for r in before.select("shelf_id", "stock_close").collect()}
        return closes or dict(self.initial)

    def _moves(self, day: date) -> dict[str, ShelfMoves]:
        events = _on(self._read("raw", "shelf_events"), day).dropDuplicates(["event_id"])
        customer = ~F.col("customer_id").isin(*BOTS)
        rows = (
            events.where(F.col("event_type").isin("pickup", "putback", "removal"))
            .groupBy(F.coalesce("shelf_id", "item_id").alias("shelf"))
            .agg(
                _units(customer & (F.col("event_type") == "pickup")).alias("picked"),
                _units(customer & (F.col("event_type") == "putback")).alias("put_back"),
                _units((F.col("customer_id") == RESTOCK_CUSTOMER) & (F.col("event_type") == "putback")).alias("refilled"),
                _units(F.col("event_type") == "removal").alias("removed"),
            )
            .collect()
        )  # fmt: skip
        return {r.shelf: ShelfMoves(r.picked, r.put_back, r.refilled, r.removed) for r in rows}

    def _sales(self, day: date) -> dict[str, Sales]:
        lines = (
            _on(self._read("raw", "pos_transactions"), day)
            .dropDuplicates(["transaction_id"])
            .select(F.explode("items").alias("i"))
            .groupBy(F.col("i.item_id").alias("shelf"))
            .agg(
                F.sum("i.quantity").cast("long").alias("units"),
                F.sum("i.total_price").alias("revenue"),
                F.sum(F.col("i.unit_price") * F.col("i.quantity")).alias("list_value"),
            )
            .collect()
        )
        return {r.shelf: Sales(r.units, r.revenue or 0.0, r.list_value or 0.0) for r in lines}

    def _lost(self, day: date) -> dict[str, int]:
        counts = self.redis.hgetall(lost_sales_key(day.isoformat()))
        return {(k if isinstance(k, str) else k.decode()): int(v) for k, v in counts.items()}

    def summarise(self, day: date) -> None:
        rows, short = shelf_days(
            day, self.initial, self._opening(day), self._moves(day), self._sales(day), self._lost(day)
        )
        if short:
            log.warning(
                "%s: %d shelves would close below zero (events of the day missing from the lake?): %s",
                day, len(short), ", ".join(short[:10]),
            )  # fmt: skip
        s = self.settings
        write_rows(
            self.spark, s, "analytics", "shelf_daily", rows, app_id=f"{JOB}/shelf_daily",
            version=day.toordinal(), pg_table="analytics.shelf_daily" if s.write_to_pg else None,
        )  # fmt: skip
        features = self.features(day + timedelta(days=1))
        end = datetime.combine(day + timedelta(days=1), time(0), UTC)
        sold, lost = sum(r.units_sold for r in rows), sum(r.lost_sale_units for r in rows)
        summary = f"{len(rows)} shelves, {sold} units sold, {lost} lost; {features} feature rows"
        self.runs.finish(f"day:{day.isoformat()}", end, summary)

    def features(self, origin: date) -> int:
        """The features known on `origin` (every day before it closed) for the days after it."""
        try:
            panel = lake_panel(self.settings, MIN_HISTORY, "the demand features")
        except NoHistory as exc:
            log.info("no features for %s yet: %s", origin, exc)
            return 0
        rows = feature_rows(panel, panel.index_of(origin))
        s = self.settings
        write_rows(
            self.spark, s, "analytics", "shelf_daily_features", rows, app_id=f"{JOB}/features",
            version=origin.toordinal(), pg_table="analytics.shelf_daily_features" if s.write_to_pg else None,
        )  # fmt: skip
        return len(rows)


def start(spark: SparkSession, settings: ShelfDailySettings) -> list[ClockJob]:
    return [start_clock_query(spark, settings, JOB, ShelfDaily(spark, settings).tick, settings.poll_seconds)]
