"""A simulated hour through the real Redis and Kafka: foot traffic, shelves, bridge, POS.

The producers run in this process on a driven sim time, with stream, topic and state names of this
test's own. Half-way, every producer is dropped and rebuilt from its Redis state, as after a crash.
"""

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from kafka import KafkaConsumer

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings, plan_day
from kafka_components.kafka_producer_foot_traffic.producer import FootTrafficProducer
from kafka_components.kafka_producer_pos.producer import PosProducer
from kafka_components.kafka_producer_shelf.producer import ShelfProducer, catalogue_from_inventory
from kafka_components.redis_kafka_bridge.bridge import RedisKafkaBridge
from kafka_components.redis_kafka_bridge.routing import routes_for
from smart_shelf.contracts import (
    FootTrafficEntryExit,
    FootTrafficSession,
    PosTransaction,
    ShelfEvent,
    parse_event,
)
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import ShelfProducerKeys, connect_redis
from smart_shelf.store.sources import load_inventory
from tests.conftest import consume_all

SEED = 42
START = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
TRAFFIC = TrafficSettings(daily_customers=400)


class Store:
    """Everything one run of the producers needs, rebuilt from Redis on `restart()`."""

    def __init__(self, settings, unique, topics, inventory):
        self.settings, self.unique, self.topics = settings, unique, topics
        self.catalogue, self.snapshot = catalogue_from_inventory(inventory)
        self.prices = dict(zip(inventory["shelf_id"], inventory["item_price"].astype(float), strict=True))
        self.redis = connect_redis(settings, deadline_seconds=30)
        self.streams = {
            "foot": f"test:{unique}:foot_traffic",
            "door": f"test:{unique}:foot_traffic:realistic",
            "shelf": f"test:{unique}:shelf_events",
        }
        self.restart()

    def restart(self):
        u, s = self.unique, self.settings
        self.foot = FootTrafficProducer(
            self.redis,
            seed=SEED,
            traffic=TRAFFIC,
            sessions_stream=self.streams["foot"],
            realistic_stream=self.streams["door"],
            checkpoint_key=f"test:{u}:foot_checkpoint",
        )
        self.shelf = ShelfProducer(
            self.redis,
            self.catalogue,
            self.snapshot,
            seed=SEED,
            putback_prob=0.15,
            stream=self.streams["shelf"],
            prefix=f"test:{u}:shelf_producer",
        )
        self.pos = PosProducer(
            self.redis,
            make_producer(s, deadline_seconds=30),
            self.prices,
            topic=self.topics["pos"],
            grace=timedelta(minutes=2),
            prefix=f"test:{u}:pos_producer",
            shelf_keys=ShelfProducerKeys(f"test:{u}:shelf_producer"),
        )
        self.bridge = RedisKafkaBridge(
            self.redis,
            make_producer(s, deadline_seconds=30),
            routes_for(
                {
                    self.streams["foot"]: self.topics["foot"],
                    self.streams["door"]: self.topics["door"],
                    self.streams["shelf"]: self.topics["shelf"],
                }
            ),
            group="bridge",
            consumer="bridge-1",
            block_ms=50,
        )
        self.bridge.ensure_groups()
        self.bridge.recover_pending()
        self.consumers = {
            name: KafkaConsumer(
                self.topics[topic],
                bootstrap_servers=s.kafka_broker,
                group_id=f"test-{u}-{name}",
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )
            for name, topic in (("shelf_foot", "foot"), ("pos_foot", "foot"), ("pos_shelf", "shelf"))
        }

    def drain_bridge(self):
        while self.bridge.poll_once():
            pass

    def consume(self, name, model, handle):
        consumer = self.consumers[name]
        for records in consumer.poll(timeout_ms=200, max_records=5000).values():
            for record in records:
                handle(parse_event(model, record.value))
        consumer.commit()

    def tick(self, now, doors_open: bool = True):
        """Every producer's step at `now`; with the doors closed nobody new comes in, and those inside
        finish their visit and pay (the till bills a cart once the shelf producer is done with it)."""
        if doors_open:
            self.foot.step(now)
        self.drain_bridge()
        self.consume("shelf_foot", FootTrafficSession, self.shelf.admit)
        self.shelf.run_due(now, limit=100_000)
        self.drain_bridge()
        self.consume("pos_foot", FootTrafficSession, self.pos.on_session)
        self.consume("pos_shelf", ShelfEvent, self.pos.on_shelf_event)
        self.pos.checkout_due_customers(now)

    def close(self):
        for consumer in self.consumers.values():
            consumer.close()


def test_a_simulated_hour_flows_to_kafka_consistently(stack, settings, topic_factory, unique):
    topics = {
        key: topic_factory(name, dead_letters=key != "pos")
        for key, name in (
            ("foot", "foot_traffic"),
            ("door", "foot_traffic_realistic"),
            ("shelf", "shelf_events"),
            ("pos", "pos_transactions"),
        )
    }
    inventory = load_inventory(settings, max_wait_seconds=5)
    store = Store(settings, unique, topics, inventory)
    end = START + timedelta(minutes=60)
    for minute in range(61):
        if minute == 30:
            store.close()
            store.restart()  # as if every producer had been killed
        store.tick(START + timedelta(minutes=minute))
    store.close()
    now = end

    sessions = [json.loads(m.value) for m in consume_all(settings, topics["foot"], 1, timeout_s=10)]
    planned = [v for v in plan_day(SEED, START.date(), TRAFFIC, UTC, START) if v.entry_time <= now]
    assert sorted(s["customer_id"] for s in sessions) == sorted(
        v.customer_id for v in planned
    )  # none lost, none twice
    for s in sessions:
        parse_event(FootTrafficSession, json.dumps(s))

    doors = [
        parse_event(FootTrafficEntryExit, m.value)
        for m in consume_all(settings, topics["door"], 1, timeout_s=10)
    ]
    assert Counter(d.event_type for d in doors)["entry"] == len(sessions)
    assert len({d.event_id for d in doors}) == len(doors)

    shelf = [
        parse_event(ShelfEvent, m.value) for m in consume_all(settings, topics["shelf"], 1, timeout_s=10)
    ]
    assert len({e.event_id for e in shelf}) == len(shelf)  # the restart repeated nothing
    net = defaultdict(Counter)
    moved = Counter()
    for e in shelf:
        if e.event_type in ("pickup", "putback"):
            sign = 1 if e.event_type == "pickup" else -1
            net[e.customer_id][e.item_id] += sign * e.quantity
            moved[e.item_id] += sign * e.quantity
    # no shelf below zero, and what left a shelf is what the ledger lost
    snapshot = dict(zip(inventory["shelf_id"], inventory["current_stock"], strict=True))
    for shelf_id, taken in moved.items():
        assert snapshot[shelf_id] - taken >= 0
        assert store.shelf.stock[shelf_id] == snapshot[shelf_id] - taken

    transactions = [
        parse_event(PosTransaction, m.value) for m in consume_all(settings, topics["pos"], 1, timeout_s=10)
    ]
    assert transactions and len({t.transaction_id for t in transactions}) == len(transactions)
    paid = {t.customer_id for t in transactions}
    for t in transactions:
        assert {i.item_id: i.quantity for i in t.items} == {
            k: v for k, v in net[t.customer_id].items() if v > 0
        }
    # every customer who left (and whose grace passed) with something paid for it; the others are still in
    left = {v.customer_id for v in planned if v.exit_time + timedelta(minutes=2) <= end}
    assert paid == {c for c, items in net.items() if c in left and any(v > 0 for v in items.values())}
