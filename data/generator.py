"""Generate the store: catalogue and inventory, batches, weekly discounts. Pure: a seed and a date in,
DataFrames out; every date is relative to the simulation start, never to the wall clock.

Invariants (tested): each shelf's and each warehouse slot's current stock equals the sum of its
batches; warehouse capacity is a whole number of standard batches; store capacity holds at least
one batch; perishables expire within 15 days, other products in one to a few years.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from store_data.catalogue import (
    BEVERAGE_LIKE,
    CATEGORIES,
    STOCK_RANGE_WIDENING,
    Category,
    shelf_prefix,
    sku_counts,
)

DISCOUNTED_PER_WEEK = 60
DISCOUNT_RANGE = (0.05, 0.35)


@dataclass(frozen=True)
class StoreData:
    store_inventory: pd.DataFrame
    warehouse_inventory: pd.DataFrame
    store_batches: pd.DataFrame
    warehouse_batches: pd.DataFrame
    discounts: pd.DataFrame


def standard_batch_size(rng: np.random.Generator, category: Category, weight: int) -> int:
    """Pieces per supplier batch, by kind of product and unit weight."""
    if category.name in BEVERAGE_LIKE:
        options = [18, 24, 30, 36, 42, 48, 60]
    elif category.name == "FRUITS AND VEGETABLES":
        if weight <= 80:
            options = [20, 25, 30, 35, 40]
        elif weight <= 300:
            options = list(range(8, 19))
        else:
            options = list(range(8, 13))
    elif category.perishable:
        if weight <= 300:
            options = [15, 20, 25, 30, 35, 40]
        elif weight <= 800:
            options = [8, 10, 11, 12, 14, 15, 16, 18, 20]
        elif weight <= 1500:
            options = [8, 10, 11, 12, 14, 15]
        else:
            options = [5, 6, 8, 10, 12]
    elif weight <= 200:
        options = list(range(20, 81, 5))
    elif weight <= 500:
        options = list(range(20, 61, 5))
    elif weight <= 1000:
        options = list(range(15, 41, 5))
    elif weight <= 2000:
        options = [10, 15, 20, 25, 30]
    else:
        options = [5, 10, 15, 20]
    return int(rng.choice(options))


def _widened(bounds: tuple[int, int]) -> tuple[int, int]:
    return bounds[0], math.ceil(bounds[1] * STOCK_RANGE_WIDENING)


def warehouse_capacity(rng: np.random.Generator, category: Category, store_max: int, batch: int) -> int:
    """A whole number of batches, at least two."""
    if category.warehouse_max is None:  # cold chain: about what the shelf holds, rounded up
        return math.ceil(max(store_max, 2 * batch) / batch) * batch
    lo, hi = _widened(category.warehouse_max)
    drawn = max(int(rng.integers(lo, hi + 1)), 2 * batch)
    return max(drawn // batch * batch, 2 * batch)


def warehouse_stock(rng: np.random.Generator, capacity: int, batch: int) -> int:
    """Whole batches (1 to 3), at least the 5 % reorder point, never above capacity."""
    batches = int(rng.integers(1, min(3, capacity // batch) + 1))
    reorder_point = max(1, int(0.05 * capacity))
    batches = max(batches, math.ceil(reorder_point / batch))
    return min(batches * batch, capacity)


def generate_inventory(rng: np.random.Generator, scale: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    store_rows, wh_rows = [], []
    counter = 0
    for category in CATEGORIES:
        for subcategory, count in zip(category.subcategories, sku_counts(category, scale), strict=True):
            for _ in range(count):
                counter += 1
                shelf_id = f"{shelf_prefix(category.name)}{shelf_prefix(subcategory)}{counter:04d}"
                if category.weight_is_range:
                    weight = int(rng.integers(category.weight[0], category.weight[1]))
                else:
                    weight = int(rng.choice(category.weight))
                price = round(float(rng.uniform(*category.price)), 2)
                batch = standard_batch_size(rng, category, weight)
                lo, hi = _widened(category.store_max)
                store_max = max(int(rng.integers(lo, hi + 1)), batch)
                if category.perishable:
                    store_stock = max(1, int(store_max * rng.uniform(0.35, 0.95)))
                else:
                    store_stock = int(store_max * rng.uniform(0.7, 1.0))
                wh_max = warehouse_capacity(rng, category, store_max, batch)
                common = {
                    "shelf_id": shelf_id,
                    "aisle": category.aisle,
                    "item_weight": weight,
                    "item_category": category.name,
                    "item_subcategory": subcategory,
                    "item_price": price,
                    "standard_batch_size": batch,
                }
                store_rows.append(
                    {
                        **common,
                        "shelf_weight": weight * store_max,
                        "item_visibility": round(float(rng.uniform(0.05, 0.20)), 6),
                        "maximum_stock": store_max,
                        "current_stock": store_stock,
                    }
                )
                wh_rows.append(
                    {
                        **common,
                        "shelf_weight": weight * wh_max,
                        "maximum_stock": wh_max,
                        "current_stock": warehouse_stock(rng, wh_max, batch),
                    }
                )
    store_cols = [
        "shelf_id",
        "aisle",
        "item_weight",
        "shelf_weight",
        "item_category",
        "item_subcategory",
        "item_visibility",
        "maximum_stock",
        "current_stock",
        "item_price",
        "standard_batch_size",
    ]
    wh_cols = [c for c in store_cols if c != "item_visibility"]
    return pd.DataFrame(store_rows)[store_cols], pd.DataFrame(wh_rows)[wh_cols]


def expiry_days(rng: np.random.Generator, perishable: bool, index: int) -> int:
    """Days from receipt to expiry: perishables 2 to 15 (later batches fresher), others 1-2 years and more."""
    if perishable:
        return int(rng.integers(min(15, 2 + index), 16))
    return int(rng.integers(365 + 100 * index, 730 + 100 * index + 1))


def split_into_batches(stock: int, batch: int) -> list[int]:
    """Full batches plus one remainder batch; an empty slot has no batch."""
    full, rest = divmod(stock, batch)
    return [batch] * full + ([rest] if rest else [])


def generate_batches(
    rng: np.random.Generator, inventory: pd.DataFrame, start: date, location: str, first_code: int
) -> pd.DataFrame:
    rows = []
    code = first_code
    store = location == "in-store"
    for item in inventory.itertuples(index=False):
        perishable = item.item_category in {c.name for c in CATEGORIES if c.perishable}
        quantities = split_into_batches(int(item.current_stock), int(item.standard_batch_size))
        for index, qty in enumerate(quantities):
            received = start - timedelta(days=int(rng.integers(0, 4)) + (len(quantities) - 1 - index))
            expiry = start + timedelta(days=expiry_days(rng, perishable, index))
            rows.append(
                {
                    "shelf_id": item.shelf_id,
                    "batch_code": f"B{code:07d}",
                    "item_category": item.item_category,
                    "item_subcategory": item.item_subcategory,
                    "standard_batch_size": int(item.standard_batch_size),
                    "received_date": received.isoformat(),
                    "expiry_date": expiry.isoformat(),
                    "batch_quantity_total": qty,
                    "batch_quantity_store": qty if store else 0,
                    "batch_quantity_warehouse": 0 if store else qty,
                    "location": location,
                }
            )
            code += 1
    return pd.DataFrame(rows)


def generate_discounts(rng: np.random.Generator, store: pd.DataFrame, start: date, days: int) -> pd.DataFrame:
    """Weekly promotions, Monday to Sunday, covering the simulation: DISCOUNTED_PER_WEEK products a week,
    rotating through a shuffled catalogue so every product gets its turn."""
    first_monday = start - timedelta(days=start.weekday())
    weeks = math.ceil((start + timedelta(days=days) - first_monday).days / 7)
    shelves = store["shelf_id"].to_numpy()
    prices = dict(zip(store["shelf_id"], store["item_price"], strict=True))
    per_week = min(DISCOUNTED_PER_WEEK, len(shelves))
    order, cursor = rng.permutation(shelves), 0
    rows = []
    for week in range(weeks):
        week_start = first_monday + timedelta(weeks=week)
        if cursor + per_week > len(order):
            order, cursor = rng.permutation(shelves), 0
        for shelf_id in order[cursor : cursor + per_week]:
            discount = round(float(rng.uniform(*DISCOUNT_RANGE)), 4)
            rows.append(
                {
                    "week_index": week,
                    "week": f"{week_start.isocalendar().year}-W{week_start.isocalendar().week:02d}",
                    "week_start": week_start,
                    "week_end": week_start + timedelta(days=6),
                    "shelf_id": str(shelf_id),
                    "discount": discount,
                    "original_price": prices[shelf_id],
                    "discounted_price": round(prices[shelf_id] * (1 - discount), 2),
                }
            )
        cursor += per_week
    return pd.DataFrame(rows)


def generate_store(seed: int, start: date, days: int, scale: float = 1.0) -> StoreData:
    """Everything the simulation starts from, identical for the same seed, start, days and scale."""
    rng = np.random.default_rng(seed)
    store, warehouse = generate_inventory(rng, scale)
    store_batches = generate_batches(rng, store, start, "in-store", first_code=1)
    warehouse_batches = generate_batches(
        rng, warehouse, start, "warehouse", first_code=len(store_batches) + 1
    )
    discounts = generate_discounts(rng, store, start, days)
    return StoreData(store, warehouse, store_batches, warehouse_batches, discounts)
