"""make history against a Postgres of its own: two days written to Delta and Postgres, consistent with
themselves and with each other, readable and appendable by Spark, and the same twice over."""

from __future__ import annotations

import subprocess
import sys

import psycopg2
import pytest
from deltalake import DeltaTable

from smart_shelf.delta_tables import TABLES
from smart_shelf.history.record import KEYED, RAW
from tests.integration.private_stack import history_stack

DAYS = 2
SHELVES = 1142


def _history(env: dict, delta_root, days: int = DAYS) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smart_shelf.history", "--days", str(days)],
        env={**env, "DELTA_ROOT": str(delta_root)},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    stack = history_stack(root)
    try:
        done = _history(stack.env, root / "delta")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        yield stack, root / "delta", done.stdout
    finally:
        stack.down()


def _pg(stack):
    return psycopg2.connect(stack.settings.pg_dsn())


def _lake(root, relative_path: str):
    return DeltaTable(str(root / relative_path)).to_pyarrow_table()


def test_it_reports_each_day_and_a_summary(run):
    _, _, out = run
    assert "day   1/2 2026-01-01 Thu:" in out and "day   2/2 2026-01-02 Fri:" in out
    assert "events/s" in out and "out-of-stock shelf-days" in out


def test_postgres_holds_the_days_the_transactions_and_the_closing_state_of_the_lake(run):
    stack, delta, _ = run
    with _pg(stack) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE stock_close <> stock_open + refill_units - removed_units"
            " - units_taken), sum(units_sold) FROM analytics.shelf_daily"
        )
        days, unbalanced, sold = cur.fetchone()
        assert (days, unbalanced) == (DAYS * SHELVES, 0) and sold > 0
        cur.execute("SELECT count(*) FROM ops.pos_transactions")
        assert cur.fetchone()[0] == _lake(delta, "raw/pos_transactions").num_rows
        cur.execute("SELECT sum(quantity) FROM ops.pos_transaction_items")
        lines = _lake(delta, "raw/pos_transactions").column("items").to_pylist()
        assert cur.fetchone()[0] == sum(i["quantity"] for items in lines for i in items)
        cur.execute("SELECT shelf_id, current_stock FROM state.shelf_state")
        in_pg = dict(cur.fetchall())
        lake = _lake(delta, "cleansed/shelf_state").to_pydict()
        assert (
            in_pg == dict(zip(lake["shelf_id"], lake["current_stock"], strict=True)) and len(in_pg) == SHELVES
        )
        # the store batches add up to the shelf's stock, the warehouse batches to the warehouse's
        cur.execute(
            "SELECT count(*) FROM state.shelf_state s LEFT JOIN (SELECT shelf_id, sum(batch_quantity_store) q"
            " FROM state.shelf_batch_state GROUP BY shelf_id) b USING (shelf_id)"
            " WHERE s.current_stock <> coalesce(b.q, 0)"
        )
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT count(*) FROM state.wh_state s LEFT JOIN (SELECT shelf_id, sum(batch_quantity_warehouse) q"
            " FROM state.wh_batch_state GROUP BY shelf_id) b USING (shelf_id)"
            " WHERE s.wh_current_stock <> coalesce(b.q, 0)"
        )
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM ops.shelf_restock_plan WHERE status IN ('pending', 'issued')")
        assert cur.fetchone()[0] <= SHELVES
        cur.execute("SELECT count(*), count(DISTINCT event_type) FROM ops.alerts")
        alerts, kinds = cur.fetchone()
        assert alerts > 0 and kinds >= 2


def test_a_second_run_over_the_same_days_is_refused_and_elsewhere_gives_the_same_tables(run, tmp_path):
    # (before Spark appends to the lake below)
    stack, delta, _ = run
    again = _history(stack.env, delta)
    assert again.returncode == 2 and "SIM_START 2026-01-01T07:00:00+00:00 is before the end" in again.stderr
    conn = _pg(stack)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE kept AS SELECT * FROM ops.handover; DELETE FROM ops.handover")
        other = _history(stack.env, tmp_path / "delta")  # a store as new, into another lake
        cur.execute("DELETE FROM ops.handover; INSERT INTO ops.handover SELECT * FROM kept")
    conn.close()
    assert other.returncode == 0, other.stderr[-3000:]
    for relative in sorted({*RAW.values(), *KEYED.values()}):
        first, second = _lake(delta, relative), _lake(tmp_path / "delta", relative)
        order = [(key, "ascending") for key in _keys(relative)]
        assert first.sort_by(order).equals(second.sort_by(order)), relative


def test_spark_reads_every_table_and_appends_to_them(run, spark):
    from smart_shelf.spark.io import append_delta
    from spark_apps.spark_init_delta.create import create_tables

    _, delta, _ = run
    written = {*RAW.values(), *KEYED.values()}
    created = create_tables(delta)  # spark-init-delta after a history: only what it lacks
    assert {str(p).removeprefix(f"{delta}/") for p in created} == {t.relative_path for t in TABLES} - written
    for relative in sorted(written):
        assert spark.read.format("delta").load(str(delta / relative)).count() > 0, relative
    events = spark.read.format("delta").load(str(delta / "raw/shelf_events"))
    before = events.count()
    append_delta(events.limit(3), str(delta / "raw/shelf_events"), "test-history/append", 0)
    assert spark.read.format("delta").load(str(delta / "raw/shelf_events")).count() == before + 3


