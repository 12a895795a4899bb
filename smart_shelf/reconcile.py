"""Checks the ledgers against the events they were built from: python -m smart_shelf.reconcile

Meant for a quiet pipeline (producers stopped, Spark caught up: the Delta tables follow their topics
every DELTA_TRIGGER_SECONDS). First, every streaming query has read its topics to their end (its
checkpoint's last committed batch against the broker's end offsets): ledgers that agree with raw
tables that are behind prove nothing. Then, for every shelf:
  shelf stock   = opening stock - customer pickups + putbacks (customers' and restocks)
  store batches = opening batches - units sold + units restocked; batches - shelf stock = units in carts
  warehouse     = opening stock + wh_in - wh_out = the sum of its warehouse batches
and nothing is negative. Prints one line per check; exits 1 if any fails.

`--wait SECONDS`: for a pipeline still draining (its Delta tables follow their topics every
DELTA_TRIGGER_SECONDS, so the checks fail for a while after the producers stop), waits first for
Spark to catch up (a look every CAUGHT_UP_EVERY_S, no Spark session of its own yet), then checks
again every RETRY_EVERY_S with one Spark session until they pass or SECONDS have gone by, a line
per failed round.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from smart_shelf.contracts import RESTOCK_CUSTOMER
from smart_shelf.kafka_client import end_offsets
from smart_shelf.logs import configure_logging
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.retry import outage_of
from smart_shelf.settings import get_settings
from smart_shelf.spark.checkpoints import queries_behind
from smart_shelf.spark.session import build_spark, delta_path

END_OFFSETS_DEADLINE_S = 30.0  # a broker away longer: the round fails as an outage, and is tried again


class Check(NamedTuple):
    what: str
    checked: int
    failing: int
    unit: str = "shelves"


Report = list[Check]


def caught_up(behind: dict[str, int], queries: int) -> Check:
    """The queries not yet at the end of their topics ({query: records behind}, 0 for one that is)
    as a check."""
    lagging = {query: n for query, n in behind.items() if n}
    what = "Spark has read every topic to its end"
    if lagging:
        named = ", ".join(f"{query} {n:,}" for query, n in sorted(lagging.items()))
        what += f" (records behind: {named})"
    return Check(what, queries, len(lagging), "queries")


def spark_caught_up(settings) -> Check:
    ends = partial(end_offsets, settings, deadline_seconds=END_OFFSETS_DEADLINE_S)
    behind = queries_behind(settings.checkpoint_root, ends)
    return caught_up(behind, len(behind))


def _frame(spark, settings, query: str, columns: str) -> DataFrame:
    rows = [tuple(r.values()) for r in fetch_rows(settings, query)]
    return spark.createDataFrame(rows, columns)


def _sum_by_shelf(df: DataFrame, value, name: str) -> DataFrame:
    return df.groupBy("shelf_id").agg(F.coalesce(F.sum(value), F.lit(0)).cast("long").alias(name))


def checks(spark, settings) -> Report:
    """Whether Spark has caught up, then (what, shelves checked, shelves that fail) per ledger check."""
    table = lambda layer, name: spark.read.format("delta").load(delta_path(settings, layer, name))  # noqa: E731
    opening = _frame(
        spark,
        settings,
        "SELECT shelf_id, current_stock FROM ref.store_inventory",
        "shelf_id string, opening long",
    )
    events = table("raw", "shelf_events").withColumn("shelf_id", F.coalesce("shelf_id", "item_id"))
    taken = F.col("event_type").isin("pickup", "removal")
    signed = F.when(taken, -F.col("quantity")).when(F.col("event_type") == "putback", F.col("quantity"))
    moved = _sum_by_shelf(events, signed, "moved")
    restocked = _sum_by_shelf(
        events.where(F.col("customer_id") == RESTOCK_CUSTOMER), F.col("quantity"), "restocked"
    )
    removed = _sum_by_shelf(events.where(F.col("event_type") == "removal"), F.col("quantity"), "removed")
    shelf = table("cleansed", "shelf_state").select("shelf_id", "current_stock")
    sold = _sum_by_shelf(
        table("raw", "pos_transactions")
        .select(F.explode("items").alias("i"))
        .select(F.col("i.item_id").alias("shelf_id"), F.col("i.quantity").alias("q")),
        F.col("q"),
        "sold",
    )
    opening_batches = _frame(
        spark,
        settings,
        "SELECT shelf_id, sum(batch_quantity_store)::bigint FROM ref.store_batches GROUP BY 1",
        "shelf_id string, opening_batches long",
    )
    batches = _sum_by_shelf(table("cleansed", "shelf_batch_state"), F.col("batch_quantity_store"), "batches")
    store = (
        opening.join(shelf, "shelf_id", "left")
        .join(moved, "shelf_id", "left")
        .join(restocked, "shelf_id", "left")
        .join(removed, "shelf_id", "left")
        .join(sold, "shelf_id", "left")
        .join(opening_batches, "shelf_id", "left")
        .join(batches, "shelf_id", "left")
        .fillna(0)
    ).cache()
    wh_opening = _frame(
        spark,
        settings,
        "SELECT shelf_id, current_stock FROM ref.warehouse_inventory",
        "shelf_id string, wh_opening long",
    )
    wh_signed = F.when(F.col("event_type") == "wh_in", F.col("qty")).otherwise(-F.col("qty"))
    wh = (
        wh_opening.join(_sum_by_shelf(table("raw", "wh_events"), wh_signed, "wh_moved"), "shelf_id", "left")
        .join(table("cleansed", "wh_state").select("shelf_id", "wh_current_stock"), "shelf_id", "left")
        .join(
            _sum_by_shelf(
                table("cleansed", "wh_batch_state"), F.col("batch_quantity_warehouse"), "wh_batches"
            ),
            "shelf_id",
            "left",
        )
        .fillna(0)
    ).cache()
    rules = [
        ("shelf stock = opening - pickups + putbacks - removals", store, "current_stock = opening + moved"),
        (
            "store batches = opening batches - sold + restocked - removed",
            store,
            "batches = opening_batches - sold + restocked - removed",
        ),
        ("units in carts (batches - shelf stock) are not negative", store, "batches - current_stock >= 0"),
        ("warehouse stock = opening + wh_in - wh_out", wh, "wh_current_stock = wh_opening + wh_moved"),
        ("warehouse stock = the sum of its batches", wh, "wh_current_stock = wh_batches"),
        ("no stock below zero", store.join(wh, "shelf_id"), "current_stock >= 0 AND wh_current_stock >= 0"),
    ]
    results = [spark_caught_up(settings)]
    results += [Check(what, df.count(), df.where(f"NOT ({rule})").count()) for what, df, rule in rules]
    in_carts = store.agg(F.sum(F.col("batches") - F.col("current_stock"))).first()[0]
    counted = ", ".join(
        f"{table('raw', name).count():,} {name}" for name in ("shelf_events", "pos_transactions", "wh_events")
    )
    results.append(Check(f"from {counted}; units in carts now: {in_carts:,}", 0, 0))
    return results


RETRY_EVERY_S = 15.0
CAUGHT_UP_EVERY_S = 5.0  # a look at the checkpoints and the broker's end offsets: cheap
say_now = partial(print, flush=True)  # a round's line as it happens, through a pipe too


def failures(report: Report) -> int:
    return sum(check.failing for check in report)


def until_clean(
    run: Callable[[], Report],
    wait_s: float,
    *,
    every_s: float = RETRY_EVERY_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = say_now,
) -> Report:
    """`run()` every `every_s` until its report has no failure, starting no round after `wait_s`;
    the last report. A round that meets an outage (`retry.outage_of`: a database restarting) is
    said and tried again, and the last one's error is raised; any other error (a missing table, a
    bug) is raised at once, as the project's retries do."""
    deadline = clock() + wait_s
    while True:
        try:
            report = run()
        except Exception as exc:
            if outage_of(exc) is None or clock() + every_s > deadline:
                raise
            say(f"round failed: {exc}; checking again in {every_s:.0f} s")
        else:
            if not failures(report) or clock() + every_s > deadline:
                return report
            failing = [check.what for check in report if check.failing]
            say(f"not yet: {'; '.join(failing)}; checking again in {every_s:.0f} s")
        sleep(every_s)


