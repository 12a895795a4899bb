"""Removal rules: expired store batches leave the shelf. Pure.

Reference: a batch is removed the day after it expires (`next_day`; `same_day_evening` removes it on
its expiry day). The removal is an event the ledgers apply, never a write to their state: a `removal`
by `removal_bot` of the batch's units and the matching `weight_change` on shelf_events, and one
`expired_removal` alert per shelf with the units removed. Ids derive from the shelf, batch and day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby

from smart_shelf.contracts import Alert, ShelfEvent, stable_id
from smart_shelf.store.alerts import alert
from smart_shelf.store.expiry import BatchStock, is_due_for_removal

REMOVAL_CUSTOMER = "removal_bot"


def expired(batches: Iterable[BatchStock], today: date, mode: str) -> list[BatchStock]:
    """Batches with stock due for removal today, by shelf and batch code."""
    due = [b for b in batches if b.quantity > 0 and is_due_for_removal(b.expiry_date, today, mode)]
    return sorted(due, key=lambda b: (b.shelf_id, b.batch_code))


def removal_events(batch: BatchStock, unit_weight: float, at: datetime) -> list[ShelfEvent]:
    cause = (batch.shelf_id, batch.batch_code, at.date().isoformat())
    common = dict(customer_id=REMOVAL_CUSTOMER, item_id=batch.shelf_id, timestamp=at)
    return [
        ShelfEvent(
            event_id=stable_id("removal", *cause),
            event_type="removal",
            quantity=batch.quantity,
            weight=unit_weight,
            shelf_id=batch.shelf_id,
            batch_code=batch.batch_code,
            expiry_date=batch.expiry_date,
            **common,
        ),
        ShelfEvent(
            event_id=stable_id("removal", *cause, "weight_change"),
            event_type="weight_change",
            delta_weight=round(-unit_weight * batch.quantity, 3),
            **common,
        ),
    ]


def removal_alerts(batches: list[BatchStock], at: datetime) -> list[Alert]:
    """One expired_removal alert per shelf, with the units removed across its expired batches."""
    alerts = []
    for shelf_id, group in groupby(batches, key=lambda b: b.shelf_id):
        removed = list(group)
        codes = ", ".join(b.batch_code for b in removed)
        alerts.append(
            alert(
                "expired_removal",
                shelf_id,
                "store",
                at,
                f"day:{at.date().isoformat()}",
                batch_code=removed[0].batch_code,
                quantity=sum(b.quantity for b in removed),
                message=f"expired batches removed: {codes}",
            )
        )
    return alerts
