"""A shelf's day from what the store recorded: the input of the demand features. Pure.

Customers' pickups less their putbacks are the units taken; restock putbacks are refills; removals
take expired stock away. The day's close is its opening plus refills less removals and units taken
(the shelf ledger's own arithmetic), and the next day opens where it closed. Units sold and revenue
come from the day's till lines, lost-sale units from the shelf producer's count of units wanted
from an empty shelf.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from smart_shelf.contracts import ShelfDay


@dataclass(frozen=True)
class ShelfMoves:
    picked: int = 0  # by customers
    put_back: int = 0  # by customers
    refilled: int = 0  # restock putbacks
    removed: int = 0  # expired stock taken away


@dataclass(frozen=True)
class Sales:
    units: int = 0
    revenue: float = 0.0
    list_value: float = 0.0  # the units at their undiscounted price


def shelf_days(
    day: date,
    shelves: Iterable[str],
    opening: Mapping[str, int],
    moves: Mapping[str, ShelfMoves],
    sales: Mapping[str, Sales],
    lost: Mapping[str, int],
) -> tuple[list[ShelfDay], list[str]]:
    """(each shelf's day, the shelves whose arithmetic went below zero: events of the day missing
    from the lake, closed at 0 rather than negative)."""
    out, short = [], []
    for shelf in sorted(shelves):
        m, s = moves.get(shelf, ShelfMoves()), sales.get(shelf, Sales())
        taken = m.picked - m.put_back
        close = opening.get(shelf, 0) + m.refilled - m.removed - taken
        if close < 0:
            short.append(shelf)
        out.append(
            ShelfDay(
                shelf_id=shelf,
                day=day,
                stock_open=opening.get(shelf, 0),
                stock_close=max(close, 0),
                units_taken=taken,
                units_sold=s.units,
                revenue=round(s.revenue, 2),
                lost_sale_units=lost.get(shelf, 0),
                refill_units=m.refilled,
                removed_units=m.removed,
                discount=round(min(max(1 - s.revenue / s.list_value, 0.0), 1.0), 4) if s.list_value else 0.0,
            )
        )
    return out, short
