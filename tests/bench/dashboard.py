"""The dashboard with a simulated week of data: each page's time to render, and the server's memory.

A week of the store's records is written where the dashboard reads them (Postgres rows on a week no
pipeline reaches, removed afterwards; a Delta root and a Redis database of the bench's own), at the
demo's scale: 1,000 customers a day, their till lines, shelf events and alerts. Each page is rendered
by Streamlit's AppTest with its caches cleared (every query runs), beside a one-metric page rendered
the same way (the framework's floor); the server's resident memory after Chromium has opened every
page twice, beside a one-line Streamlit app's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import redis
from deltalake import write_deltalake
from psycopg2.extras import execute_values

from simulated_time.clock import publish
from smart_shelf.contracts import STREAM_DATA_FIELD
from smart_shelf.paths import REPO_ROOT
from smart_shelf.postgres_client import connect_postgres
from tests.conftest import free_port

WEEK_START = datetime(2032, 3, 1, tzinfo=UTC)
DAYS = 7
CUSTOMERS_PER_DAY = 1000
RUNS = 8
REDIS_DB = 10
PREFIX = "bench-dash-"
PAGES = sorted((REPO_ROOT / "dashboard" / "views").glob("*.py"))
TS = pa.timestamp("us", tz="UTC")
FLOOR_PAGE = 'import streamlit as st\nst.title("floor")\nst.metric("x", 1)\n'


def _week(pg, rng: np.random.Generator, shelves: list[str]) -> dict:
    """Till lines and alerts for a week into Postgres; returns the shelf events and sessions for Delta."""
    transactions, items, alerts, events, sessions = [], [], [], [], []
    for day in range(DAYS):
        opening = WEEK_START + timedelta(days=day, hours=7)
        for c in range(CUSTOMERS_PER_DAY):
            entry = opening + timedelta(minutes=float(rng.uniform(0, 16 * 60)))
            leave = entry + timedelta(minutes=float(rng.uniform(10, 75)))
            customer = f"{PREFIX}{day}-{c}"
            sessions.append((customer, entry, leave))
            picked = rng.choice(len(shelves), size=int(rng.integers(1, 12)), replace=False)
            lines = []
            for n, s in enumerate(picked):
                at = entry + (leave - entry) * float(rng.uniform(0, 1))
                events.append((f"{customer}-{n}", "pickup", customer, shelves[s], at, 1))
                events.append((f"{customer}-{n}-w", "weight_change", customer, shelves[s], at, None))
                lines.append((shelves[s], 1, 3.5, float(rng.choice([0, 0, 0, 0.2]))))
            tid = f"{PREFIX}t-{day}-{c}"
            total = sum(q * p * (1 - d) for _, q, p, d in lines)
            transactions.append((tid, customer, leave, len(lines), round(total, 2)))
            items += [(tid, n, s, q, p, d, round(q * p * (1 - d), 2)) for n, (s, q, p, d) in enumerate(lines)]
        for a in range(300):
            created = opening + timedelta(minutes=float(rng.uniform(0, 16 * 60)))
            status = str(rng.choice(["open", "acknowledged", "resolved", "resolved"]))
            kind = str(rng.choice(["refill_request", "near_expiry", "stock_discrepancy"]))
            updated = created + timedelta(hours=float(rng.uniform(0, 6)))
            alerts.append(
                (f"{PREFIX}a-{day}-{a}", kind, shelves[a % len(shelves)], "store", status, created, updated)
            )
    with pg, pg.cursor() as cur:
        execute_values(
            cur,
            'INSERT INTO ops.pos_transactions (transaction_id, customer_id, "timestamp", total_items, total_amount) VALUES %s',
            transactions,
        )
        execute_values(
            cur,
            "INSERT INTO ops.pos_transaction_items (transaction_id, line_no, shelf_id, quantity, unit_price, discount,"
            " total_price) VALUES %s",
            items,
        )
        # a shelf's condition-type alert is open at most once: bench alerts are incidents
        execute_values(
            cur,
            "INSERT INTO ops.alerts (alert_id, event_type, shelf_id, location, status, created_at, updated_at) VALUES %s",
            [
                (i, "stock_discrepancy" if s == "open" else k, sh, loc, s, c, u)
                for i, k, sh, loc, s, c, u in alerts
            ],
        )
    return {"events": events, "sessions": sessions, "lines": len(items), "alerts": len(alerts)}


def _delta(root: Path, week: dict) -> None:
    ids, kinds, customers, shelves, times, qty = zip(*week["events"], strict=True)
    n = len(ids)
    none_str = pa.array([None] * n, pa.string())
    write_deltalake(
        str(root / "raw" / "shelf_events"),
        pa.table(
            {
                "event_id": list(ids),
                "event_type": list(kinds),
                "customer_id": list(customers),
                "item_id": list(shelves),
                "timestamp": pa.array(times, TS),
                "quantity": pa.array(qty, pa.int64()),
                "weight": pa.array([None] * n, pa.float64()),
                "delta_weight": pa.array(
                    [-1.0 if k == "weight_change" else None for k in kinds], pa.float64()
                ),
                "shelf_id": none_str,
                "batch_code": none_str,
                "received_date": pa.array([None] * n, pa.date32()),
                "expiry_date": pa.array([None] * n, pa.date32()),
                "plan_id": none_str,
            }
        ),  # fmt: skip
        partition_by=None,
    )
    customers, entries, exits = zip(*week["sessions"], strict=True)
    m = len(customers)
    write_deltalake(
        str(root / "raw" / "foot_traffic"),
        pa.table(
            {
                "event_id": list(customers),
                "event_type": ["foot_traffic"] * m,
                "customer_id": list(customers),
                "entry_time": pa.array(entries, TS),
                "exit_time": pa.array(exits, TS),
                "trip_duration_minutes": [
                    int((b - a).total_seconds() // 60) for a, b in zip(entries, exits, strict=True)
                ],
                "weekday": [e.strftime("%A") for e in entries],
                "time_slot": ["10:00–13:59"] * m,
            }
        ),  # fmt: skip
    )


def _redis(settings, now: datetime, week: dict):
    client = redis.Redis(
        host=settings.redis_host, port=settings.redis_port, db=REDIS_DB, decode_responses=True
    )
    client.flushdb()
    publish(client, now, speed=60)
    for customer, entry, leave in sorted(week["sessions"], key=lambda s: s[1]):
        if now - timedelta(hours=2) <= entry <= now:
            payload = {
                "customer_id": customer,
                "entry_time": entry.isoformat(),
                "exit_time": leave.isoformat(),
            }
            client.xadd("foot_traffic", {STREAM_DATA_FIELD: json.dumps(payload)})
    return client


def _render_seconds(path: Path) -> list[float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    times = []
    for _ in range(RUNS):
        st.cache_data.clear()
        t0 = time.perf_counter()
        at = AppTest.from_file(str(path), default_timeout=120).run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, f"{path.name}: {[e.value for e in at.exception]}"
    return times


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _serve(argv: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"{argv} did not answer on port {port}")


def _server_memory(env: dict, floor_app: Path) -> tuple[float, float]:
    """RSS of the dashboard after Chromium opened every page twice; of a one-page app after one visit."""
    from tests.e2e.browser import PAGES as BROWSER_PAGES
    from tests.e2e.browser import chromium, visit

    port = free_port()
    dashboard = _serve([sys.executable, "-m", "dashboard"], {**env, "DASH_PORT": str(port)}, port)
    floor_port = free_port()
    floor = _serve(
        [sys.executable, "-m", "streamlit", "run", str(floor_app), "--server.port", str(floor_port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        env, floor_port,
    )  # fmt: skip
    driver = chromium()
    try:
        for _ in range(2):
            for page in BROWSER_PAGES:
                visit(driver, f"http://127.0.0.1:{port}", page)
        driver.get(f"http://127.0.0.1:{floor_port}/")
        time.sleep(3)
        return _rss_mib(dashboard.pid), _rss_mib(floor.pid)
    finally:
        driver.quit()
        for proc in (dashboard, floor):
            proc.terminate()
            proc.wait(timeout=30)


def bench_dashboard(settings) -> dict:
    rng = np.random.default_rng(7)
    pg = connect_postgres(settings, deadline_seconds=60)
    with pg.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id")
        shelves = [r[0] for r in cur.fetchall()]
    now = WEEK_START + timedelta(days=DAYS - 1, hours=15)
    saved_env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        root = Path(tmp)
        try:
            week = _week(pg, rng, shelves)
            _delta(root / "delta", week)
            client = _redis(settings, now, week)
            env = {
                **os.environ,
                "REDIS_DB": str(REDIS_DB),
                "USE_SIMULATED_TIME": "1",
                "DELTA_ROOT": str(root / "delta"),
            }
            os.environ.update(env)
            import streamlit as st

            st.cache_resource.clear()
            floor_app = root / "floor.py"
            floor_app.write_text(FLOOR_PAGE)
            floor = _render_seconds(floor_app)
            pages = {}
            for page in PAGES:
                times = _render_seconds(page)
                pages[page.stem] = {
                    "p50_s": statistics.median(times),
                    "p95_s": _p(times, 95),
                    "runs": len(times),
                }
                print(f"dashboard {page.stem}: p50 {pages[page.stem]['p50_s']:.2f} s", flush=True)
            rss, floor_rss = _server_memory(env, floor_app)
            client.flushdb()
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            with pg, pg.cursor() as cur:
                cur.execute("DELETE FROM ops.pos_transactions WHERE transaction_id LIKE %s", (PREFIX + "%",))
                cur.execute("DELETE FROM ops.alerts WHERE alert_id LIKE %s", (PREFIX + "%",))
            pg.close()
    return {
        "week": {
            "days": DAYS,
            "till_lines": week["lines"],
            "alerts": week["alerts"],
            "shelf_events": len(week["events"]),
            "sessions": len(week["sessions"]),
        },  # fmt: skip
        "pages": pages,
        "floor": {"p50_s": statistics.median(floor), "p95_s": _p(floor, 95), "runs": len(floor)},
        "rss_mib": rss,
        "floor_rss_mib": floor_rss,
    }


if __name__ == "__main__":
    from smart_shelf.settings import get_settings
    from tests.bench import stop_on_sigterm

    stop_on_sigterm()
    print(json.dumps(bench_dashboard(get_settings()), indent=2, default=str))
