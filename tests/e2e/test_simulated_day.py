"""A simulated day end to end: producers -> Redis -> bridge -> Kafka -> the ledger jobs in one Spark
application -> Delta, with the application SIGKILLed mid-day and restarted, and poison records in
the streams. Then, for every shelf: opening stock - customer pickups + customer putbacks = shelf
stock in Delta = the shelf producer's own ledger = the sum of the shelf's batches (every customer has
paid and left), and nothing is negative or counted twice. Kafka Connect's JDBC sink copies the
day's shelf_state topic into Postgres: the table ends equal to the Delta ledger, shelf by shelf.
"""

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from smart_shelf import reconcile
from smart_shelf.connect.configs import SINKS, sink_config
from smart_shelf.contracts import InvalidEvent, PosTransaction, ShelfEvent, parse_event
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import Settings
from smart_shelf.store.sources import load_inventory
from tests.conftest import consume_all, rows, table_like
from tests.integration.producers.test_simulated_hour import Store
from tests.integration.spark_apps.ledger_harness import send, wait_for

DAY_START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
DAY_END = datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
LAST_CHECKOUT = DAY_END + timedelta(hours=4)
STEP = timedelta(minutes=10)
JOBS = ["shelf-aggregator", "batch-state-updater", "wh-aggregator", "wh-batch-state-updater", "alerts-sink"]


def _app(env):
    return subprocess.Popen([sys.executable, "-m", "spark_apps", *JOBS], env=env)


def _valid(model, records):
    valid = []
    for record in records:
        try:
            valid.append(parse_event(model, record.value))
        except InvalidEvent:
            pass  # the poison this test sent
    return valid


