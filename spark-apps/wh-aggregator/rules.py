"""Warehouse stock rules: one shelf's warehouse stock, moved by its warehouse events. No I/O.

A delivery (`wh_in`) adds units, a pick for the shelf (`wh_out`) takes them. Stock never goes below
zero: a pick of more than the ledger holds is applied down to zero and reported as a
`stock_discrepancy` alert at the warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from smart_shelf.contracts import Alert, WarehouseState
from smart_shelf.store.alerts import alert


@dataclass(frozen=True)
class WarehouseReading:
    event_id: str
    event_type: str  # wh_in | wh_out
    timestamp: datetime
    qty: int
    batch_code: str | None = None
    received_date: date | None = None
    expiry_date: date | None = None


@dataclass
class WarehouseLedger:
    shelf_id: str
    wh_current_stock: int
    last_update_ts: datetime
    received: int = 0  # units delivered by suppliers (wh_in), all time

    def apply(self, reading: WarehouseReading) -> list[Alert]:
        self.last_update_ts = max(self.last_update_ts, reading.timestamp)
        moved = reading.qty if reading.event_type == "wh_in" else -reading.qty
        if reading.event_type == "wh_in":
            self.received += reading.qty
        if self.wh_current_stock + moved >= 0:
            self.wh_current_stock += moved
            return []
        held, self.wh_current_stock = self.wh_current_stock, 0
        return [
            alert(
                "stock_discrepancy",
                self.shelf_id,
                "warehouse",
                reading.timestamp,
                reading.event_id,
                current_stock=0,
                message=f"{reading.qty} picked, {held} on the ledger: stock kept at 0",
            )
        ]

    def state(self) -> WarehouseState:
        return WarehouseState(
            shelf_id=self.shelf_id,
            wh_current_stock=self.wh_current_stock,
            last_update_ts=self.last_update_ts,
            received_units=self.received,
        )

    def changed(self) -> list[WarehouseState]:
        return [self.state()]

    def dumps(self) -> str:
        return json.dumps({**vars(self), "last_update_ts": self.last_update_ts.isoformat()})

    @classmethod
    def loads(cls, text: str) -> WarehouseLedger:
        body = json.loads(text)
        return cls(
            body["shelf_id"],
            body["wh_current_stock"],
            datetime.fromisoformat(body["last_update_ts"]),
            body.get("received", 0),
        )