def _keys(relative: str) -> tuple[str, ...]:
    return next(t.keys for t in TABLES if t.relative_path == relative)


def test_the_live_jobs_open_where_the_history_closed(run):
    """Each job's own opening code, pointed at the Postgres the history wrote: ledgers, watches (their
    id counters included, so live plan and alert ids never repeat history's), pickers, the shelf
    producer's view, the clock and the scheduled runs all continue from the history's end."""
    from kafka_components.kafka_producer_shelf.producer import handed_over_stock
    from simulated_time.clock import SIM_NOW_KEY
    from smart_shelf import settings as config
    from smart_shelf.handover import load
    from spark_apps.batch_state_updater import job as batch_state
    from spark_apps.shelf_aggregator import job as shelf_aggregator
    from spark_apps.shelf_alert_engine import job as shelf_alert_engine
    from spark_apps.wh_aggregator import job as wh_aggregator
    from spark_apps.wh_alert_engine import job as wh_alert_engine

    stack, delta, out = run
    own = {"pg_port": stack.settings.pg_port}
    closing = _lake(delta, "cleansed/shelf_state").to_pydict()
    stock = dict(zip(closing["shelf_id"], closing["current_stock"], strict=True))
    ledgers = shelf_aggregator.opening_ledgers(config.ShelfAggregatorSettings(**own))
    assert {s: ledger.current_stock for s, ledger in ledgers.items()} == stock
    assert handed_over_stock(config.Settings(**own)) == stock
    batches = batch_state.opening_ledgers(config.BatchStateSettings(**own))
    assert all(sum(b.quantity for b in batches[s].batches.by_code.values()) == stock[s] for s in stock)
    wh = _lake(delta, "cleansed/wh_state").to_pydict()
    warehouse = wh_aggregator.opening_ledgers(config.WarehouseAggregatorSettings(**own))
    assert {s: w.wh_current_stock for s, w in warehouse.items()} == dict(
        zip(wh["shelf_id"], wh["wh_current_stock"], strict=True)
    )
    known, _ = shelf_alert_engine.shelves(config.ShelfAlertEngineSettings(**own))
    handed = load(config.Settings(**own), shelf_alert_engine.JOB)
    plans = _lake(delta, "ops/shelf_restock_plan").to_pydict()
    made = {}
    for shelf in plans["shelf_id"]:
        made[shelf] = made.get(shelf, 0) + 1
    for shelf, count in made.items():
        assert shelf_alert_engine.open_watch(known, shelf, handed).plans_made == count
        assert shelf_alert_engine.open_watch(known, shelf).plans_made == 0  # without a history
    policies, _ = wh_alert_engine.policies(config.WarehouseAlertEngineSettings(**own))
    supplier_handed = load(config.Settings(**own), wh_alert_engine.JOB)
    supplier_plans = _lake(delta, "ops/wh_supplier_plan").to_pydict()["shelf_id"]
    assert supplier_plans
    for shelf in set(supplier_plans):
        assert wh_alert_engine.open_watch(
            policies, shelf, supplier_handed
        ).plans_made == supplier_plans.count(shelf)
    import redis

    resumed = redis.Redis(port=stack.settings.redis_port, decode_responses=True).get(SIM_NOW_KEY)
    assert f"the simulated clock resumes at {resumed}" in out and resumed > "2026-01-03"
    runs = _lake(delta, "ops/job_runs").to_pydict()
    assert {"discounts:2026-01-02", "removal:2026-01-02"} <= set(runs["run_key"])


def test_a_later_history_carries_on_the_supplier_cycle_where_the_first_left_it(run):
    """(last: it extends the lake and the handover) Supplier plans open at the handover are ordered at
    the next cutoff, as wh-supplier-manager would order them live, instead of being stranded."""
    from datetime import timedelta

    from smart_shelf import settings as config
    from smart_shelf.handover import handed_at

    stack, delta, _ = run
    plans = _lake(delta, "ops/wh_supplier_plan").to_pylist()
    pending = {p["supplier_plan_id"] for p in plans if p["status"] == "pending"}
    assert pending
    resume = handed_at(config.Settings(pg_port=stack.settings.pg_port)) + timedelta(minutes=1)
    later = _history({**stack.env, "SIM_START": resume.isoformat()}, delta)  # to Sunday night: a cutoff
    assert later.returncode == 0, later.stdout[-2000:] + later.stderr[-3000:]
    after = {p["supplier_plan_id"]: p for p in _lake(delta, "ops/wh_supplier_plan").to_pylist()}
    ordered = {o["supplier_plan_id"] for o in _lake(delta, "ops/wh_supplier_orders").to_pylist()}
    assert all(after[p]["status"] in ("issued", "completed") and p in ordered for p in pending)
