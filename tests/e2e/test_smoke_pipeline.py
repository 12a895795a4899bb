"""The stack is real: Redis stream -> bridge -> Kafka -> Spark Structured Streaming -> Delta + Postgres.

Malformed input in the same run: one entry the bridge refuses (to its dead-letter topic) and one
record that reaches Kafka directly and is refused by the Spark query (to quarantine and the
dead-letter topic); the query keeps running and processes what comes after.
"""

import json

from pyspark.sql import functions as F

from kafka_components.redis_kafka_bridge.bridge import RedisKafkaBridge
from kafka_components.redis_kafka_bridge.routing import Route
from smart_shelf.contracts import ShelfEvent, stable_id
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import connect_redis
from smart_shelf.spark.io import (
    append_delta,
    parse_with_contract,
    publish_dead_letters,
    read_topic,
    split_valid,
    upsert_postgres,
)
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import wait_for


def _event(n: int, event_type: str = "pickup") -> dict:
    return {
        "event_id": stable_id("smoke", n),
        "event_type": event_type,
        "customer_id": f"cust-{n % 2}",
        "item_id": f"SHELF-{n:03d}",
        "quantity": 1 + n % 3,
        "weight": 0.25 * (n + 1),
        "timestamp": f"2026-01-01T10:00:{n:02d}+00:00",
    }


def test_an_event_travels_from_redis_to_delta_and_postgres(
    stack, settings, spark, topic_factory, pg_schema, pg_conn, unique, tmp_path
):
    topic, bridge_dlq, spark_dlq = (
        topic_factory("shelf_events"),
        topic_factory("dlq.bridge"),
        topic_factory("dlq"),
    )
    stream = f"test:{unique}:shelf_events"
    table = f"{pg_schema}.shelf_events"
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            f"CREATE TABLE {table} (event_id TEXT PRIMARY KEY, event_type TEXT NOT NULL,"
            " customer_id TEXT NOT NULL, item_id TEXT NOT NULL, quantity INT, weight DOUBLE PRECISION,"
            " ts TIMESTAMPTZ NOT NULL)"
        )

    # Redis -> Kafka: three good events and one that is not JSON.
    redis = connect_redis(settings, deadline_seconds=30)
    events = [_event(n) for n in range(3)]
    for event in events:
        redis.xadd(stream, {"data": json.dumps(event), "key": event["customer_id"]})
    redis.xadd(stream, {"data": "pickup A12 x2", "key": "cust-0"})
    bridge = RedisKafkaBridge(
        redis,
        make_producer(settings, deadline_seconds=30),
        {stream: Route(stream, topic, ShelfEvent, bridge_dlq, ("customer_id",))},
        group="smoke-bridge",
        consumer="smoke-1",
        block_ms=200,
    )
    bridge.ensure_groups()
    assert bridge.poll_once() == 4

    # Kafka -> Spark -> Delta + Postgres, dead letters to quarantine and the dead-letter topic.
    delta_path, quarantine_path = str(tmp_path / "raw_shelf_events"), str(tmp_path / "quarantine")

    def write_batch(batch_df, batch_id):
        batch_df.persist()
        valid, dead = split_valid(batch_df, source=topic)
        valid = valid.dropDuplicates(["event_id"])
        append_delta(valid, delta_path, "smoke/shelf_events", batch_id)
        upsert_postgres(
            valid.select(
                "event_id",
                "event_type",
                "customer_id",
                "item_id",
                "quantity",
                "weight",
                F.col("timestamp").alias("ts"),
            ),
            settings,
            table,
            ["event_id"],
        )
        if not dead.isEmpty():
            append_delta(dead, quarantine_path, "smoke/quarantine", batch_id)
            publish_dead_letters(dead, settings, spark_dlq)
        batch_df.unpersist()

    parsed = parse_with_contract(read_topic(spark, settings, topic), ShelfEvent)
    query = (
        parsed.writeStream.foreachBatch(write_batch)
        .option("checkpointLocation", str(tmp_path / "checkpoint"))
        .trigger(processingTime="1 second")
        .queryName(f"smoke_{unique}")
        .start()
    )
    try:
        wait_for(lambda: _pg_count(pg_conn, table) == 3, 120, "the three bridged events in Postgres")

        # A poison record straight into Kafka: valid JSON, missing its customer_id.
        poison = {k: v for k, v in _event(9).items() if k != "customer_id"}
        producer = make_producer(settings, deadline_seconds=30)
        producer.send(topic, key="cust-x", value=json.dumps(poison)).get(timeout=30)
        late = _event(4, "putback")  # and a good event after it
        producer.send(topic, key=late["customer_id"], value=json.dumps(late)).get(timeout=30)
        producer.close(timeout=10)

        wait_for(lambda: _pg_count(pg_conn, table) == 4, 120, "the event sent after the poison record")
        query.processAllAvailable()  # the batch that saw the poison record has committed
        assert query.isActive and query.exception() is None
    finally:
        query.stop()

    expected = sorted(e["event_id"] for e in [*events, late])
    delta_rows = spark.read.format("delta").load(delta_path).orderBy("event_id").collect()
    assert [r.event_id for r in delta_rows] == expected
    by_id = {r.event_id: r for r in delta_rows}
    assert (
        by_id[late["event_id"]].event_type == "putback"
        and by_id[late["event_id"]].quantity == late["quantity"]
    )

    with pg_conn.cursor() as cur:
        cur.execute(f"SELECT event_id, item_id, quantity, weight, ts FROM {table} ORDER BY event_id")
        pg_rows = cur.fetchall()
    source = {e["event_id"]: e for e in [*events, late]}
    assert [r[0] for r in pg_rows] == expected
    for event_id, item_id, quantity, weight, ts in pg_rows:
        assert (item_id, quantity, weight) == (
            source[event_id]["item_id"],
            source[event_id]["quantity"],
            source[event_id]["weight"],
        )
        assert ts.isoformat() == source[event_id]["timestamp"]

    bridge_letters = [json.loads(m.value) for m in consume_all(settings, bridge_dlq, 1)]
    assert [(d["raw"], "not valid JSON" in d["reason"]) for d in bridge_letters] == [("pickup A12 x2", True)]
    spark_letters = [json.loads(m.value) for m in consume_all(settings, spark_dlq, 1)]
    assert (
        len(spark_letters) == 1 and spark_letters[0]["reason"] == "customer_id: missing or of the wrong type"
    )
    assert json.loads(spark_letters[0]["raw"]) == poison
    quarantined = spark.read.format("delta").load(quarantine_path).collect()
    assert [(q.source, q.reason) for q in quarantined] == [
        (topic, "customer_id: missing or of the wrong type")
    ]
    redis.delete(stream)


def _pg_count(conn, table: str) -> int:
    with conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        return cur.fetchone()[0]
