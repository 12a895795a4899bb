"""A simulated day of 1,000 customers at 720x (a day in two minutes) through every stage: the store's
producers -> Redis -> the bridge -> Kafka -> the Spark application (ledgers, alerts, restocks, the
warehouse, discounts, removals, Delta) -> Kafka Connect -> Postgres, on a whole stack of the test's
own (every service of docker-compose.yml but the dashboard, on free ports and its own data). Mid-day
the Spark application is SIGKILLed and started again, and poison goes into Redis (the bridge's dead
letters) and into Kafka (Spark's quarantine).

Once the pipeline has drained, for every shelf:
  opening stock - pickups + putbacks - removals (every distinct event on the topic, refills included)
  = shelf_state in Delta = the shelf producer's own stock = its row in Postgres (through Connect),
and the sum of its batches in Delta = that stock + the units in carts not paid yet; every customer
who left paid for exactly what they took and did not put back, every restock plan was
picked, each event is in the raw table once, the poison is where it belongs with its reason, and
`make reconcile` passes (the batch and warehouse ledgers against their events, nothing negative).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import redis
from deltalake import DeltaTable

from smart_shelf.connect.configs import SINKS
from smart_shelf.contracts import (
    RESTOCK_CUSTOMER,
    STREAM_DATA_FIELD,
    PosTransaction,
    ShelfEvent,
    dead_letter_topic,
)
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.redis_client import SHELF_PRODUCER_PREFIX
from smart_shelf.settings import ShelfProducerSettings
from tests.conftest import read_to_end
from tests.e2e.store_records import gone_by, kept_and_paid, paid, taken, valid_records
from tests.integration.private_stack import STORE, pipeline, queries_running, sim_now, whole_stack
from tests.integration.spark_apps.ledger_harness import send, wait_for

DAY_START = datetime(2026, 1, 1, 7, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)  # SIM_DAYS=1
KILL_AT = DAY_START + timedelta(hours=6)  # the afternoon, the store busy
REDIS_POISON = ["{not json", json.dumps({"event_id": "p-1", "event_type": "pickup"})]
KAFKA_POISON = ["{poison", json.dumps({"event_id": "x", "event_type": "pickup"})]
POS_POISON = '{"items": 1}'


def _delta(settings, layer: str, name: str, columns: list[str]) -> list[dict]:
    path = settings.delta_root / layer / name
    return DeltaTable(str(path)).to_pyarrow_table(columns=columns).to_pylist()


def _batch_totals(settings) -> dict[str, int]:
    totals = Counter()
    for r in _delta(settings, "cleansed", "shelf_batch_state", ["shelf_id", "batch_quantity_store"]):
        assert r["batch_quantity_store"] >= 0
        totals[r["shelf_id"]] += r["batch_quantity_store"]
    return dict(totals)


def expected_stock(opening: dict[str, int], events) -> dict[str, int]:
    """Opening stock - pickups + putbacks - removals, per shelf."""
    stock = Counter(opening)
    for e in events:
        sign = {"pickup": -1, "removal": -1, "putback": 1}.get(e.event_type, 0)
        stock[e.shelf_id or e.item_id] += sign * (e.quantity or 0)
    return dict(stock)


@pytest.mark.timeout(2400)  # about five minutes on 2 cores: the stack's start, the day, the drain
def test_a_simulated_day_at_720x_conserves_every_unit(tmp_path):
    stack = whole_stack(
        tmp_path,
        USE_SIMULATED_TIME="1",
        TIME_MULTIPLIER="720",
        SIM_START=DAY_START.isoformat(),
        SIM_DAYS="1",
        DAILY_CUSTOMERS="1000",
    )
    settings, supervisor = stack.settings, stack.supervisor
    client = redis.Redis(port=settings.redis_port, decode_responses=True, socket_connect_timeout=2)
    try:
        supervisor.up(pipeline(stack))
        wait_for(lambda: queries_running(client), 900, "the Spark queries running", every_s=2)
        supervisor.up(STORE)
        wait_for(lambda: sim_now(client) >= KILL_AT, 600, "the afternoon", every_s=1)
        shelf_stream = ShelfProducerSettings(**settings.model_dump()).redis_stream
        for payload in REDIS_POISON:
            client.xadd(shelf_stream, {STREAM_DATA_FIELD: payload})
        send(settings, "shelf_events", KAFKA_POISON)
        send(settings, "pos_transactions", [POS_POISON])
        stack.kill("spark-apps")  # mid-day, whatever it was doing
        supervisor.up(["spark-apps"])
        wait_for(lambda: sim_now(client) >= DAY_END, 900, "the end of the simulated day", every_s=2)

        # make reconcile, in rounds until the pipeline has drained
        done = subprocess.run([sys.executable, "-m", "smart_shelf.reconcile", "--wait", "900"], env=stack.env,
                              capture_output=True, text=True, timeout=1200)  # fmt: skip
        print("make reconcile:", done.stdout, sep="\n")
        assert done.returncode == 0, done.stdout + done.stderr

        opening = {
            r["shelf_id"]: r["current_stock"]
            for r in fetch_rows(settings, "SELECT shelf_id, current_stock FROM ref.store_inventory")
        }
        events = valid_records(settings, "shelf_events", ShelfEvent, "event_id")
        expected = expected_stock(opening, events)
        assert set(expected) == set(opening), "an event for a shelf the store does not have"
        refills = sum(
            e.quantity for e in events if e.customer_id == RESTOCK_CUSTOMER and e.event_type == "putback"
        )
        assert refills > 0, "no refill reached a shelf all day"

        def delta_stock() -> dict[str, int]:
            rows = _delta(settings, "cleansed", "shelf_state", ["shelf_id", "current_stock"])
            return {r["shelf_id"]: r["current_stock"] for r in rows}

        wait_for(
            lambda: delta_stock() == expected, 300, "cleansed/shelf_state to equal the events", every_s=5
        )

        producer_stock = {s: int(q) for s, q in client.hgetall(f"{SHELF_PRODUCER_PREFIX}:stock").items()}
        assert producer_stock == expected
        assert min(expected.values()) >= 0
        table = next(s for s in SINKS if s.topic == "shelf_state").table
        postgres_stock = lambda: {  # noqa: E731
            r["shelf_id"]: r["current_stock"]
            for r in fetch_rows(settings, f"SELECT shelf_id, current_stock FROM {table}")
        }
        wait_for(lambda: postgres_stock() == expected, 180, f"{table} (Kafka Connect) to equal it", every_s=5)

        # every customer who left paid for what they took and did not put back; the last hour's
        # customers may not have: the till waits GRACE_REAL_SECONDS (3 s, 36 simulated minutes) after
        # an exit for late shelf events, and the clock stops at the end of the day
        took = taken(events)
        bought = paid(valid_records(settings, "pos_transactions", PosTransaction, "transaction_id"))
        sessions = [json.loads(r.value) for r in read_to_end(settings, "foot_traffic")]
        gone = gone_by(sessions, DAY_END - timedelta(hours=1))
        assert len(gone) > 800
        kept, billed = kept_and_paid(took, bought, gone)
        assert kept and kept == billed

        # what left a shelf was sold, put back or is still in a cart: the store's batches hold the
        # shelf's stock and the carts not yet paid
        in_carts = Counter()
        for customer, items in took.items():
            if customer not in bought:
                in_carts.update(+items)
        wanted = {s: expected[s] + in_carts[s] for s in expected}
        wait_for(
            lambda: (totals := _batch_totals(settings)) is not None
            and {s: totals.get(s, 0) for s in wanted} == wanted,
            300,
            "cleansed/shelf_batch_state to hold each shelf's stock and its units in carts",
            every_s=5,
        )

        # every restock plan raised was picked from the warehouse
        plans = defaultdict(set)
        for record in read_to_end(settings, "shelf_restock_plan"):
            plan = json.loads(record.value)
            plans[plan["plan_id"]].add(plan["status"])
        assert plans and [p for p, seen in plans.items() if "issued" not in seen] == []

        # each event once in the raw table, through the kill
        raw = [r["event_id"] for r in _delta(settings, "raw", "shelf_events", ["event_id"])]
        assert len(raw) == len(set(raw)) == len(events)
        # the poison: Spark's quarantine has what came through Kafka, once; the dead letters have that too
        # and what the bridge refused in Redis
        # (the quarantine tables follow their topics every DELTA_TRIGGER_SECONDS, like the raw ones)
        quarantined = lambda table: _delta(settings, "quarantine", table, ["raw", "reason"])  # noqa: E731
        wait_for(
            lambda: sorted(r["raw"] for r in quarantined("shelf_events")) == sorted(KAFKA_POISON)
            and [r["raw"] for r in quarantined("pos_transactions")] == [POS_POISON],
            300,
            "the poison in quarantine, once",
            every_s=5,
        )
        assert all(r["reason"] for table in ("shelf_events", "pos_transactions") for r in quarantined(table))
        letters = [json.loads(r.value) for r in read_to_end(settings, dead_letter_topic("shelf_events"))]
        # the bridge's and Spark's (a batch replayed after the kill may publish Spark's twice)
        assert {letter["raw"] for letter in letters} == {*REDIS_POISON, *KAFKA_POISON}
        assert all(letter["reason"] for letter in letters)
    except BaseException:
        print(
            stack.log_tails("spark-apps", "kafka-producer-shelf", "kafka-producer-pos", "redis-kafka-bridge")
        )
        raise
    finally:
        supervisor.down()