def line(check: Check) -> str:
    what, checked, failing, unit = check
    if not checked:
        return f"     {what}"
    if failing:
        return f"FAIL {what}: {failing:,} of {checked:,} {unit}"
    return f"ok   {what} ({checked:,} {unit})"


def caught_up_then_checked(
    wait_s: float,
    caught_up: Callable[[], Check],
    start_checks: Callable[[], Callable[[], Report]],
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = say_now,
) -> Report:
    """Rounds of `caught_up()` alone, every CAUGHT_UP_EVERY_S, until Spark has read every topic to
    its end or `wait_s` has gone by; only then `start_checks()` (a Spark session of its own: none
    competes with the draining pipeline for the cores) and rounds of every check for what is left of
    `wait_s`. Without a wait, one round of each: the whole report, caught up or not."""
    deadline = clock() + wait_s
    until_clean(lambda: [caught_up()], wait_s, every_s=CAUGHT_UP_EVERY_S, clock=clock, sleep=sleep, say=say)
    return until_clean(start_checks(), max(deadline - clock(), 0.0), clock=clock, sleep=sleep, say=say)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m smart_shelf.reconcile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="check again until the checks pass or SECONDS have gone by (a draining pipeline)")  # fmt: skip
    args = parser.parse_args(argv)
    settings = get_settings()
    configure_logging("WARNING")
    sessions = []

    def start_checks() -> Callable[[], Report]:
        spark = build_spark("reconcile", settings)
        sessions.append(spark)

        def run() -> Report:
            spark.catalog.clearCache()  # a round reads the tables' latest versions, not the last round's
            return checks(spark, settings)

        return run

    report = caught_up_then_checked(args.wait, partial(spark_caught_up, settings), start_checks)
    for check in report:
        print(line(check))
    for spark in sessions:
        spark.stop()
    return 1 if failures(report) else 0


if __name__ == "__main__":
    sys.exit(main())
