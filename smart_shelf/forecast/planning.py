"""Supplier orders at a cutoff from a demand forecaster: what the inference service and the policy lab
both run, so the policy measured in the lab is the one that orders in the live store.

At a cutoff the days before it have closed; the features are taken at the cutoff's day (nothing from
it on) for each day the order covers, until the delivery after next. The forecaster gives each of
those days' mean demand per shelf, and `ordering.order_quantity` turns them into whole supplier
batches. A panel whose last closed day is not the day before the cutoff is stale: no orders are
proposed from it (StaleFeatures says which day is missing), never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from smart_shelf.contracts import WarehouseSupplierPlan, stable_id
from smart_shelf.forecast.evaluate import (
    BASELINES,
    ORDER_QUANTILE,
    ModelParams,
    covered_steps,
    demand_of,
    fit,
    training_rows,
)
from smart_shelf.forecast.features import FEATURES, features_at
from smart_shelf.forecast.ordering import OrderInputs, order_quantity
from smart_shelf.forecast.panel import Panel
from smart_shelf.store.calendar import SupplierCalendar
from smart_shelf.store.expiry import PERISHABLE_SHELF_LIFE_DAYS

Forecaster = Callable[[Panel, pd.DataFrame], np.ndarray]  # feature rows -> each row's mean demand


class StaleFeatures(RuntimeError):
    """The panel does not reach the day before the cutoff."""


def model_forecaster(model) -> Forecaster:
    """A trained model as a forecaster (a Poisson model's mean is never negative; clipped anyway)."""
    return lambda panel, rows: np.clip(model.predict(rows[list(FEATURES)]), 0.0, None)


def moving_average_28() -> Forecaster:
    return BASELINES["moving average 28"]


def fit_on_every_day(panel: Panel, params: ModelParams | None = None):
    """The model on every closed day of the panel: the one that serves orders."""
    rows = training_rows(panel, panel.observed, {})
    return fit(rows, demand_of(panel, rows), params or ModelParams())


@dataclass(frozen=True)
class Position:
    """A product's stock as the cutoff finds it."""

    shelf: int
    warehouse: int
    on_order: int  # ordered, not yet delivered
    warehouse_capacity: int
    batch_size: int
    perishable: bool

    @property
    def shelf_life_days(self) -> float | None:
        # the shortest life a delivered batch may have: orders are capped by what sells before it
        return float(PERISHABLE_SHELF_LIFE_DAYS[0]) if self.perishable else None


@dataclass(frozen=True)
class Proposal:
    shelf_id: str
    features_date: str  # the cutoff's day: the features know the days before it
    daily_means: tuple[float, ...]  # the forecast of each covered day
    quantity: int  # units to order, whole batches


def propose(
    panel: Panel,
    cutoff: datetime,
    calendar: SupplierCalendar,
    forecaster: Forecaster,
    positions: Mapping[str, Position],
    level: float = ORDER_QUANTILE,
) -> list[Proposal]:
    """One proposal per shelf of `positions`, in shelf order."""
    origin = panel.index_of(cutoff.date())
    if origin != panel.observed:
        last = panel.days[panel.observed - 1]
        raise StaleFeatures(
            f"the demand panel ends on {last}; the cutoff of {cutoff.isoformat()} needs it to end on "
            f"{cutoff.date() - timedelta(days=1)}, the day before"
        )
    steps = covered_steps(calendar, cutoff)
    rows = features_at(panel, origin, steps)
    rows = rows[rows["shelf_id"].isin(positions.keys())]
    means = pd.Series(forecaster(panel, rows), index=rows.index)
    by_shelf = means.groupby(rows["shelf_id"], sort=True)
    out = []
    for shelf, daily in by_shelf:
        p = positions[shelf]
        inputs = OrderInputs(
            daily_means=tuple(float(v) for v in daily),
            position=p.shelf + p.warehouse + p.on_order,
            batch_size=p.batch_size,
            warehouse_room=p.warehouse_capacity - p.warehouse - p.on_order,
            shelf_life_days=p.shelf_life_days,
        )
        out.append(
            Proposal(shelf, cutoff.date().isoformat(), inputs.daily_means, order_quantity(inputs, level))
        )
    return out


def supplier_plan(
    proposal: Proposal, cutoff: datetime, batch_size: int, made_at: datetime
) -> WarehouseSupplierPlan:
    """The pending supplier plan of a proposal, ordered at `cutoff` (one id per product and cutoff, so
    a run repeated after a crash proposes the same plan)."""
    return WarehouseSupplierPlan(
        supplier_plan_id=stable_id("wh_supplier_plan", "forecast", proposal.shelf_id, cutoff.isoformat()),
        shelf_id=proposal.shelf_id,
        suggested_qty=proposal.quantity,
        standard_batch_size=batch_size,
        status="pending",
        created_at=made_at,
        updated_at=made_at,
    )
