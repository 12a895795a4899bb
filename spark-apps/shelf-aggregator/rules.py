"""Shelf stock rules: one shelf's ledger, moved by its readings. No I/O, no clock.

A pickup takes units off the shelf, a putback (a customer's, or a restock arriving from the
warehouse) puts them back, a removal takes expired units away. Stock never goes below zero: a pickup of more than the ledger holds is
applied down to zero and reported as a `stock_discrepancy` alert. A `weight_change` is the scale's
reading of the same movement: it must equal the units that customer moved since their last reading
times the unit weight, else a `sensor_mismatch` alert is raised (the count stays authoritative).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from smart_shelf.contracts import RESTOCK_CUSTOMER, Alert, ShelfState
from smart_shelf.store.alerts import alert

# A reading within 5 % (or 1 g) of the expected weight is the same movement.
WEIGHT_TOLERANCE_RATIO = 0.05
WEIGHT_TOLERANCE_MIN = 0.001


@dataclass(frozen=True)
class ShelfReading:
    event_id: str
    event_type: str  # pickup | putback | removal | weight_change
    customer_id: str
    timestamp: datetime
    quantity: int | None = None
    delta_weight: float | None = None


def weight_matches(expected: float, measured: float) -> bool:
    return abs(measured - expected) <= max(WEIGHT_TOLERANCE_MIN, WEIGHT_TOLERANCE_RATIO * abs(expected))


@dataclass
class ShelfLedger:
    shelf_id: str
    current_stock: int
    item_weight: float
    last_update_ts: datetime
    # per customer: net units moved (negative: taken) whose weight reading has not arrived yet
    unweighed: dict[str, int] = field(default_factory=dict)
    restocked: int = 0  # units that arrived from the warehouse (restock putbacks), all time

    def apply(self, reading: ShelfReading) -> list[Alert]:
        self.last_update_ts = max(self.last_update_ts, reading.timestamp)
        if reading.event_type == "weight_change":
            return self._weigh(reading)
        qty = reading.quantity or 0
        moved = -qty if reading.event_type in ("pickup", "removal") else qty
        if reading.event_type == "putback" and reading.customer_id == RESTOCK_CUSTOMER:
            self.restocked += qty
        self.unweighed[reading.customer_id] = self.unweighed.get(reading.customer_id, 0) + moved
        if self.current_stock + moved >= 0:
            self.current_stock += moved
            return []
        missing = -(self.current_stock + moved)
        self.current_stock = 0
        return [
            alert(
                "stock_discrepancy",
                self.shelf_id,
                "store",
                reading.timestamp,
                reading.event_id,
                current_stock=0,
                message=f"{qty} taken ({reading.event_type}), {qty - missing} on the ledger: stock kept at 0",
            )
        ]

    def _weigh(self, reading: ShelfReading) -> list[Alert]:
        moved = self.unweighed.pop(reading.customer_id, 0)
        expected = moved * self.item_weight
        if weight_matches(expected, reading.delta_weight or 0.0):
            return []
        return [
            alert(
                "sensor_mismatch",
                self.shelf_id,
                "store",
                reading.timestamp,
                reading.event_id,
                current_stock=self.current_stock,
                message=f"scale read {reading.delta_weight:g}, {moved} units moved weigh {expected:g}",
            )
        ]

    def state(self) -> ShelfState:
        return ShelfState(
            shelf_id=self.shelf_id,
            current_stock=self.current_stock,
            item_weight=self.item_weight,
            shelf_weight=round(self.current_stock * self.item_weight, 6),
            last_update_ts=self.last_update_ts,
            restocked_units=self.restocked,
        )

    def changed(self) -> list[ShelfState]:
        return [self.state()]

    def dumps(self) -> str:
        # vars, not asdict: asdict deep-copies, and this runs for every touched shelf in every batch
        return json.dumps({**vars(self), "last_update_ts": self.last_update_ts.isoformat()})

    @classmethod
    def loads(cls, text: str) -> ShelfLedger:
        body = json.loads(text)
        body["last_update_ts"] = datetime.fromisoformat(body["last_update_ts"])
        return cls(**body)
