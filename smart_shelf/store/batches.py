"""Batches of one product on a shelf or in the warehouse, and which batch units are taken from.

Pure rules, no I/O: a shelf or warehouse ledger keeps a `Batches` and asks it where a sale or a pick
comes from. Units leave earliest-expiry-first (FEFO); at the till a customer sometimes takes a later
batch instead (the shopper reaching to the back of the shelf), decided by a seeded random draw so that
a replayed transaction is allocated the same way.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Batch:
    batch_code: str
    received_date: date
    expiry_date: date
    quantity: int


@dataclass(frozen=True)
class Take:
    """`quantity` units from batch `batch_code`."""

    batch_code: str
    quantity: int


@dataclass
class Batches:
    """The batches of one shelf (or one warehouse slot), by batch code."""

    by_code: dict[str, Batch] = field(default_factory=dict)

    def total(self) -> int:
        return sum(b.quantity for b in self.by_code.values())

    def in_expiry_order(self) -> list[Batch]:
        """Batches with stock, earliest expiry first (then earliest received, then code: a total order)."""
        stocked = [b for b in self.by_code.values() if b.quantity > 0]
        return sorted(stocked, key=lambda b: (b.expiry_date, b.received_date, b.batch_code))

    def add(self, batch_code: str, quantity: int, received: date, expiry: date) -> Batch:
        """Units arriving: fill the batch if it is known, else open it with these dates."""
        batch = self.by_code.get(batch_code)
        if batch is None:
            batch = self.by_code[batch_code] = Batch(batch_code, received, expiry, 0)
        batch.quantity += quantity
        return batch

    def remove(self, takes: list[Take]) -> None:
        for take in takes:
            self.by_code[take.batch_code].quantity -= take.quantity


def earliest_expiry_first(batches: Batches, quantity: int) -> tuple[list[Take], int]:
    """Which batches `quantity` units come from, earliest expiry first; and the units no batch had.

    A partial pick is possible: ([...], shortfall > 0) when the batches hold less than asked.
    """
    takes, remaining = [], quantity
    for batch in batches.in_expiry_order():
        if remaining <= 0:
            break
        n = min(remaining, batch.quantity)
        takes.append(Take(batch.batch_code, n))
        remaining -= n
    return takes, remaining


def customer_choice(
    batches: Batches, quantity: int, rng: random.Random, prob_earliest: float
) -> tuple[list[Take], int]:
    """The batches a customer's `quantity` units came from; and the units no batch had.

    Unit group by unit group: with probability `prob_earliest` the earliest-expiry batch, otherwise a
    later batch chosen uniformly, as much as that batch holds, until the quantity is covered.
    """
    left = {b.batch_code: b.quantity for b in batches.in_expiry_order()}
    order = list(left)
    takes: dict[str, int] = {}
    remaining = quantity
    while remaining > 0 and order:
        later = order[1:]
        code = order[0] if not later or rng.random() < prob_earliest else rng.choice(later)
        n = min(remaining, left[code])
        takes[code] = takes.get(code, 0) + n
        remaining -= n
        left[code] -= n
        if left[code] == 0:
            order.remove(code)
    return [Take(code, n) for code, n in takes.items()], remaining


def batches_to_dict(batches: Batches) -> dict:
    return {
        code: [b.received_date.isoformat(), b.expiry_date.isoformat(), b.quantity]
        for code, b in batches.by_code.items()
    }


def batches_from_dict(body: dict) -> Batches:
    return Batches(
        {
            code: Batch(code, date.fromisoformat(received), date.fromisoformat(expiry), quantity)
            for code, (received, expiry, quantity) in body.items()
        }
    )


def transaction_rng(transaction_id: str, shelf_id: str) -> random.Random:
    """The same draws for the same transaction line, in any process (str hashes are salted: not those)."""
    return random.Random(f"{transaction_id}:{shelf_id}")
