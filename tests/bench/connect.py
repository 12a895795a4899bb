"""Kafka Connect delays, each beside a reference measured in the same run:
  - CDC source: a committed UPDATE of a policy row in Postgres -> its record on the topic, beside a
    plain Kafka produce -> consume of a record of the same size (the transport's floor);
  - JDBC sink: a state record written to Kafka -> its row in Postgres, beside a direct
    INSERT ... ON CONFLICT of the same row through psycopg2 (the database's floor).
Each uses connectors, tables and topics of its own, removed afterwards.
"""

from __future__ import annotations

import statistics
import time
import uuid

from kafka import KafkaConsumer

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, COMPACTED_CONFIG, TopicSpec
from smart_shelf.connect.client import ConnectClient
from smart_shelf.connect.configs import CDC_TABLES, SINKS, heartbeat_topic, sink_config, source_config
from smart_shelf.kafka_client import make_admin, make_producer
from smart_shelf.postgres_client import connect_postgres, drop_slot_when_released

SOURCE_UPDATES = 200
SINK_RECORDS = 500
RATE_PER_S = 20


def _percentiles(delays: list[float]) -> dict:
    ordered = sorted(delays)
    return {
        "samples": len(ordered),
        "p50_s": statistics.median(ordered),
        "p95_s": ordered[max(0, int(len(ordered) * 0.95) - 1)],
    }


def _consumer(settings, topic: str) -> KafkaConsumer:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=settings.kafka_broker, auto_offset_reset="latest", enable_auto_commit=False
    )
    while not consumer.assignment():  # joined: what is written from now on is read
        consumer.poll(timeout_ms=200)
    return consumer


def _kafka_reference(settings, topic: str, payload: str) -> dict:
    consumer = _consumer(settings, topic)
    producer = make_producer(settings)
    delays = []
    for _ in range(SOURCE_UPDATES):
        sent = time.perf_counter()
        producer.send(topic, key="k", value=payload)
        producer.flush()
        got = False
        while not got:
            got = any(consumer.poll(timeout_ms=100).values())
        delays.append(time.perf_counter() - sent)
    producer.close()
    consumer.close()
    return _percentiles(delays)


def bench_source(settings, client: ConnectClient, admin, schema: str, suffix: str) -> dict:
    conn = connect_postgres(settings, deadline_seconds=30)
    conn.autocommit = True
    cur = conn.cursor()
    for table in CDC_TABLES:
        cur.execute(f'CREATE TABLE "{schema}".{table.table} (LIKE config.{table.table} INCLUDING ALL)')
    policy_id = str(uuid.uuid4())
    cur.execute(
        f'INSERT INTO "{schema}".shelf_policies (policy_id, threshold_pct) VALUES (%s, 30)', (policy_id,)
    )
    topic, prefix = f"bench.{suffix}.shelf_policies", f"b{suffix}"
    ensure_topics(
        admin,
        [
            TopicSpec(topic, 1, 1, dict(COMPACTED_CONFIG)),
            TopicSpec(heartbeat_topic(prefix), 1, 1, dict(APPEND_ONLY_CONFIG)),
            TopicSpec(f"bench.{suffix}.reference", 1, 1, dict(APPEND_ONLY_CONFIG)),
        ],
    )
    name, slot = f"bench-cdc-{suffix}", f"bench_{suffix}"
    config = source_config(
        settings, schema=schema, topic_namespace=f"bench.{suffix}.", topic_prefix=prefix,
        slot=slot, publication=slot, drop_slot_on_stop=True,
    )  # fmt: skip
    client.put_config(name, config)
    client.wait_running([name], deadline_seconds=120)
    consumer = _consumer(settings, topic)
    time.sleep(3)  # the snapshot's record is out of the way
    consumer.poll(timeout_ms=1000)
    delays, payload = [], ""
    try:
        for n in range(SOURCE_UPDATES):
            committed = time.perf_counter()
            cur.execute(
                f'UPDATE "{schema}".shelf_policies SET threshold_pct = %s, updated_at = now() WHERE policy_id = %s',
                (20 + n % 50, policy_id),
            )
            while True:
                records = [r for rs in consumer.poll(timeout_ms=100).values() for r in rs]
                if records:
                    payload = records[-1].value.decode()
                    break
            delays.append(time.perf_counter() - committed)
            time.sleep(max(0.0, 1 / RATE_PER_S - (time.perf_counter() - committed)))
    finally:
        consumer.close()
        client.delete(name)
        drop_slot_when_released(cur, slot)
        cur.execute(f'DROP PUBLICATION IF EXISTS "{slot}"')
        conn.close()
    return {
        "connect": _percentiles(delays),
        "reference": _kafka_reference(settings, f"bench.{suffix}.reference", payload),
    }


