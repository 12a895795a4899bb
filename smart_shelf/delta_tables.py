"""Every Delta table of the lake, with its schema from the contracts. Created by spark-init-delta.

Layout: delta/raw (events as they arrived, deduplicated by event_id), delta/cleansed (ledgers),
delta/ops (alerts, plans, orders), delta/analytics (discounts), delta/quarantine/<source> (refused
records with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from smart_shelf import contracts as c


@dataclass(frozen=True)
class DeltaTable:
    layer: str
    name: str
    model: type[c.Event]
    keys: tuple[str, ...]  # what identifies a row; MERGEs match on it

    @property
    def relative_path(self) -> str:
        return f"{self.layer}/{self.name}"


TABLES: tuple[DeltaTable, ...] = (
    DeltaTable("raw", "foot_traffic", c.FootTrafficSession, ("event_id",)),
    DeltaTable("raw", "foot_traffic_realistic", c.FootTrafficEntryExit, ("event_id",)),
    DeltaTable("raw", "shelf_events", c.ShelfEvent, ("event_id",)),
    DeltaTable("raw", "pos_transactions", c.PosTransaction, ("event_id",)),
    DeltaTable("raw", "wh_events", c.WarehouseEvent, ("event_id",)),
    DeltaTable("cleansed", "shelf_state", c.ShelfState, ("shelf_id",)),
    DeltaTable("cleansed", "wh_state", c.WarehouseState, ("shelf_id",)),
    DeltaTable("cleansed", "shelf_batch_state", c.ShelfBatchState, ("shelf_id", "batch_code")),
    DeltaTable("cleansed", "wh_batch_state", c.WarehouseBatchState, ("shelf_id", "batch_code")),
    DeltaTable("ops", "alerts", c.Alert, ("alert_id",)),
    DeltaTable("ops", "shelf_restock_plan", c.ShelfRestockPlan, ("plan_id",)),
    DeltaTable("ops", "wh_supplier_plan", c.WarehouseSupplierPlan, ("supplier_plan_id",)),
    DeltaTable("ops", "wh_supplier_orders", c.SupplierOrder, ("order_id",)),
    DeltaTable("ops", "wh_supplier_receipts", c.SupplierReceipt, ("receipt_id",)),
    DeltaTable("ops", "job_runs", c.JobRun, ("job", "run_key")),
    DeltaTable("analytics", "daily_discounts", c.DailyDiscount, ("shelf_id", "discount_date")),
    DeltaTable("analytics", "shelf_daily", c.ShelfDay, ("shelf_id", "day")),
    DeltaTable(
        "analytics", "shelf_daily_features", c.ShelfFeatures, ("shelf_id", "feature_date", "target_date")
    ),
    # one quarantine per event stream, beside its dlq.<topic>
    *(DeltaTable("quarantine", source, c.DeadLetter, ()) for source in c.APPEND_ONLY),
)
BY_PATH = {t.relative_path: t for t in TABLES}


def table(layer: str, name: str) -> DeltaTable:
    return BY_PATH[f"{layer}/{name}"]
