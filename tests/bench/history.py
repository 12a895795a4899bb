"""Fast-forward speed and memory: DAYS simulated days of the store in one process (make history's
engine, in memory: nothing written, so the bench never leaves a history behind in the store).

Reference, measured in the same run: the shop floor alone over the same days (arrival model,
shoppers' actions, till) with the shelves never empty and no operations, i.e. what the producers'
rules cost before any job runs. Memory beside the process's own once the store is opened.
Each run is a process of its own (`python -m tests.bench.history`), for a clean peak RSS.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import timedelta

DAYS = 91


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(days: int, floor_only: bool) -> dict:
    from kafka_components.kafka_producer_foot_traffic.arrival_model import plan_day, traffic_from
    from smart_shelf.history.opening import open_floor, open_history, open_ledgers, operations_rules
    from smart_shelf.history.operations import Operations
    from smart_shelf.history.record import Recorder
    from smart_shelf.history.simulate import STEP
    from smart_shelf.settings import FootTrafficSettings

    settings = FootTrafficSettings()
    seed, start = settings.data_seed, settings.sim_start
    floor = open_floor(settings, seed)
    if floor_only:
        floor.stock = {shelf: 10**9 for shelf in floor.stock}
        opened_rss, began, events = _rss_mib(), time.monotonic(), 0
        moment = start
        for n in range(days):
            day = (start + timedelta(days=n)).date()
            visits = iter(plan_day(seed, day, traffic_from(settings), start.tzinfo, start))
            upcoming = next(visits, None)
            end = start + timedelta(days=n + 1)
            while moment < end:
                moment += STEP
                while upcoming is not None and upcoming.entry_time <= moment:
                    floor.admit(upcoming)
                    upcoming = next(visits, None)
                events += len(floor.act_until(moment)) + len(floor.checkouts(moment))
        return {
            "seconds": time.monotonic() - began,
            "events": events,
            "rss_mib": _rss_mib(),
            "opened_rss_mib": opened_rss,
        }
    ops = Operations(open_ledgers(start), operations_rules(seed), Recorder())
    history = open_history(settings, ops, floor)
    opened_rss, began = _rss_mib(), time.monotonic()
    for n, day in enumerate(history.run(start, days, flush=lambda _events: None), start=1):
        if n % 7 == 0 or n == days:
            print(
                f"  history bench: day {n}/{days} {day.day} [{time.monotonic() - began:.0f}s]",
                file=sys.stderr,
                flush=True,
            )
    seconds = time.monotonic() - began
    rows = list(ops.out.rows["shelf_daily"].values())
    empty = sum(1 for d in rows if d.lost_sale_units > 0 or d.stock_close == 0)
    return {
        "seconds": seconds,
        "events": sum(ops.out.counts.values()),
        "rss_mib": _rss_mib(),
        "opened_rss_mib": opened_rss,
        "out_of_stock_rate": empty / len(rows),
    }


def bench_history(days: int = DAYS) -> dict:
    """Both runs, each in a process of its own."""
    out = {"days": days}
    for name, flag in (("floor", "--floor-only"), ("history", "")):
        argv = [sys.executable, "-m", "tests.bench.history", str(days), *([flag] if flag else [])]
        done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=3600)
        out[name] = json.loads(done.stdout.strip().splitlines()[-1])
    for run in ("floor", "history"):
        out[run]["seconds_per_day"] = out[run]["seconds"] / days
        out[run]["events_per_s"] = out[run]["events"] / out[run]["seconds"]
    return out


if __name__ == "__main__":
    print(json.dumps(_run(int(sys.argv[1]), floor_only="--floor-only" in sys.argv)))
