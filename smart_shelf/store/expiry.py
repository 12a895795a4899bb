"""Expiry rules: what is near expiry, what must leave the shelf, the shelf life of a delivered batch,
and the daily near-expiry discount. Pure: dates and seeds in, values out.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

# A delivered batch's shelf life in days: perishables a week or two, other products one to two years
# (the generator's ranges for a fresh batch).
PERISHABLE_SHELF_LIFE_DAYS = (5, 15)
LONG_LIFE_SHELF_LIFE_DAYS = (365, 730)
REMOVE_MODES = ("next_day", "same_day_evening")


@dataclass(frozen=True)
class BatchStock:
    """A batch as the expiry rules see it."""

    shelf_id: str
    batch_code: str
    expiry_date: date
    quantity: int


def days_to_expiry(expiry: date, today: date) -> int:
    return (expiry - today).days


def is_near_expiry(expiry: date, today: date, within_days: int) -> bool:
    """Expires today or within the next `within_days` days (an expired batch is not 'near' any more)."""
    return 0 <= days_to_expiry(expiry, today) <= within_days


def is_due_for_removal(expiry: date, today: date, mode: str = "next_day") -> bool:
    """next_day: removed the day after it expires; same_day_evening: removed on its expiry day."""
    if mode == "next_day":
        return expiry < today
    if mode == "same_day_evening":
        return expiry <= today
    raise ValueError(f"unknown removal mode {mode!r}: one of {REMOVE_MODES}")


def delivered_expiry(received: date, perishable: bool, rng: random.Random) -> date:
    low, high = PERISHABLE_SHELF_LIFE_DAYS if perishable else LONG_LIFE_SHELF_LIFE_DAYS
    return received + timedelta(days=rng.randint(low, high))


def discount_options(low: float, high: float, step: float = 0.10) -> list[float]:
    """0.30..0.50 in steps of 0.10 -> [0.3, 0.4, 0.5] (rounded, so no 0.30000000000000004)."""
    if not 0 <= low <= high <= 1:
        raise ValueError(f"discount range must satisfy 0 <= low <= high <= 1: {low}, {high}")
    count = int(round((high - low) / step)) + 1
    return [round(low + i * step, 4) for i in range(count)]


def daily_discount(seed: int, shelf_id: str, day: date, options: list[float]) -> float:
    """The day's discount for a shelf: drawn from `options` by (seed, shelf, day), so a rerun of the
    same day gives the same value instead of compounding on the first one."""
    return random.Random(f"daily_discount:{seed}:{shelf_id}:{day.isoformat()}").choice(options)


def shelves_to_discount(batches: Iterable[BatchStock], today: date) -> list[str]:
    """Shelves holding stock of a batch that expires today or tomorrow (sorted, each once)."""
    return sorted(
        {b.shelf_id for b in batches if b.quantity > 0 and 0 <= days_to_expiry(b.expiry_date, today) <= 1}
    )
