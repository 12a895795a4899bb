"""Refill rules: a warehouse pick becomes a refill on the shelf after the travel delay. Pure.

A `wh_out` picked at `t` arrives on the shelf at `t + delay` as the shelf sensors see a restock: a
`putback` by `restock_bot` of the units, carrying the batch and the plan, and the matching
`weight_change`. Event ids derive from the pick's id, so a refill sent again is the same refill.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from smart_shelf.contracts import RESTOCK_CUSTOMER, ShelfEvent, stable_id


@dataclass(frozen=True)
class Refill:
    refill_id: str  # the wh_out's event_id
    plan_id: str | None
    shelf_id: str
    batch_code: str
    received_date: date | None
    expiry_date: date | None
    qty: int
    due_at: datetime


def due_at(picked_at: datetime, delay_minutes: float) -> datetime:
    return picked_at + timedelta(minutes=delay_minutes)


def refill_events(refill: Refill, unit_weight: float) -> list[ShelfEvent]:
    """The putback and the weight change the shelf records when the refill arrives."""
    common = dict(customer_id=RESTOCK_CUSTOMER, item_id=refill.shelf_id, timestamp=refill.due_at)
    return [
        ShelfEvent(
            event_id=stable_id("refill", refill.refill_id, "putback"),
            event_type="putback",
            quantity=refill.qty,
            weight=unit_weight,
            shelf_id=refill.shelf_id,
            batch_code=refill.batch_code,
            received_date=refill.received_date,
            expiry_date=refill.expiry_date,
            plan_id=refill.plan_id,
            **common,
        ),
        ShelfEvent(
            event_id=stable_id("refill", refill.refill_id, "weight_change"),
            event_type="weight_change",
            delta_weight=round(unit_weight * refill.qty, 3),
            **common,
        ),
    ]
