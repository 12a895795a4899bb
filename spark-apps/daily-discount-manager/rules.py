"""Daily discount rules: which shelves get a near-expiry discount today, and how much. Pure.

A shelf holding stock of a batch that expires today or tomorrow is discounted today by a value drawn
from DISCOUNT_MIN..DISCOUNT_MAX in steps of 10 points (reference 30, 40 or 50 %). The draw depends on
the seed, the shelf and the date only: running the day again gives the same discount, it never
compounds on the first one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from smart_shelf.contracts import DailyDiscount
from smart_shelf.store.expiry import BatchStock, daily_discount, discount_options, shelves_to_discount


def discounts_for(
    batches: Iterable[BatchStock], today: date, seed: int, low: float, high: float, created_at: datetime
) -> list[DailyDiscount]:
    options = discount_options(low, high)
    return [
        DailyDiscount(
            shelf_id=shelf_id,
            discount_date=today,
            discount=daily_discount(seed, shelf_id, today, options),
            created_at=created_at,
        )
        for shelf_id in shelves_to_discount(batches, today)
    ]
