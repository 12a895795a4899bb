"""Whether the whole stack keeps pace with a simulated day at 720x: 1,000 customers through every stage
(producers, bridge, ledgers, operations, sinks) on a stack of the bench's own (every service but the
dashboard, on free ports and a data directory of its own), nothing killed.

From the day's own records:
  - the delay from a customer's shelf event written to Redis (its stream entry's time) to the first
    shelf_state record on Kafka that covers it (same shelf, `last_update_ts` at or after the event),
    beside the delay to the event's own record on Kafka (the bridge's share of it);
  - each restock plan's simulated minutes from its alert to its warehouse pick (the plan `issued`);
  - Spark's "falling behind" warnings (a micro-batch longer than its trigger);
  - the start: from starting the pipeline's services to the Spark application's queries running;
  - resident memory, sampled every four simulated hours: the Spark application's peak, and the
    peak of the whole stack's sum (every service, each with its child processes);
  - `make reconcile` (until it passes: the pipeline drains after the day) and `make report` at the end.

Run alone: python -m tests.bench.pace (about six minutes).
"""

from __future__ import annotations

import bisect
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import redis

from smart_shelf.contracts import STREAM_DATA_FIELD
from smart_shelf.settings import ShelfAggregatorSettings, ShelfProducerSettings
from tests.bench import stop_on_sigterm
from tests.conftest import read_to_end
from tests.integration.private_stack import STORE, pipeline, queries_running, sim_now, whole_stack
from tests.integration.spark_apps.ledger_harness import wait_for

MULTIPLIER = 720
CUSTOMERS = 1000
DAY_START = datetime(2026, 1, 1, 7, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)
BOTS = {"restock_bot", "removal_bot"}
PICK_WITHIN = timedelta(minutes=2)  # simulated
RUNNING_LINE = re.compile(r"running .+: \d+ queries")  # spark_apps' line once every query is started


def _quantiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"samples": len(values)}
    cuts = statistics.quantiles(values, n=100)
    return {"samples": len(values), "p50_s": cuts[49], "p95_s": cuts[94], "max_s": max(values)}


def state_delays(
    events: list[tuple[str, datetime, float]], states: list[tuple[str, datetime, float]]
) -> list:
    """Seconds from each event's write (shelf, event time, written at) to the first state record of
    its shelf written after it whose `last_update_ts` reaches the event's time. Pure.

    states: (shelf, last_update_ts, written at), in the order they were written."""
    by_shelf: dict[str, list[tuple[float, datetime]]] = defaultdict(list)
    for shelf, updated, at in states:
        by_shelf[shelf].append((at, updated))
    delays = []
    for shelf, when, written in events:
        records = by_shelf.get(shelf, [])
        start = bisect.bisect_left(records, written, key=lambda r: r[0])
        covering = next((at for at, updated in islice(records, start, None) if updated >= when), None)
        if covering is not None:
            delays.append(covering - written)
    return delays


def plan_pick_minutes(
    plans: list[tuple[dict, float]], alerts_at: dict[str, float], multiplier: float
) -> list:
    """Simulated minutes from each restock plan's alert reaching Kafka (else the plan's first record) to
    its first `issued` record reaching Kafka: the records' own times are the simulated moments the
    pipeline reacted to, so the lag is measured in wall time and scaled by the clock's multiplier.
    Plans never issued are left out (counted apart). Pure.

    plans: (plan record, written at), in the order they were written; alerts_at: alert_id -> written at."""
    first_seen: dict[str, float] = {}
    issued: dict[str, float] = {}
    for plan, at in plans:
        plan_id = plan["plan_id"]
        first_seen.setdefault(plan_id, at)
        if plan["status"] == "issued" and plan_id not in issued:
            start = alerts_at.get(plan.get("alert_id"), first_seen[plan_id])
            issued[plan_id] = (at - start) * multiplier / 60
    return list(issued.values())


def falling_behind_by_trigger(log: str) -> dict[int, int]:
    """Spark's "falling behind" warnings counted by the trigger interval (ms) of the query that gave them."""
    counts: dict[int, int] = defaultdict(int)
    for interval in re.findall(r"falling behind\. The trigger interval is (\d+) milliseconds", log):
        counts[int(interval)] += 1
    return dict(sorted(counts.items()))


