"""shelf-alert-engine: shelf_state, wh_state, shelf_batch_state, restock plans and refills ->
refill_request and near_expiry alerts on `alerts`, restock plans on the compacted `shelf_restock_plan`
(keyed by shelf), mirrored to delta/ops/shelf_restock_plan and Postgres ops.shelf_restock_plan.

One ShelfWatch per shelf on the driver (see rules.py and smart_shelf.spark.ledger): plan ids
come from a per-shelf counter kept with the state, so a replayed micro-batch yields the same plans.
Capacities (ref.store_inventory) and the start-up policies (config.shelf_policies: the shelf's own,
else its subcategory's, category's, the global one) are read at start; after that the policies follow
the `shelf_policies` topic (config.shelf_policies through Kafka Connect's CDC source) while running:
an UPDATE in Postgres changes the thresholds the engine applies, without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import (
    RESTOCK_CUSTOMER,
    ShelfBatchState,
    ShelfEvent,
    ShelfRestockPlan,
    ShelfState,
    WarehouseState,
)
from smart_shelf.contracts import ShelfPolicy as ShelfPolicyRow
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import ShelfAlertEngineSettings
from smart_shelf.spark.ledger import LedgerRules, LedgerSink, start_ledger
from smart_shelf.spark.ops import Feed, ops_reading, plan_sink, policy_feed, readings
from spark_apps.shelf_alert_engine.rules import ShelfPolicy, ShelfWatch

JOB = "shelf-alert-engine"
SETTINGS = ShelfAlertEngineSettings
POLICY_SQL = "SELECT * FROM config.v_shelf_policy_in_force"  # postgresql/04_policy_views.sql


def shelves(settings: ShelfAlertEngineSettings) -> tuple[dict[str, tuple[int, ShelfPolicy]], list[tuple]]:
    """shelf_id -> (capacity, policy), a shelf no policy covers getting the reference defaults; and
    each shelf's scope (shelf_id, category, subcategory)."""
    out, scopes = {}, []
    for r in fetch_rows(settings, POLICY_SQL):
        scopes.append((r["shelf_id"], r["item_category"], r["item_subcategory"]))
        policy = (
            ShelfPolicy()
            if r["threshold_pct"] is None
            else ShelfPolicy(
                float(r["threshold_pct"]),
                float(r["target_pct"]),
                int(r["min_qty"]),
                int(r["near_expiry_days"]),
            )
        )
        out[r["shelf_id"]] = (int(r["maximum_stock"]), policy)
    return out, scopes


def open_watch(
    known: dict[str, tuple[int, ShelfPolicy]], shelf_id: str, handed: Mapping[str, str] | None = None
) -> ShelfWatch | None:
    """A new shelf's watch, or the one a history handed over (its alerts, plan and id counters)."""
    if shelf_id not in known:
        return None
    capacity, policy = known[shelf_id]
    if handed and shelf_id in handed:
        return ShelfWatch.loads(handed[shelf_id], {shelf_id: policy})
    return ShelfWatch(shelf_id, capacity, policy)


def feeds(settings: ShelfAlertEngineSettings) -> list[Feed]:
    refills = (
        (F.col("event.event_type") == "putback")
        & (F.col("event.customer_id") == RESTOCK_CUSTOMER)
        & F.col("event.plan_id").isNotNull()
    )
    return [
        Feed("stock", settings.topic_shelf_state, ShelfState, "last_update_ts"),
        Feed("wh_stock", settings.topic_wh_state, WarehouseState, "last_update_ts"),
        Feed("batch", settings.topic_shelf_batch_state, ShelfBatchState, "last_update_ts"),
        Feed("plan", settings.topic_restock, ShelfRestockPlan, "updated_at"),
        Feed(
            "refill",
            settings.topic_shelf_events,
            ShelfEvent,
            "timestamp",
            refills,
            naming=(RESTOCK_CUSTOMER,),
        ),
    ]


def sink(settings: ShelfAlertEngineSettings) -> LedgerSink:
    return plan_sink(
        settings, JOB, "shelf_restock_plan", "shelf_restock_plan", settings.topic_restock,
        to_postgres=settings.write_to_pg,
    )  # fmt: skip


def start(spark: SparkSession, settings: ShelfAlertEngineSettings) -> list[StreamingQuery]:
    known, scopes = shelves(settings)
    policies = {shelf: policy for shelf, (_, policy) in known.items()}
    opened = partial(open_watch, known, handed=handover.load(settings, JOB))
    rules = LedgerRules(opened, partial(ShelfWatch.loads, policies=policies), ops_reading)
    live_policies = policy_feed(spark, settings, settings.topic_shelf_policies, ShelfPolicyRow, scopes)
    frame = readings(spark, settings, feeds(settings)).unionByName(live_policies)
    return start_ledger(spark, settings, frame, "shelf_id", rules, sink(settings), opening=[])
