"""Store batch rules: the batches on one shelf, moved by sales and restocks. No I/O, no clock.

A sale (a POS line) takes its units from the shelf's batches: earliest expiry first, except that with
probability 1 - prob_earliest a customer takes a later batch (`customer_choice`, seeded by the
transaction so a replay allocates the same way). Units no batch holds are reported as a
`batch_shortfall` alert, never taken below zero. A restock arriving on the shelf adds its units to its
batch, opening the batch with the dates the warehouse gave it. A removal takes the expired batch's
units off: from the batch it names, and any units that batch no longer holds (sold since the removal
was planned) from the earliest-expiry batches, so that the batches keep matching the shelf's stock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from smart_shelf.contracts import Alert, ShelfBatchState
from smart_shelf.store.alerts import alert
from smart_shelf.store.batches import (
    Batches,
    Take,
    batches_from_dict,
    batches_to_dict,
    customer_choice,
    earliest_expiry_first,
    transaction_rng,
)


@dataclass(frozen=True)
class BatchReading:
    event_id: str
    kind: str  # sale | restock | removal
    timestamp: datetime
    quantity: int
    transaction_id: str | None = None  # sales
    batch_code: str | None = None  # restocks and removals
    received_date: date | None = None
    expiry_date: date | None = None


@dataclass
class StoreBatchLedger:
    shelf_id: str
    batches: Batches
    last_update_ts: datetime
    prob_earliest: float
    touched: set[str] = field(default_factory=set)  # batch codes moved since loaded; not stored

    def apply(self, reading: BatchReading) -> list[Alert]:
        self.last_update_ts = max(self.last_update_ts, reading.timestamp)
        if reading.kind == "restock":
            return self._restock(reading)
        if reading.kind == "removal":
            return self._remove(reading)
        rng = transaction_rng(reading.transaction_id or reading.event_id, self.shelf_id)
        takes, missing = customer_choice(self.batches, reading.quantity, rng, self.prob_earliest)
        self.batches.remove(takes)
        self.touched.update(t.batch_code for t in takes)
        return self._shortfall(reading, missing, "sold")

    def _restock(self, reading: BatchReading) -> list[Alert]:
        code = reading.batch_code
        if code is None:
            return [self._unknown(reading, "a restock without batch_code")]
        known = code in self.batches.by_code
        received = reading.received_date or reading.timestamp.date()
        expiry = reading.expiry_date or received  # unknown: treated as expiring now, never kept silently
        self.batches.add(code, reading.quantity, received, expiry)
        self.touched.add(code)
        if known or reading.expiry_date is not None:
            return []
        return [self._unknown(reading, f"batch {code} arrived without an expiry date: taken as {expiry}")]

    def _remove(self, reading: BatchReading) -> list[Alert]:
        named = self.batches.by_code.get(reading.batch_code or "")
        first = min(reading.quantity, named.quantity if named else 0)
        takes = [Take(named.batch_code, first)] if first else []
        self.batches.remove(takes)
        rest, missing = earliest_expiry_first(self.batches, reading.quantity - first)
        self.batches.remove(rest)
        self.touched.update(t.batch_code for t in takes + rest)
        return self._shortfall(reading, missing, "removed")

    def _shortfall(self, reading: BatchReading, missing: int, what: str) -> list[Alert]:
        """Units a sale or removal took that no batch held: reported, never taken below zero."""
        if not missing:
            return []
        return [
            alert(
                "batch_shortfall",
                self.shelf_id,
                "store",
                reading.timestamp,
                reading.event_id,
                suggested_qty=missing,
                message=f"{missing} of {reading.quantity} units {what} are in no batch of the shelf",
            )
        ]

    def _unknown(self, reading: BatchReading, message: str) -> Alert:
        return alert(
            "batch_unknown", self.shelf_id, "store", reading.timestamp, reading.event_id, message=message
        )

    def rows(self, codes: set[str] | None = None) -> list[ShelfBatchState]:
        """The state rows of the batches (of `codes` only, when given)."""
        return [
            ShelfBatchState(
                shelf_id=self.shelf_id,
                batch_code=b.batch_code,
                received_date=b.received_date,
                expiry_date=b.expiry_date,
                batch_quantity_store=b.quantity,
                last_update_ts=self.last_update_ts,
            )
            for code, b in sorted(self.batches.by_code.items())
            if codes is None or code in codes
        ]

    def changed(self) -> list[ShelfBatchState]:
        return self.rows(self.touched)

    def dumps(self) -> str:
        return json.dumps(
            {
                "shelf_id": self.shelf_id,
                "batches": batches_to_dict(self.batches),
                "last_update_ts": self.last_update_ts.isoformat(),
                "prob_earliest": self.prob_earliest,
            }
        )

    @classmethod
    def loads(cls, text: str) -> StoreBatchLedger:
        body = json.loads(text)
        return cls(
            body["shelf_id"],
            batches_from_dict(body["batches"]),
            datetime.fromisoformat(body["last_update_ts"]),
            body["prob_earliest"],
        )
