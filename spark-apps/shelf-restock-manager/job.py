"""shelf-restock-manager: pending plans on `shelf_restock_plan` + warehouse batches (`wh_batch_state`)
-> earliest-expiry-first picks as `wh_out` events on `wh_events`, and the plans moved to issued (or
to partially_completed when nothing could be picked) on `shelf_restock_plan`.

One RestockPicker per shelf on the driver (see rules.py): a plan is picked once, the state and
the Kafka offsets commit together, and a replayed micro-batch emits the same events with the same
ids, which every reader of wh_events drops as duplicates. The plans' Delta and Postgres copies
belong to shelf-alert-engine, which mirrors the topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import ShelfRestockPlan, WarehouseBatchState
from smart_shelf.settings import RestockManagerSettings
from smart_shelf.spark.ledger import LedgerRules, LedgerSink, start_ledger_query
from smart_shelf.spark.ops import Feed, ops_reading, plan_sink, readings
from spark_apps.shelf_restock_manager.rules import RestockPicker

JOB = "shelf-restock-manager"
SETTINGS = RestockManagerSettings


def feeds(settings: RestockManagerSettings) -> list[Feed]:
    pending = F.col("event.status") == "pending"
    return [
        Feed("wh_batch", settings.topic_wh_batch, WarehouseBatchState, "last_update_ts"),
        Feed("plan", settings.topic_restock, ShelfRestockPlan, "updated_at", pending),
    ]


def sink(settings: RestockManagerSettings) -> LedgerSink:
    return plan_sink(
        settings, JOB, "picks", "shelf_restock_plan", settings.topic_restock, events_topic=settings.topic_wh_events
    )  # fmt: skip


def open_picker(handed: Mapping[str, str], shelf_id: str) -> RestockPicker:
    """A new picker, or the one a history handed over (the picks its ledger may not have seen)."""
    return RestockPicker.loads(handed[shelf_id]) if shelf_id in handed else RestockPicker(shelf_id)


def start(spark: SparkSession, settings: RestockManagerSettings) -> list[StreamingQuery]:
    opened = partial(open_picker, handover.load(settings, JOB))
    rules = LedgerRules(opened, RestockPicker.loads, ops_reading)
    frame = readings(spark, settings, feeds(settings))
    return [start_ledger_query(frame, "shelf_id", rules, sink(settings), settings)]