def bench_sink(settings, client: ConnectClient, admin, schema: str, suffix: str) -> dict:
    conn = connect_postgres(settings, deadline_seconds=30)
    conn.autocommit = True
    cur = conn.cursor()
    table = f'"{schema}".shelf_state'
    cur.execute(f"CREATE TABLE {table} (LIKE state.shelf_state INCLUDING ALL)")
    topic = f"bench.{suffix}.shelf_state"
    ensure_topics(admin, [TopicSpec(topic, settings.topic_partitions, 1, dict(COMPACTED_CONFIG))])
    name = f"bench-sink-{suffix}"
    sink = next(s for s in SINKS if s.topic == "shelf_state")
    client.put_config(name, sink_config(settings, sink, topic=topic, table=table))
    client.wait_running([name], deadline_seconds=120)
    producer = make_producer(settings)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    try:
        for n in range(SINK_RECORDS):
            key = f"B{n:05d}"
            record = {
                "shelf_id": key,
                "current_stock": n,
                "item_weight": 1.0,
                "shelf_weight": float(n),
                "last_update_ts": "2026-01-01T08:00:00Z",
            }
            sent[key] = time.perf_counter()
            producer.send(topic, key=key, value=record)
            producer.flush()
            while time.perf_counter() - sent[key] < 1 / RATE_PER_S:  # watch the table until the next send
                _poll_rows(cur, table, seen)
                time.sleep(0.002)
        deadline = time.monotonic() + 120
        while len(seen) < SINK_RECORDS and time.monotonic() < deadline:
            _poll_rows(cur, table, seen)
            time.sleep(0.02)
        # reference: the same rows written straight to Postgres, one upsert each
        direct = []
        for n in range(SINK_RECORDS):
            t0 = time.perf_counter()
            cur.execute(
                f"INSERT INTO {table} (shelf_id, current_stock, item_weight, shelf_weight, last_update_ts)"
                " VALUES (%s, %s, 1, %s, now()) ON CONFLICT (shelf_id) DO UPDATE SET current_stock = EXCLUDED.current_stock",
                (f"R{n:05d}", n, float(n)),
            )
            direct.append(time.perf_counter() - t0)
    finally:
        producer.close()
        client.delete(name)
        conn.close()
    return {
        "connect": _percentiles([seen[k] - sent[k] for k in seen]),
        "missing": SINK_RECORDS - len(seen),
        "reference": _percentiles(direct),
    }


def _poll_rows(cur, table: str, seen: dict[str, float]) -> None:
    now = time.perf_counter()
    cur.execute(f"SELECT shelf_id FROM {table} WHERE shelf_id <> ALL(%s)", (list(seen),))
    for (key,) in cur.fetchall():
        seen.setdefault(key, now)


def bench_connect(settings) -> dict:
    client = ConnectClient(settings.kafka_connect_url)
    admin = make_admin(settings)
    suffix = uuid.uuid4().hex[:8]
    schema = f"bench_{suffix}"
    conn = connect_postgres(settings, deadline_seconds=30)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
    try:
        source = bench_source(settings, client, admin, schema, suffix)
        sink = bench_sink(settings, client, admin, schema, suffix)
    finally:
        conn.cursor().execute(f'DROP SCHEMA "{schema}" CASCADE')
        conn.close()
        leftovers = [t for t in admin.list_topics() if suffix in t]
        if leftovers:
            admin.delete_topics(leftovers)
        admin.close()
    return {"source": source, "sink": sink, "rate_per_s": RATE_PER_S}
