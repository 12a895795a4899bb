"""The demand panel: one row per shelf, one column per day, as the features and the evaluation read it.

Demand is what customers wanted: the units they bought plus the units they could not find (lost-sale
units, which the shelf producer counts). Sales alone would teach a model the shelf's stock-outs, and
the output of an ordering rule would teach it the rule. Observed values (demand, stock, traffic) are
known only once a day has closed; the weekly promotions are published ahead and known for any day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from smart_shelf.contracts import ShelfDay
from smart_shelf.store.pricing import weekly_discounts_on


@dataclass(frozen=True)
class Panel:
    shelves: tuple[str, ...]
    days: tuple[date, ...]  # consecutive: the observed days, then days with only what is known ahead
    observed: int  # how many of `days` have closed (their demand is known)
    demand: np.ndarray  # (shelves, days): units sold + lost-sale units
    lost: np.ndarray  # (shelves, days): lost-sale units
    stock_close: np.ndarray  # (shelves, days)
    traffic: np.ndarray  # (days,): customers in the store
    weekly_discount: np.ndarray  # (shelves, days): the week's promotion, known ahead
    visibility: np.ndarray  # (shelves,)
    price: np.ndarray  # (shelves,)
    capacity: np.ndarray  # (shelves,)
    category: np.ndarray  # (shelves,): an integer code per item category

    def index_of(self, day: date) -> int:
        return (day - self.days[0]).days

    @cached_property
    def shelf_index(self) -> dict[str, int]:
        """Each shelf's row."""
        return {s: i for i, s in enumerate(self.shelves)}


def panel_from(
    shelf_days: Iterable[ShelfDay],
    customers: Mapping[date, int],
    inventory: pd.DataFrame,
    weekly: pd.DataFrame,
    extra_days: int = 7,
) -> Panel:
    """The panel of a history's per-shelf days (contracts.ShelfDay), its daily customers, the store
    inventory and the weekly promotions. `extra_days` after the last observed day carry only what is
    known ahead (the promotions), for forecasts beyond the data."""
    frame = pd.DataFrame([d.model_dump() for d in shelf_days])
    inventory = inventory.sort_values("shelf_id").reset_index(drop=True)
    shelves = tuple(inventory["shelf_id"])
    first, last = frame["day"].min(), frame["day"].max()
    observed = (last - first).days + 1
    days = tuple(first + timedelta(days=n) for n in range(observed + extra_days))
    row = {s: i for i, s in enumerate(shelves)}
    col = {d: i for i, d in enumerate(days)}

    def matrix(values: pd.Series) -> np.ndarray:
        out = np.zeros((len(shelves), len(days)))
        out[frame["shelf_id"].map(row).to_numpy(), frame["day"].map(col).to_numpy()] = values.to_numpy()
        return out

    weekly_matrix = np.zeros((len(shelves), len(days)))
    for j, day in enumerate(days):
        for shelf, discount in weekly_discounts_on(weekly, day).items():
            if shelf in row:
                weekly_matrix[row[shelf], j] = discount
    categories = {c: i for i, c in enumerate(sorted(inventory["item_category"].unique()))}
    return Panel(
        shelves=shelves,
        days=days,
        observed=observed,
        demand=matrix(frame["units_sold"] + frame["lost_sale_units"]),
        lost=matrix(frame["lost_sale_units"]),
        stock_close=matrix(frame["stock_close"]),
        traffic=np.array([customers.get(d, 0) for d in days], dtype=float),
        weekly_discount=weekly_matrix,
        visibility=inventory["item_visibility"].to_numpy(dtype=float),
        price=inventory["item_price"].to_numpy(dtype=float),
        capacity=inventory["maximum_stock"].to_numpy(dtype=float),
        category=inventory["item_category"].map(categories).to_numpy(dtype=float),
    )
