"""Restock picking rules: one product's warehouse batches and the restock plans picked from them.
No I/O, no clock.

A pending plan is picked once, earliest expiry first across the warehouse batches, never more than the
warehouse holds: each batch's availability is what wh_batch_state says it holds minus what this
picker sent that the ledger has not counted yet (`batch_quantity_store` counts the units sent to the
shelf, so the picker knows which of its picks the ledger has seen). One `wh_out` per batch picked;
the plan moves to `issued` with `picked_qty`, or straight to `partially_completed` when nothing at
all could be picked (the warehouse is empty: the supplier cycle takes over).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from smart_shelf.contracts import Event, ShelfRestockPlan, WarehouseEvent, stable_id
from smart_shelf.store.batches import Batches, earliest_expiry_first
from smart_shelf.store.readings import OpsReading

REMEMBERED_PLANS = 20  # plan ids kept to ignore a plan seen again (compacted topics replay the latest)


@dataclass
class RestockPicker:
    shelf_id: str
    batches: dict[str, list] = field(default_factory=dict)  # code -> [received, expiry, in wh, sent to store]
    picked: dict[str, int] = field(default_factory=dict)  # code -> units this picker sent, all time
    handled: list[str] = field(default_factory=list)  # plan ids already picked, latest last
    changed_plans: list[ShelfRestockPlan] = field(default_factory=list)  # not stored

    def apply(self, reading: OpsReading) -> list[Event]:
        body = reading.body
        if reading.kind == "wh_batch":
            code, sent = body["batch_code"], int(body["batch_quantity_store"])
            self.batches[code] = [
                body["received_date"],
                body["expiry_date"],
                int(body["batch_quantity_warehouse"]),
                sent,
            ]
            self.picked[code] = max(self.picked.get(code, sent), sent)
            return []
        if reading.kind == "plan" and body["status"] == "pending" and body["plan_id"] not in self.handled:
            return self._pick(body)
        return []

    def available(self) -> Batches:
        """What each batch holds for a new pick: its ledger quantity less picks the ledger has not seen."""
        out = Batches()
        for code, (received, expiry, in_wh, sent) in self.batches.items():
            unseen = max(0, self.picked.get(code, sent) - sent)
            out.add(code, max(0, in_wh - unseen), date.fromisoformat(received), date.fromisoformat(expiry))
        return out

    def _pick(self, plan: dict) -> list[Event]:
        available = self.available()
        takes, _short = earliest_expiry_first(available, int(plan["suggested_qty"]))
        picked_at = datetime.fromisoformat(plan["created_at"])
        events = []
        for take in takes:
            batch = available.by_code[take.batch_code]
            self.picked[take.batch_code] = self.picked.get(take.batch_code, 0) + take.quantity
            events.append(
                WarehouseEvent(
                    event_id=stable_id("wh_out", plan["plan_id"], take.batch_code),
                    event_type="wh_out",
                    shelf_id=self.shelf_id,
                    batch_code=take.batch_code,
                    qty=take.quantity,
                    timestamp=picked_at,
                    received_date=batch.received_date,
                    expiry_date=batch.expiry_date,
                    plan_id=plan["plan_id"],
                    reason="restock",
                )
            )
        picked = sum(t.quantity for t in takes)
        self.changed_plans.append(
            ShelfRestockPlan.model_validate(
                {
                    **plan,
                    "status": "issued" if picked else "partially_completed",
                    "picked_qty": picked,
                    "updated_at": picked_at.isoformat(),
                }
            )
        )
        self.handled = (self.handled + [plan["plan_id"]])[-REMEMBERED_PLANS:]
        return events

    def changed(self) -> list[ShelfRestockPlan]:
        return self.changed_plans

    def dumps(self) -> str:
        return json.dumps(
            {
                "shelf_id": self.shelf_id,
                "batches": self.batches,
                "picked": self.picked,
                "handled": self.handled,
            }
        )

    @classmethod
    def loads(cls, text: str) -> RestockPicker:
        body = json.loads(text)
        return cls(body["shelf_id"], body["batches"], body["picked"], body["handled"])