def _every_query_started(spark_log: Path) -> bool:
    """Whether the Spark application logged that it runs its jobs (every query started)."""
    return spark_log.exists() and RUNNING_LINE.search(spark_log.read_text(errors="replace")) is not None


def memory_peaks(samples: list[dict[str, float]]) -> dict:
    """The peak RSS of each service and of the stack's sum over samples of {service: MiB}. Pure."""
    services = {name for sample in samples for name in sample}
    return {
        "per_service": {n: max(s.get(n, 0.0) for s in samples) for n in sorted(services)},
        "stack": max((sum(s.values()) for s in samples), default=0.0),
    }


def bench_pace(root: Path) -> dict:
    stack = whole_stack(
        root,
        USE_SIMULATED_TIME="1",
        TIME_MULTIPLIER=str(MULTIPLIER),
        SIM_START=DAY_START.isoformat(),
        SIM_DAYS="1",
        DAILY_CUSTOMERS=str(CUSTOMERS),
    )
    settings, supervisor = stack.settings, stack.supervisor
    client = redis.Redis(port=settings.redis_port, decode_responses=True, socket_connect_timeout=2)
    try:
        t0 = time.monotonic()
        supervisor.up(pipeline(stack))
        spark_log = settings.log_dir / "spark-apps.log"
        wait_for(lambda: _every_query_started(spark_log), 900, "every Spark query started", every_s=0.5)
        start_s = time.monotonic() - t0
        wait_for(lambda: queries_running(client), 900, "the Spark queries running", every_s=1)
        print(f"pace: every Spark query started after {start_s:.0f} s; the day starts", flush=True)
        supervisor.up(STORE)
        day_began = time.monotonic()
        memory = []
        for hours in range(4, 25, 4):
            mark = min(DAY_START + timedelta(hours=hours), DAY_END)
            wait_for(lambda m=mark: sim_now(client) >= m, 900, f"the simulated clock at {mark}", every_s=2)
            memory.append({s.name: s.rss_mib for s in supervisor.status() if s.rss_mib})
            print(
                f"pace: {mark:%H:%M} simulated, {time.monotonic() - day_began:.0f} s,"
                f" the stack {sum(memory[-1].values()):,.0f} MiB",
                flush=True,
            )
        day_wall_s = time.monotonic() - day_began
        reconcile = subprocess.run(
            [sys.executable, "-m", "smart_shelf.reconcile", "--wait", "600"],
            env=stack.env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        print(f"pace: make reconcile exited {reconcile.returncode}", flush=True)
        report = subprocess.run(
            [sys.executable, "-m", "smart_shelf.ops_report"], env=stack.env, capture_output=True, text=True, timeout=300
        )  # fmt: skip
        written = {}  # event_id -> (shelf, event time, written to Redis at)
        for entry_id, fields in client.xrange(ShelfProducerSettings(**settings.model_dump()).redis_stream):
            event = json.loads(fields[STREAM_DATA_FIELD])
            if event["customer_id"] not in BOTS and event["event_type"] in ("pickup", "putback"):
                at = int(entry_id.split("-")[0]) / 1000
                written[event["event_id"]] = (
                    event["item_id"],
                    datetime.fromisoformat(event["timestamp"]),
                    at,
                )
        on_kafka = [
            r.timestamp / 1000 - written[e["event_id"]][2]
            for r in read_to_end(settings, "shelf_events")
            if (e := json.loads(r.value))["event_id"] in written
        ]
        states = []
        for r in read_to_end(settings, "shelf_state"):
            state = json.loads(r.value)
            states.append(
                (state["shelf_id"], datetime.fromisoformat(state["last_update_ts"]), r.timestamp / 1000)
            )
        plans = [
            (json.loads(r.value), r.timestamp / 1000) for r in read_to_end(settings, "shelf_restock_plan")
        ]
        alerts_at: dict[str, float] = {}
        for r in read_to_end(settings, "alerts"):
            alerts_at.setdefault(json.loads(r.value)["alert_id"], r.timestamp / 1000)
        picks = plan_pick_minutes(plans, alerts_at, MULTIPLIER)
        log = spark_log.read_text(errors="replace")
        behind = falling_behind_by_trigger(log)
        return {
            "multiplier": MULTIPLIER,
            "customers": CUSTOMERS,
            "trigger_s": settings.ledger_seconds,
            "shelf_trigger_s": ShelfAggregatorSettings().ledger_seconds,
            "day_wall_s": day_wall_s,
            "start_s": start_s,
            "rss_mib": memory_peaks(memory),
            "events": len(written),
            "to_shelf_state": _quantiles(state_delays(list(written.values()), states)),
            "to_kafka": _quantiles(on_kafka),
            "plans": len({p["plan_id"] for p, _ in plans}),
            "plans_issued": len(picks),
            "plans_picked_within_2_min": sum(1 for m in picks if m <= PICK_WITHIN.total_seconds() / 60),
            "pick_minutes_max": max(picks, default=0.0),
            "pick_minutes_p50": statistics.median(picks) if picks else 0.0,
            "falling_behind_warnings": sum(behind.values()),
            "falling_behind_by_trigger_ms": behind,
            "reconcile_ok": reconcile.returncode == 0,
            "reconcile": reconcile.stdout[-2000:] + reconcile.stderr[-2000:],
            "report_ok": report.returncode == 0,
        }
    finally:
        supervisor.down()


def _by_trigger(counts: dict) -> str:
    return ", ".join(f"{n} on {int(ms) / 1000:g} s triggers" for ms, n in counts.items()) or "none"


def pace_section(d: dict) -> list[str]:
    shelf, kafka = d["to_shelf_state"], d["to_kafka"]
    return [
        f"## Keeping pace: a simulated day at {d['multiplier']}x, {d['customers']:,} customers, every stage",
        "",
        f"A stack of its own (every service but the dashboard; the shelf ledger's trigger {d['shelf_trigger_s']:g} s,"
        f" the other ledgers' {d['trigger_s']:g} s),"
        f" the day in {d['day_wall_s']:.0f} s;"
        f" {d['events']:,} customer pickups and putbacks.",
        "",
        "| what | p50 | p95 | max | aim |",
        "|---|---:|---:|---:|---:|",
        f"| **written to Redis -> its effect in shelf_state** | {shelf['p50_s']:.1f} s | {shelf['p95_s']:.1f} s"
        f" | {shelf['max_s']:.1f} s | p95 3 s |",
        f"| written to Redis -> its own record on Kafka (reference: the bridge's share) | {kafka['p50_s']:.2f} s"
        f" | {kafka['p95_s']:.2f} s | {kafka['max_s']:.1f} s | |",
        "",
        f"Restock plans: {d['plans']}, {d['plans_issued']} picked, {d['plans_picked_within_2_min']} within two"
        f" simulated minutes of their alert (aim: every one); from the alert's record on Kafka to the plan's"
        f" `issued` record, {d['pick_minutes_p50']:.0f} simulated minutes at the median and"
        f" {d['pick_minutes_max']:.0f} at most ({d['pick_minutes_max'] * 60 / d['multiplier']:.1f} wall seconds)."
        f" Spark's \"falling behind\" warnings: {d['falling_behind_warnings']}"
        f" ({_by_trigger(d.get('falling_behind_by_trigger_ms', {}))}). `make reconcile` at the end:"
        f" {'clean' if d['reconcile_ok'] else 'FAILED'}; `make report`: {'clean' if d['report_ok'] else 'FAILED'}.",
        "",
        *_start_and_memory(d),
    ]


def _start_and_memory(d: dict) -> list[str]:
    if "start_s" not in d:
        return []
    peaks = d["rss_mib"]["per_service"]
    return [
        "| what | measured | aim |",
        "|---|---:|---:|",
        f"| the pipeline's services started -> every Spark query started | {d['start_s']:.0f} s | 60 s |",
        f"| resident memory of spark-apps, its peak over the day | {peaks.get('spark-apps', 0):,.0f} MiB | 1,536 MiB |",
        f"| resident memory of the whole stack, its peak over the day | {d['rss_mib']['stack']:,.0f} MiB | 4,096 MiB |",
        "",
        "Peaks per service over the day (MiB): "
        + ", ".join(f"{name} {mib:,.0f}" for name, mib in sorted(peaks.items(), key=lambda p: -p[1]))
        + ".",
        "",
    ]


def main() -> None:
    stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="bench-pace-") as root:
        result = bench_pace(Path(root))
    print(json.dumps({k: v for k, v in result.items() if k != "reconcile"}, indent=1, default=str))
    print(result["reconcile"])
    print("\n".join(pace_section(result)))


if __name__ == "__main__":
    main()
