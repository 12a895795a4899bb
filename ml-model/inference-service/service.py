"""Before each supplier cutoff: the champion's forecast, turned into orders, logged, and planned.

On each cutoff's day at RUN_HOUR:RUN_MINUTE of simulated time (before CUTOFF_HOUR:CUTOFF_MINUTE) the
service loads the registry's champion, builds the demand panel from the lake, forecasts every
product's demand over the days the cutoff's order covers, and turns it into an order-up-to quantity
in whole supplier batches (smart_shelf.forecast.planning, the rule the policy lab measures). Every
prediction goes to analytics.ml_predictions_log; with ORDER_POLICY=ml the non-zero ones are sent as
pending plans on `wh_supplier_plan`, which wh-alert-engine records and wh-supplier-manager orders at
the cutoff. Each run is recorded in analytics.ml_inference_runs. No champion, an artifact that fails
its check, or features that do not reach the day before the cutoff: no orders from the model, the run
recorded as `refused` with the reason, a warning in the log. Never a silent fallback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path

from simulated_time.timeline import next_occurrence
from smart_shelf.contracts import WarehouseSupplierPlan
from smart_shelf.forecast import registry
from smart_shelf.forecast.features import MIN_HISTORY
from smart_shelf.forecast.lake import NoHistory, lake_panel
from smart_shelf.forecast.planning import (
    Position,
    Proposal,
    StaleFeatures,
    model_forecaster,
    propose,
    supplier_plan,
)
from smart_shelf.postgres_client import fetch_rows, upsert_rows
from smart_shelf.settings import InferenceSettings, SupplierManagerSettings
from smart_shelf.store.calendar import SupplierCalendar
from spark_apps.wh_supplier_manager.job import calendar as supplier_calendar
from spark_apps.wh_supplier_manager.job import products

log = logging.getLogger("inference-service")


class Refused(RuntimeError):
    """The model cannot order at this cutoff; the message says why."""


@dataclass(frozen=True)
class RunResult:
    cutoff: datetime
    status: str  # ok | refused
    reason: str
    model_version: str | None = None
    proposals: tuple[Proposal, ...] = ()
    plans: tuple[WarehouseSupplierPlan, ...] = ()  # sent (ORDER_POLICY=ml)
    seconds: float = 0.0


def calendar() -> SupplierCalendar:
    return supplier_calendar(SupplierManagerSettings())


def run_time(settings: InferenceSettings, cutoff: datetime) -> datetime:
    """When the run for `cutoff` happens: RUN_HOUR:RUN_MINUTE on the cutoff's day."""
    return datetime.combine(cutoff.date(), clock_time(settings.run_hour, settings.run_minute), cutoff.tzinfo)


def check_run_time(settings: InferenceSettings, cal: SupplierCalendar) -> None:
    if clock_time(settings.run_hour, settings.run_minute) >= cal.cutoff_at:
        raise ValueError(
            f"RUN_HOUR:RUN_MINUTE {settings.run_hour:02d}:{settings.run_minute:02d} must come before the "
            f"cutoff at {cal.cutoff_at:%H:%M} (CUTOFF_HOUR:CUTOFF_MINUTE): orders are placed at the cutoff"
        )


def next_cutoff(now: datetime, cal: SupplierCalendar) -> datetime:
    return next_occurrence(now, cal.cutoff_at, cal.cutoff_days)


def positions(settings: InferenceSettings) -> dict[str, Position]:
    """Each product's stock as the state tables hold it, and what is on order."""
    shelf = {
        r["shelf_id"]: r["current_stock"]
        for r in fetch_rows(settings, "SELECT shelf_id, current_stock FROM state.shelf_state")
    }
    warehouse = {
        r["shelf_id"]: r["wh_current_stock"]
        for r in fetch_rows(settings, "SELECT shelf_id, wh_current_stock FROM state.wh_state")
    }
    ordered = {
        r["shelf_id"]: int(r["units"])
        for r in fetch_rows(
            settings,
            "SELECT shelf_id, sum(ordered_qty) AS units FROM ops.wh_supplier_orders "
            "WHERE status = 'ordered' GROUP BY shelf_id",
        )
    }
    return {
        shelf_id: Position(
            shelf=shelf.get(shelf_id, 0),
            warehouse=warehouse.get(shelf_id, 0),
            on_order=ordered.get(shelf_id, 0),
            warehouse_capacity=p.capacity,
            batch_size=p.batch_size,
            perishable=p.perishable,
        )
        for shelf_id, p in products(settings).items()
    }


