"""shelf-refill-bridge: `wh_out` picks on `wh_events` -> after the travel delay (DELAY_MINUTES, sim
minutes) a restock putback and its weight change on `shelf_events`, carrying the batch and the plan.

Two queries. `pending`: each pick becomes a row of Postgres ops.shelf_refills with its due time
(inserted once: the pick's event_id is the key). `deliver` (every POLL_SECONDS on the simulated
clock): the refills due by now are sent to shelf_events, then marked delivered. The timers live in
Postgres, so a restart loses none; a refill sent but not yet marked when the job dies is sent again
with the same event ids, which the shelf ledgers and the shelf producer drop as duplicates.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import WarehouseEvent
from smart_shelf.kafka_client import make_producer, send_events
from smart_shelf.postgres_client import connect_postgres
from smart_shelf.settings import RefillBridgeSettings
from smart_shelf.spark.clock import ClockJob, start_clock_query
from smart_shelf.spark.io import start_batch_query, upsert_postgres
from smart_shelf.spark.raw_sink import parsed_stream
from smart_shelf.spark.session import LEDGERS
from smart_shelf.store.sources import unit_weights
from spark_apps.shelf_refill_bridge.rules import Refill, refill_events

log = logging.getLogger(__name__)
JOB = "shelf-refill-bridge"
SETTINGS = RefillBridgeSettings
DUE_SQL = """
SELECT refill_id, plan_id, shelf_id, batch_code, received_date, expiry_date, qty, due_at
FROM ops.shelf_refills WHERE delivered_at IS NULL AND due_at <= %s ORDER BY due_at, refill_id LIMIT 5000
"""


def schedule_picks(settings: RefillBridgeSettings, picks: DataFrame, _batch_id: int) -> None:
    """A micro-batch of wh_out events -> ops.shelf_refills rows (a pick already there is left as it is)."""
    delay = F.expr(f"INTERVAL {int(settings.delay_minutes * 60)} SECONDS")
    rows = picks.select(
        F.col("event.event_id").alias("refill_id"),
        "event.plan_id",
        "event.shelf_id",
        "event.batch_code",
        "event.received_date",
        "event.expiry_date",
        F.col("event.qty").alias("qty"),
        F.col("event.timestamp").alias("picked_at"),
        (F.col("event.timestamp") + delay).alias("due_at"),
    ).where("qty > 0")
    upsert_postgres(rows, settings, "ops.shelf_refills", ["refill_id"], update=False)


def deliver_due(settings: RefillBridgeSettings, weights: dict[str, float], producer, now: datetime) -> int:
    """Send every refill due by `now`; returns how many were sent."""
    conn = connect_postgres(settings, deadline_seconds=120)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(DUE_SQL, (now,))
            due = [Refill(*row) for row in cur.fetchall()]
            if not due:
                return 0
            events = [e for r in due for e in refill_events(r, weights.get(r.shelf_id, 0.0))]
            send_events(producer, settings.topic_shelf_events, events)
            cur.execute(
                "UPDATE ops.shelf_refills SET delivered_at = %s WHERE refill_id = ANY(%s)",
                (now, [r.refill_id for r in due]),
            )
    finally:
        conn.close()
    log.info("%d refills delivered to the shelves at %s", len(due), now.isoformat(timespec="seconds"))
    return len(due)


def pending_query(spark: SparkSession, settings: RefillBridgeSettings) -> StreamingQuery:
    picks = parsed_stream(
        spark, settings, settings.topic_wh_events, WarehouseEvent, where=F.col("event.event_type") == "wh_out"
    ).where(F.col("invalid_reason").isNull())
    # on the path from a pick to the refill's timer: a ledger's pool
    return start_batch_query(
        picks, partial(schedule_picks, settings), settings, job=JOB, query="pending", pool=LEDGERS
    )


def start(spark: SparkSession, settings: RefillBridgeSettings) -> list[StreamingQuery | ClockJob]:
    producer = make_producer(settings, deadline_seconds=120)
    deliver = partial(deliver_due, settings, unit_weights(settings), producer)
    return [
        pending_query(spark, settings),
        start_clock_query(spark, settings, JOB, deliver, settings.poll_seconds, query="deliver"),
    ]
