"""Removal rules: expired store batches leave the shelf. Pure.

Reference: a batch is removed the day after it expires (`next_day`; `same_day_evening` removes it on
its expiry day). The removal is an order to the shelf, never a write to the ledgers' state: a
`RemovalOrder` per batch for the shelf producer to carry out (as a `removal` by `removal_bot` and its
`weight_change`, which the ledgers apply), and one `expired_removal` alert per shelf with the units
ordered off. Ids derive from the shelf, batch and day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby

from smart_shelf.contracts import Alert, RemovalOrder, stable_id
from smart_shelf.store.alerts import alert
from smart_shelf.store.expiry import BatchStock, is_due_for_removal


def expired(batches: Iterable[BatchStock], today: date, mode: str) -> list[BatchStock]:
    """Batches with stock due for removal today, by shelf and batch code."""
    due = [b for b in batches if b.quantity > 0 and is_due_for_removal(b.expiry_date, today, mode)]
    return sorted(due, key=lambda b: (b.shelf_id, b.batch_code))


def removal_order(batch: BatchStock, unit_weight: float, at: datetime) -> RemovalOrder:
    return RemovalOrder(
        event_id=stable_id("removal", batch.shelf_id, batch.batch_code, at.date().isoformat()),
        shelf_id=batch.shelf_id,
        batch_code=batch.batch_code,
        expiry_date=batch.expiry_date,
        quantity=batch.quantity,
        weight=unit_weight,
        created_at=at,
    )


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