def log_predictions(
    settings: InferenceSettings,
    version: str,
    cutoff: datetime,
    proposals: list[Proposal],
    batch: dict[str, int],
    at: datetime,
) -> None:
    rows = [
        (
            settings.model_name,
            version,
            p.features_date,
            p.shelf_id,
            p.quantity / batch[p.shelf_id],
            p.quantity,
            at,
            cutoff,
            round(sum(p.daily_means), 3),
            len(p.daily_means),
        )
        for p in proposals
    ]
    upsert_rows(
        settings,
        "analytics.ml_predictions_log",
        (
            "model_name", "model_version", "feature_date", "shelf_id", "predicted_batches",
            "suggested_qty", "created_at", "cutoff_ts", "forecast_units", "covered_days",
        ),
        rows,
        ("model_name", "model_version", "feature_date", "shelf_id"),
    )  # fmt: skip


def record_run(settings: InferenceSettings, result: RunResult, at: datetime) -> None:
    units = sum(p.suggested_qty for p in result.plans)
    upsert_rows(
        settings,
        "analytics.ml_inference_runs",
        (
            "model_name", "cutoff_ts", "ran_at", "status", "reason", "model_version", "order_policy",
            "shelves", "orders", "units", "seconds",
        ),
        [
            (
                settings.model_name, result.cutoff, at, result.status, result.reason, result.model_version,
                settings.order_policy, len(result.proposals), len(result.plans), units, round(result.seconds, 3),
            )
        ],
        ("model_name", "cutoff_ts"),
    )  # fmt: skip


def forecast_orders(
    settings: InferenceSettings, cutoff: datetime, cal: SupplierCalendar
) -> tuple[str, list[Proposal], dict[str, Position]]:
    """(the champion's version, a proposal per product): Refused when the model cannot order."""
    champion = registry.champion(settings, settings.model_name)
    if champion is None:
        raise Refused(
            f"no champion for {settings.model_name} in analytics.ml_models: train one first (make ml)"
        )
    try:
        model = registry.load_artifact(
            Path(champion.artifact_path), champion.artifact_sha256, champion.features
        )
        panel = lake_panel(settings, MIN_HISTORY, "a forecast")
        stock = positions(settings)
        found = propose(panel, cutoff, cal, model_forecaster(model), stock, settings.order_service_level)
    except (registry.ArtifactError, NoHistory, StaleFeatures) as exc:
        raise Refused(f"{champion.model_version}: {exc}") from exc
    return champion.model_version, found, stock


def run(
    settings: InferenceSettings,
    cutoff: datetime,
    now: datetime,
    send: Callable[[list[WarehouseSupplierPlan]], None],
    cal: SupplierCalendar | None = None,
) -> RunResult:
    """One run for `cutoff` at simulated time `now`: predictions logged, plans sent when ORDER_POLICY=ml."""
    cal = cal or calendar()
    began = time.monotonic()
    try:
        version, proposals, stock = forecast_orders(settings, cutoff, cal)
    except Refused as exc:
        result = RunResult(
            cutoff, "refused", f"no orders from the model: {exc}", seconds=time.monotonic() - began
        )
        log.warning("cutoff %s: %s", cutoff.isoformat(), result.reason)
        record_run(settings, result, now)
        return result
    batch = {shelf: p.batch_size for shelf, p in stock.items()}
    log_predictions(settings, version, cutoff, proposals, batch, now)
    plans: list[WarehouseSupplierPlan] = []
    if settings.order_policy == "ml":
        plans = [supplier_plan(p, cutoff, batch[p.shelf_id], now) for p in proposals if p.quantity > 0]
        send(plans)
        reason = f"{len(plans)} plans sent for the cutoff"
    else:
        reason = "predictions logged; ORDER_POLICY=rule: the reorder points plan the orders"
    result = RunResult(
        cutoff, "ok", reason, version, tuple(proposals), tuple(plans), time.monotonic() - began
    )
    record_run(settings, result, now)
    log.info(
        "cutoff %s: %s %s forecast %d products, %d plans, %d units in %.1fs",
        cutoff.isoformat(), settings.model_name, version, len(proposals), len(plans),
        sum(p.suggested_qty for p in plans), result.seconds,
    )  # fmt: skip
    return result
