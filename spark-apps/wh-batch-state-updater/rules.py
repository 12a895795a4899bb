"""Warehouse batch rules: the batches of one product in the warehouse. No I/O, no clock.

A delivery (`wh_in`) opens its batch (or fills it) with the dates it carries; a pick (`wh_out`)
takes units out of the batch it names, which the restock planner chose earliest-expiry-first.
`batch_quantity_store` counts the units of the batch sent to the shelf so far. A pick of more than
the batch holds is applied down to zero and reported (`batch_shortfall`), never below zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from smart_shelf.contracts import Alert, WarehouseBatchState
from smart_shelf.store.alerts import alert
from smart_shelf.store.batches import Batches, Take, batches_from_dict, batches_to_dict


@dataclass
class WarehouseBatchLedger:
    shelf_id: str
    batches: Batches
    last_update_ts: datetime
    sent_to_store: dict[str, int] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # batch codes moved since loaded; not stored

    def apply(self, reading) -> list[Alert]:
        """reading: a wh-aggregator WarehouseReading with batch_code and the delivery's dates."""
        self.last_update_ts = max(self.last_update_ts, reading.timestamp)
        code = reading.batch_code
        self.touched.add(code)
        if reading.event_type == "wh_in":
            received = reading.received_date or reading.timestamp.date()
            self.batches.add(code, reading.qty, received, reading.expiry_date or received)
            return []
        batch = self.batches.by_code.get(code)
        held = 0 if batch is None else batch.quantity
        taken = min(held, reading.qty)
        if taken:
            self.batches.remove([Take(code, taken)])
            self.sent_to_store[code] = self.sent_to_store.get(code, 0) + taken
        if taken == reading.qty:
            return []
        return [
            alert(
                "batch_shortfall",
                self.shelf_id,
                "warehouse",
                reading.timestamp,
                reading.event_id,
                batch_code=code,
                suggested_qty=reading.qty - taken,
                message=f"{reading.qty} picked from batch {code}, which held {held}",
            )
        ]

    def rows(self, codes: set[str] | None = None) -> list[WarehouseBatchState]:
        """The state rows of the batches (of `codes` only, when given)."""
        return [
            WarehouseBatchState(
                shelf_id=self.shelf_id,
                batch_code=code,
                received_date=b.received_date,
                expiry_date=b.expiry_date,
                batch_quantity_warehouse=b.quantity,
                batch_quantity_store=self.sent_to_store.get(code, 0),
                last_update_ts=self.last_update_ts,
            )
            for code, b in sorted(self.batches.by_code.items())
            if codes is None or code in codes
        ]

    def changed(self) -> list[WarehouseBatchState]:
        return self.rows(self.touched)

    def dumps(self) -> str:
        return json.dumps(
            {
                "shelf_id": self.shelf_id,
                "batches": batches_to_dict(self.batches),
                "last_update_ts": self.last_update_ts.isoformat(),
                "sent_to_store": self.sent_to_store,
            }
        )

    @classmethod
    def loads(cls, text: str) -> WarehouseBatchLedger:
        body = json.loads(text)
        return cls(
            body["shelf_id"],
            batches_from_dict(body["batches"]),
            datetime.fromisoformat(body["last_update_ts"]),
            body["sent_to_store"],
        )