@pytest.mark.timeout(2400)  # about 11 minutes on 2 cores; three times that and more
def test_a_simulated_day_conserves_every_unit(
    stack, settings, spark, topic_factory, unique, tmp_path, connectors, pg_conn, pg_schema
):
    topics = {
        key: topic_factory(name, dead_letters=True)
        for key, name in (
            ("foot", "foot_traffic"),
            ("door", "foot_traffic_realistic"),
            ("shelf", "shelf_events"),
            ("pos", "pos_transactions"),
            ("alerts", "alerts"),
        )
    }
    for name in ("shelf_state", "shelf_batch_state", "wh_state", "wh_batch_state"):
        topics[name] = topic_factory(name)
    topics["wh_events"] = topic_factory("wh_events", dead_letters=True)
    state_table = table_like(pg_conn, pg_schema, "state.shelf_state")
    sink = next(s for s in SINKS if s.topic == "shelf_state")
    connectors(
        f"e2e-sink-{unique}", sink_config(settings, sink, topic=topics["shelf_state"], table=state_table)
    )
    delta = tmp_path / "delta"
    env = {
        **os.environ,
        "DELTA_ROOT": str(delta),
        "TOPIC_SHELF_EVENTS": topics["shelf"],
        "TOPIC_SHELF_STATE": topics["shelf_state"],
        "TOPIC_WH_EVENTS": topics["wh_events"],
        "TOPIC_WH_STATE": topics["wh_state"],
        "TOPIC_WH_BATCH": topics["wh_batch_state"],
        "TOPIC_POS_TRANSACTIONS": topics["pos"],
        "TOPIC_BATCH_STATE": topics["shelf_batch_state"],
        "TOPIC_ALERTS": topics["alerts"],
        "SPARK_TRIGGER_SECONDS": "2",
        "LEDGER_TRIGGER_SECONDS": "2",  # the shelf ledger's too: the day's CPU as it was budgeted
        "DELTA_TRIGGER_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    inventory = load_inventory(settings, max_wait_seconds=5)
    store = Store(settings, unique, topics, inventory)
    app = _app(env)
    try:
        now, killed = DAY_START, False
        while now <= LAST_CHECKOUT:
            store.tick(now, doors_open=now < DAY_END)  # then the last customers finish and pay
            if not killed and now >= DAY_START + timedelta(hours=9):
                app.send_signal(signal.SIGKILL)  # mid-day, whatever it was doing
                app.wait()
                app, killed = _app(env), True
            now += STEP
        store.close()
        # poison in both streams (after the day: the test's own producers would choke on it)
        send(settings, topics["shelf"], ["{poison", {"event_id": "x", "event_type": "pickup"}])
        send(settings, topics["pos"], ['{"items": 1}'])

        events = _valid(ShelfEvent, consume_all(settings, topics["shelf"], 1, timeout_s=20))
        sales = _valid(PosTransaction, consume_all(settings, topics["pos"], 1, timeout_s=20))
        assert events and sales
        opening = dict(zip(inventory["shelf_id"], inventory["current_stock"], strict=True))
        expected = Counter(opening)
        for e in events:
            expected[e.item_id] += (
                -e.quantity if e.event_type == "pickup" else e.quantity if e.event_type == "putback" else 0
            )
        moved = {e.item_id for e in events}

        def shelf_state():
            return {
                r.shelf_id: r.current_stock
                for r in spark.read.format("delta").load(str(delta / "cleansed/shelf_state")).collect()
            }

        def batch_totals():
            totals = Counter()
            for r in spark.read.format("delta").load(str(delta / "cleansed/shelf_batch_state")).collect():
                assert r.batch_quantity_store >= 0
                totals[r.shelf_id] += r.batch_quantity_store
            return totals

        def ledger_done() -> bool:
            state = shelf_state()  # one read of the table per check, not one per shelf
            return all(state.get(s) == expected[s] for s in moved)

        wait_for(
            ledger_done,
            600,
            "the shelf ledger",
            every_s=2,
        )
        sold = Counter()
        for t in sales:
            for item in t.items:
                sold[item.item_id] += item.quantity
        opening_batches = Counter()
        for r in fetch_rows(settings, "SELECT shelf_id, batch_quantity_store FROM ref.store_batches"):
            opening_batches[r["shelf_id"]] += r["batch_quantity_store"]

        def batches_done() -> bool:
            totals = batch_totals()
            return all(totals[s] == opening_batches[s] - sold[s] for s in moved)

        wait_for(
            batches_done,
            600,
            "the batch ledger",
            every_s=2,
        )
        wh_tables = [str(delta / "cleansed" / name) for name in ("wh_state", "wh_batch_state")]
        filled = lambda: all(spark.read.format("delta").load(t).count() for t in wh_tables)  # noqa: E731
        wait_for(filled, 300, "the warehouse tables to hold their opening balances", every_s=2)
    finally:
        app.send_signal(signal.SIGTERM)
        app.wait(timeout=120)

    state = shelf_state()
    assert min(state.values()) >= 0
    # every unit that left a shelf was bought or put back: nobody is in the store any more
    assert (
        {s: state[s] for s in moved}
        == {s: expected[s] for s in moved}
        == {s: store.shelf.stock[s] for s in moved}
    )
    totals = batch_totals()
    assert {s: totals[s] for s in moved} == {s: state[s] for s in moved}
    assert all(state[s] == opening[s] for s in opening if s not in moved)

    raw = spark.read.format("delta").load(str(delta / "raw/shelf_events"))
    assert raw.count() == raw.select("event_id").distinct().count() == len({e.event_id for e in events})
    assert spark.read.format("delta").load(str(delta / "raw/pos_transactions")).count() == len(
        {t.event_id for t in sales}
    )
    quarantined = spark.read.format("delta").load(str(delta / "quarantine/shelf_events")).count()
    assert quarantined == 2
    assert spark.read.format("delta").load(str(delta / "quarantine/pos_transactions")).count() == 1
    # the Postgres copy Kafka Connect keeps of shelf_state: every shelf, at the ledger's stock
    wait_for(
        lambda: {r[0]: r[1] for r in rows(pg_conn, state_table, "shelf_id")} == state,
        180,
        "state.shelf_state (through Kafka Connect) to equal the shelf ledger",
        every_s=2,
    )
    # `make reconcile` says the same of every shelf, the warehouse included
    report = reconcile.checks(spark, Settings(delta_root=delta))
    assert [(what, failing) for what, _, failing in report if failing] == []
