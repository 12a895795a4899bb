"""Discounts and prices: pure functions shared by the shelf producer (pick scores) and the POS (totals)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import pandas as pd

MAX_DISCOUNT = 0.95
# The day's near-expiry discounts are written early in the day: read them again this often (sim time).
DISCOUNT_REFRESH = timedelta(hours=1)


def combine_discounts(weekly: float, daily: float) -> float:
    """Weekly and daily discounts stack multiplicatively: 20 % then 50 % is 60 % off, capped at 95 %."""
    return min(1.0 - (1.0 - weekly) * (1.0 - daily), MAX_DISCOUNT)


def weekly_discounts_on(discounts: pd.DataFrame, day: date) -> dict[str, float]:
    """{shelf_id: discount} of the promotions whose week (start..end inclusive) contains `day`."""
    if discounts.empty:
        return {}
    starts = pd.to_datetime(discounts["week_start"]).dt.date
    ends = pd.to_datetime(discounts["week_end"]).dt.date
    active = discounts[(starts <= day) & (ends >= day)]
    return {str(k): float(v) for k, v in active.groupby("shelf_id")["discount"].max().items()}


def effective_discounts(weekly: Mapping[str, float], daily: Mapping[str, float]) -> dict[str, float]:
    shelves = set(weekly) | set(daily)
    return {s: combine_discounts(weekly.get(s, 0.0), daily.get(s, 0.0)) for s in shelves}


def pick_score(visibility: float, discount: float) -> float:
    """How likely a shopper reaches for a product: visibility, boosted by its discount."""
    return visibility * (1.0 + discount)


def line_total(quantity: int, unit_price: float, discount: float) -> float:
    return round(quantity * unit_price * (1.0 - discount), 2)


def discounts_stale(now: datetime, refreshed_at: datetime | None) -> bool:
    """Whether to load the discounts again: a new day, or DISCOUNT_REFRESH since the last load."""
    return refreshed_at is None or now.date() != refreshed_at.date() or now - refreshed_at >= DISCOUNT_REFRESH
