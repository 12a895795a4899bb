"""Restock and supplier plans: when one is needed, how much it asks for, how its status moves. Pure.

A shelf is refilled when its stock falls below `threshold_pct` of its capacity or below `min_qty`; the
plan asks for what brings it back to `target_pct` (reference: 30 % and 80 %), never more than the
shelf holds. The warehouse orders from the supplier below its reorder point, in whole supplier batches,
up to `target_pct` of its capacity and never beyond it. A plan's status only moves forward.
"""

from __future__ import annotations

import math

# pending -> issued -> completed | partially_completed; the last two are final.
PLAN_STATUS_RANK = {"pending": 0, "issued": 1, "completed": 2, "partially_completed": 2, "canceled": 2}
FINAL_STATUSES = frozenset({"completed", "partially_completed", "canceled"})


def advances(current: str, proposed: str) -> bool:
    """Whether a plan in `current` status may move to `proposed`: forward only, never out of a final one."""
    if current in FINAL_STATUSES:
        return False
    return PLAN_STATUS_RANK[proposed] > PLAN_STATUS_RANK[current]


def stock_pct(stock: int, capacity: int) -> float:
    return 100.0 * stock / capacity if capacity > 0 else 0.0


def needs_refill(stock: int, capacity: int, threshold_pct: float, min_qty: int) -> bool:
    """Below the threshold percentage of capacity, or below the minimum quantity."""
    return stock_pct(stock, capacity) < threshold_pct or stock < min_qty


def refill_quantity(stock: int, capacity: int, target_pct: float) -> int:
    """Units that bring the shelf to target_pct of its capacity (rounded up), at most what it has room for."""
    target = math.ceil(capacity * target_pct / 100.0 - 1e-9)
    return max(0, min(target, capacity) - stock)


def supplier_quantity(stock: int, capacity: int, target_pct: float, batch_size: int) -> int:
    """Whole supplier batches that bring the warehouse towards target_pct of capacity without exceeding
    it: enough batches to reach the target, fewer if they would not fit (0 when not one fits)."""
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    target = math.ceil(capacity * target_pct / 100.0 - 1e-9)
    wanted = math.ceil(max(0, target - stock) / batch_size)
    fits = max(0, capacity - stock) // batch_size
    return min(wanted, fits) * batch_size
