"""wh-alert-engine: wh_state and supplier plan updates -> supplier_request alerts on `alerts` and
supplier plans on the compacted `wh_supplier_plan` (keyed by shelf), mirrored to
delta/ops/wh_supplier_plan and Postgres ops.wh_supplier_plan.

One SupplierWatch per product on the driver (see rules.py and smart_shelf.spark.ledger).
Capacities and supplier batch sizes (ref.warehouse_inventory) and the start-up policies
(config.wh_policies: reorder point and target percentage) are read at start; after that the policies
follow the `wh_policies` topic (config.wh_policies through Kafka Connect's CDC source) while running.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.contracts import WarehousePolicy as WarehousePolicyRow
from smart_shelf.contracts import WarehouseState, WarehouseSupplierPlan
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import WarehouseAlertEngineSettings
from smart_shelf.spark.ledger import LedgerRules, LedgerSink, start_ledger
from smart_shelf.spark.ops import Feed, ops_reading, plan_sink, policy_feed, readings
from spark_apps.wh_alert_engine.rules import SupplierWatch, WarehousePolicy

JOB = "wh-alert-engine"
SETTINGS = WarehouseAlertEngineSettings
POLICY_SQL = "SELECT * FROM config.v_wh_policy_in_force"  # postgresql/04_policy_views.sql


def policies(settings: WarehouseAlertEngineSettings) -> tuple[dict[str, WarehousePolicy], list[tuple]]:
    """shelf_id -> the product's start-up policy; and each product's scope (shelf_id, category, subcategory)."""
    rows = fetch_rows(settings, POLICY_SQL)
    known = {
        r["shelf_id"]: WarehousePolicy(
            int(r["maximum_stock"]),
            int(r["standard_batch_size"]),
            int(r["reorder_point_qty"]),
            float(r["target_pct"]),
        )
        for r in rows
    }
    return known, [(r["shelf_id"], r["item_category"], r["item_subcategory"]) for r in rows]


def open_watch(
    known: dict[str, WarehousePolicy],
    shelf_id: str,
    handed: Mapping[str, str] | None = None,
    makes_plans: bool = True,
) -> SupplierWatch | None:
    """A new product's watch, or the one a history handed over (its alert, plan and id counter)."""
    if shelf_id not in known:
        return None
    if handed and shelf_id in handed:
        return SupplierWatch.loads(handed[shelf_id], known, makes_plans)
    return SupplierWatch(shelf_id, known[shelf_id], makes_plans=makes_plans)


def feeds(settings: WarehouseAlertEngineSettings) -> list[Feed]:
    return [
        Feed("wh_stock", settings.topic_wh_state, WarehouseState, "last_update_ts"),
        Feed("plan", settings.topic_wh_supplier_plan, WarehouseSupplierPlan, "updated_at"),
    ]


def sink(settings: WarehouseAlertEngineSettings) -> LedgerSink:
    return plan_sink(
        settings, JOB, "wh_supplier_plan", "wh_supplier_plan", settings.topic_wh_supplier_plan,
        to_postgres=settings.write_to_pg,
    )  # fmt: skip


def start(spark: SparkSession, settings: WarehouseAlertEngineSettings) -> list[StreamingQuery]:
    known, scopes = policies(settings)
    plans = settings.order_policy == "rule"  # with `ml` the inference service plans the orders
    opened = partial(open_watch, known, handed=handover.load(settings, JOB), makes_plans=plans)
    rules = LedgerRules(opened, partial(SupplierWatch.loads, policies=known, makes_plans=plans), ops_reading)
    live_policies = policy_feed(spark, settings, settings.topic_wh_policies, WarehousePolicyRow, scopes)
    frame = readings(spark, settings, feeds(settings)).unionByName(live_policies)
    return start_ledger(spark, settings, frame, "shelf_id", rules, sink(settings), opening=[])
