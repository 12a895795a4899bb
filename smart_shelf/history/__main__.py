"""make history DAYS=N: N days of the store from SIM_START, simulated in this process by the services'
rules and written to the pipeline's Delta tables and Postgres. Needs Postgres initialised (make history
starts it: make up S=postgres-init), where the jobs open their ledgers and policies."""

from __future__ import annotations

import argparse
import logging
import queue
import resource
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime

from simulated_time.clock import publish
from smart_shelf import handover
from smart_shelf.history.opening import hand_over, open_history, open_ledgers, open_operations
from smart_shelf.history.postgres_out import PostgresOut
from smart_shelf.history.record import Lake, Recorder
from smart_shelf.history.simulate import DayResult
from smart_shelf.logs import configure_logging
from smart_shelf.redis_client import connect_redis
from smart_shelf.settings import FootTrafficSettings

log = logging.getLogger("history")


class HistoryError(ValueError):
    """A setting that makes the history impossible, with what to change."""


def check_days(days: int, sim_days: int = 365) -> None:
    if days < 1:
        raise HistoryError(f"DAYS must be at least 1 (got {days})")
    if days >= sim_days:
        raise HistoryError(f"DAYS ({days}) must leave some of SIM_DAYS ({sim_days}) for the live store")


def check_start(start: datetime, lake: Lake, handed_at: datetime | None = None) -> None:
    """History starts after any data the store has: neither before the end of an earlier history nor
    inside the events of the lake."""
    if handed_at is not None and start < handed_at:
        raise HistoryError(
            f"SIM_START {start.isoformat()} is before the end of the last history ({handed_at.isoformat()}), "
            "where the store's ledgers now stand: choose a later SIM_START, or `make reset` to start a new store"
        )
    latest = lake.latest_event_time("raw/shelf_events", "timestamp")
    if latest is not None and latest >= start:
        raise HistoryError(
            f"SIM_START {start.isoformat()} is in the past of the data in {lake.root} (shelf events up to "
            f"{latest.isoformat()}): choose a later SIM_START, or `make reset` to start a new store"
        )


def day_line(n: int, days: int, result: DayResult, seconds: float) -> str:
    return (
        f"day {n:>3}/{days} {result.day:%Y-%m-%d %a}: {result.customers:,} customers, "
        f"{result.transactions:,} transactions, {result.units_sold:,} units sold ({result.revenue:,.2f}), "
        f"{result.lost_sale_units:,} lost, {result.shelves_out_of_stock} shelves empty at close, "
        f"{result.refill_units:,} refilled, {result.removed_units:,} removed, "
        f"{result.supplier_units:,} delivered  [{seconds:.1f}s]"
    )


class DayWriter:
    """Writes each day's events on a thread of its own while the next day is simulated (Delta and
    Postgres wait on I/O and their own processes, not on this one); at most two days queue up. A
    failed write stops the history at the next day with the writer's error."""

    def __init__(self, write: Callable[[dict], object]):
        self._write, self._queue, self._error = write, queue.Queue(maxsize=2), None
        self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (events := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._write(events)
                except BaseException as exc:  # handed to the simulating thread
                    self._error = exc

    def put(self, events: dict) -> None:
        self._raise()
        self._queue.put(events)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"writing the history failed: {self._error}") from self._error


def out_of_stock_rate(recorder: Recorder) -> float:
    """Shelf-days on which a shelf was found empty (a lost sale) or closed empty, of all shelf-days."""
    days = list(recorder.rows["shelf_daily"].values())
    empty = sum(1 for d in days if d.lost_sale_units > 0 or d.stock_close == 0)
    return empty / len(days) if days else 0.0


def clock_at(settings: FootTrafficSettings, moment: datetime) -> None:
    """The simulated clock's last published time: sim-clock resumes the live store from there."""
    try:
        client = connect_redis(settings, deadline_seconds=30)
    except Exception as exc:  # the history is written; only the live start point is missing
        log.warning(
            "Redis unreachable (%s): start the live store at %s with SIM_START", exc, moment.isoformat()
        )
        return
    publish(client, moment)
    print(f"history: the simulated clock resumes at {moment.isoformat()} (make demo continues from there)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make history", description=__doc__)
    parser.add_argument("--days", type=int, default=91, help="simulated days (DAYS, default 91)")
    args = parser.parse_args(argv)
    settings = FootTrafficSettings()
    configure_logging(settings.log_level)
    start, seed, days = settings.sim_start, settings.data_seed, args.days
    lake = Lake(settings.delta_root)
    try:
        check_days(days, settings.sim_days)
        check_start(start, lake, handover.handed_at(settings))
    except HistoryError as exc:
        print(f"make history: {exc}", file=sys.stderr)
        return 2
    began = time.monotonic()
    ops = open_operations(open_ledgers(start), seed, lake)
    history = open_history(settings, ops)
    print(f"history: {days} days from {start.isoformat()}, seed {seed}, into {lake.root}", flush=True)
    mark = time.monotonic()
    postgres = PostgresOut(settings)
    writer = DayWriter(lambda events: (lake.append_events(events), postgres.write_day(events)))
    for n, result in enumerate(history.run(start, days, flush=writer.put), start=1):
        print(day_line(n, days, result, time.monotonic() - mark), flush=True)
        mark = time.monotonic()
    writer.close()
    print("history: writing the closing state, alerts, plans, orders and day summaries", flush=True)
    lake.write_keyed(ops.out.rows)
    postgres.write_keyed(ops.out.rows)
    hand_over(settings, ops.ledgers, history.floor, history.end)
    clock_at(settings, history.end)
    elapsed = time.monotonic() - began
    events = sum(ops.out.counts.values())
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"history: {days} days to {history.end.isoformat()} in {elapsed:.1f}s ({elapsed / days:.2f}s per day, "
        f"{events / elapsed:,.0f} events/s, {events:,} events), peak memory {rss_mib:,.0f} MiB; "
        f"out-of-stock shelf-days {out_of_stock_rate(ops.out):.1%}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
