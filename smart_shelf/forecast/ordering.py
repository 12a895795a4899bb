"""From a demand forecast to a supplier order: periodic-review order-up-to in whole batches. Pure.

At a cutoff the order must cover demand until the delivery after next (the review period plus the
lead time). The forecast gives the mean demand of each of those days; demand over them is taken as
Poisson with their sum as mean (the store's demand is counts of independent shoppers' picks), and
the order-up-to level S is its quantile at the service level. The order brings the inventory
position (shelf + warehouse + ordered, not yet delivered) up to S in whole supplier batches, no more
than the warehouse has room for, and no more than can sell before it expires: stock that expires on
the shelf is what a better forecast should save, so the cap is not overridden to force a batch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def poisson_quantile(mean: float, level: float) -> int:
    """The smallest k with P(Poisson(mean) <= k) >= level."""
    if not 0 < level < 1:
        raise ValueError(f"service level {level} must be between 0 and 1")
    if mean <= 0:
        return 0
    k, term = 0, math.exp(-mean) if mean < 700 else 0.0
    if term == 0.0:  # beyond exp's range: the normal approximation is exact enough there
        from statistics import NormalDist

        return math.ceil(NormalDist(mean, math.sqrt(mean)).inv_cdf(level))
    total = term
    while total < level:
        k += 1
        term *= mean / k
        total += term
    return k


@dataclass(frozen=True)
class OrderInputs:
    daily_means: Sequence[float]  # forecast demand of each day the order covers
    position: int  # shelf + warehouse + ordered and not yet delivered
    batch_size: int
    warehouse_room: int  # capacity - warehouse stock - ordered and not yet delivered
    shelf_life_days: float | None = None  # of a delivered batch; None: keeps beyond any horizon


def order_quantity(inputs: OrderInputs, level: float = 0.95) -> int:
    """Units to order (a multiple of the batch size, possibly 0)."""
    if inputs.batch_size <= 0:
        raise ValueError("batch_size must be positive")
    level_units = poisson_quantile(sum(inputs.daily_means), level)
    needed = level_units - inputs.position
    if needed <= 0:
        return 0
    batches = math.ceil(needed / inputs.batch_size)
    batches = min(batches, max(inputs.warehouse_room, 0) // inputs.batch_size)
    if inputs.shelf_life_days is not None and inputs.daily_means:
        daily = sum(inputs.daily_means) / len(inputs.daily_means)
        sellable = daily * inputs.shelf_life_days - inputs.position  # what the stock on hand leaves
        batches = min(batches, max(math.floor(sellable / inputs.batch_size), 0))
    return batches * inputs.batch_size
