"""Shelf alert rules: one shelf watched against its policy. No I/O, no clock (time comes with readings).

A shelf below its threshold (or its minimum quantity) has one open `refill_request` alert and at most
one open restock plan, for the units that bring it to the target percentage. The plan's life:

    pending (created here) -> issued (the restock manager picked it, `picked_qty` units)
        -> completed | partially_completed (here, once the picked units arrived on the shelf;
           partially when the warehouse had less than asked; straight from the manager when it had none)

After a plan closes, no new plan is made until a shelf_state row shows the refill in the stock (its
`restocked_units` count includes the plan's units) and is at least as recent as the closing: a stale
low reading, made before the refill was counted, must not order the same units twice. No plan is
made while the warehouse is known to be empty (the supplier cycle refills it first). A store batch
with stock that expires within the policy's days keeps one `near_expiry` alert open.

Policies follow config.shelf_policies live: each policy row (or its delete) that covers the shelf
arrives as a `policy` reading; the one in force (smart_shelf.store.policies) replaces the start-up
policy, and the shelf is judged again at once, as of its latest reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from smart_shelf.contracts import Event, ShelfRestockPlan, stable_id
from smart_shelf.store.alerts import ConditionAlerts
from smart_shelf.store.expiry import is_near_expiry
from smart_shelf.store.plans import FINAL_STATUSES, advances, needs_refill, refill_quantity, stock_pct
from smart_shelf.store.policies import PolicyBook
from smart_shelf.store.readings import OpsReading


@dataclass(frozen=True)
class ShelfPolicy:
    threshold_pct: float = 30.0
    target_pct: float = 80.0
    min_qty: int = 1
    near_expiry_days: int = 2

    def with_row(self, row: Mapping | None) -> ShelfPolicy:
        """The policy under a config.shelf_policies row; this one (the start-up policy) without."""
        if row is None:
            return self
        return ShelfPolicy(
            float(row["threshold_pct"]),
            float(row["target_pct"]),
            int(row["min_qty"]),
            int(row["near_expiry_days"]),
        )


@dataclass
class ShelfWatch:
    shelf_id: str
    capacity: int
    policy: ShelfPolicy
    stock: int | None = None
    state_ts: datetime | None = None  # last_update_ts of the latest shelf_state row
    restocked: int = 0  # restocked_units of the latest shelf_state row
    wh_stock: int | None = None
    batches: dict[str, list] = field(default_factory=dict)  # code -> [expiry iso, quantity]
    plan: dict | None = None  # the open plan's row (ShelfRestockPlan fields, JSON) + "delivered"
    plans_made: int = 0
    wait_for_state: datetime | None = None  # no new plan before a shelf_state row this recent
    wait_for_restocked: int = 0  # ... and counting at least this many restocked units
    alerts: ConditionAlerts | None = None
    policies: PolicyBook = field(default_factory=PolicyBook)  # the policy rows covering the shelf
    seen_at: datetime | None = None  # the latest reading's time (policies carry none of the store's)
    start_policy: ShelfPolicy | None = None  # in force while no policy row covers the shelf; not stored
    changed_plans: list[ShelfRestockPlan] = field(default_factory=list)  # not stored

    def __post_init__(self):
        if self.alerts is None:
            self.alerts = ConditionAlerts(self.shelf_id, "store")
        if self.start_policy is None:
            self.start_policy = self.policy

    # ------------------------------------------------------------------ readings

    def apply(self, reading: OpsReading) -> list[Event]:
        body, now = reading.body, reading.timestamp
        if reading.kind == "policy":
            return self._policy_changed(body)
        self.seen_at = max(self.seen_at or now, now)
        out: list[Event] = []
        if reading.kind == "stock":
            self.stock = int(body["current_stock"])
            self.state_ts = max(self.state_ts or now, now)
            self.restocked = max(self.restocked, int(body.get("restocked_units") or 0))
        elif reading.kind == "wh_stock":
            self.wh_stock = int(body["wh_current_stock"])
        elif reading.kind == "batch":
            self.batches[body["batch_code"]] = [body["expiry_date"], int(body["batch_quantity_store"])]
        elif reading.kind == "plan":
            out += self._plan_moved(body, now)
        elif reading.kind == "refill":
            self._refilled(body, now)
        return out + self._evaluate(now)

    def _policy_changed(self, body: dict) -> list[Event]:
        """A policy row or delete: the shelf is judged again, as of its latest reading, if that changed
        the policy in force."""
        self.policies.apply(body)
        policy = self.start_policy.with_row(self.policies.in_force())
        if policy == self.policy:
            return []
        self.policy = policy
        return self._evaluate(self.seen_at) if self.seen_at else []

    def _plan_moved(self, body: dict, now: datetime) -> list[Event]:
        """A plan record from the restock manager: issued (with picked_qty), or closed with nothing picked."""
        plan = self.plan
        if plan is None or body["plan_id"] != plan["plan_id"] or not advances(plan["status"], body["status"]):
            return []
        plan["status"] = body["status"]
        plan["picked_qty"] = body.get("picked_qty")
        if body["status"] in FINAL_STATUSES:
            self._close(now)
            return []
        self._maybe_complete(now)
        return self.alerts.acknowledge("refill_request", now, current_stock=self.stock)

    def _refilled(self, body: dict, now: datetime) -> None:
        """A restock putback: units of the open plan arrived on the shelf."""
        if self.plan is None or body.get("plan_id") != self.plan["plan_id"]:
            return
        self.plan["delivered"] = self.plan.get("delivered", 0) + int(body["quantity"])
        self._maybe_complete(now)

    def _maybe_complete(self, now: datetime) -> None:
        plan = self.plan
        if plan is None or plan["status"] != "issued" or plan.get("delivered", 0) < (plan["picked_qty"] or 0):
            return
        plan["status"] = "completed" if plan["picked_qty"] >= plan["suggested_qty"] else "partially_completed"
        plan["updated_at"] = now.isoformat()
        self.changed_plans.append(_plan_row(plan))
        self._close(now)

    def _close(self, now: datetime) -> None:
        plan, self.plan = self.plan, None
        self.wait_for_state = now
        self.wait_for_restocked = plan["restocked_before"] + plan.get("delivered", 0)

    # ------------------------------------------------------------------ decisions

    def _evaluate(self, now: datetime) -> list[Event]:
        if self.stock is None:
            return []  # nothing known of the shelf yet
        policy = self.policy
        low = needs_refill(self.stock, self.capacity, policy.threshold_pct, policy.min_qty)
        wanted = refill_quantity(self.stock, self.capacity, policy.target_pct)
        out: list[Event] = self.alerts.update(
            "refill_request",
            low,
            now,
            current_stock=self.stock,
            min_qty=policy.min_qty,
            threshold_pct=policy.threshold_pct,
            stock_pct=round(stock_pct(self.stock, self.capacity), 2),
            suggested_qty=wanted,
        )
        if low and wanted > 0 and self._may_plan():
            self._open_plan(wanted, now)
        out += self._near_expiry(now)
        return out

    def _may_plan(self) -> bool:
        recent = self.wait_for_state is None or (
            self.state_ts is not None and self.state_ts >= self.wait_for_state
        )
        fresh = recent and self.restocked >= self.wait_for_restocked
        warehouse_has_stock = self.wh_stock is None or self.wh_stock > 0
        return self.plan is None and fresh and warehouse_has_stock

    def _open_plan(self, quantity: int, now: datetime) -> None:
        self.plans_made += 1
        self.plan = {
            "plan_id": stable_id("shelf_restock_plan", self.shelf_id, self.plans_made),
            "shelf_id": self.shelf_id,
            "suggested_qty": quantity,
            "status": "pending",
            "created_at": now.isoformat(),
            "updated_at": now.isoformat(),
            "alert_id": self.alerts.alert_id("refill_request"),
            "picked_qty": None,
            "delivered": 0,
            "restocked_before": self.restocked,
        }
        self.changed_plans.append(_plan_row(self.plan))

    def _near_expiry(self, now: datetime) -> list[Event]:
        today = now.date()
        expiring = [
            (code, qty)
            for code, (expiry, qty) in sorted(self.batches.items())
            if qty > 0 and is_near_expiry(date.fromisoformat(expiry), today, self.policy.near_expiry_days)
        ]
        first = expiring[0][0] if expiring else None
        return self.alerts.update(
            "near_expiry",
            bool(expiring),
            now,
            batch_code=first,
            quantity=sum(q for _, q in expiring),
            current_stock=self.stock,
        )

    # ------------------------------------------------------------------ ledger protocol

    def changed(self) -> list[ShelfRestockPlan]:
        return self.changed_plans

    def dumps(self) -> str:
        return json.dumps(
            {
                "shelf_id": self.shelf_id,
                "capacity": self.capacity,
                "stock": self.stock,
                "state_ts": _iso(self.state_ts),
                "restocked": self.restocked,
                "wh_stock": self.wh_stock,
                "batches": self.batches,
                "plan": self.plan,
                "plans_made": self.plans_made,
                "wait_for_state": _iso(self.wait_for_state),
                "wait_for_restocked": self.wait_for_restocked,
                "alerts": self.alerts.to_dict(),
                "policies": self.policies.to_dict(),
                "seen_at": _iso(self.seen_at),
            }
        )

    @classmethod
    def loads(cls, text: str, policies: Mapping[str, ShelfPolicy]) -> ShelfWatch:
        """The stored watch; its policy is the one in force among the rows it holds, else the shelf's
        start-up policy from `policies` (the reference one if none)."""
        body = json.loads(text)
        shelf = body["shelf_id"]
        book = PolicyBook.from_dict(body.get("policies"))
        start = policies.get(shelf, ShelfPolicy())
        return cls(
            shelf_id=shelf,
            capacity=body["capacity"],
            policy=start.with_row(book.in_force()),
            start_policy=start,
            policies=book,
            seen_at=_time(body.get("seen_at")),
            stock=body["stock"],
            state_ts=_time(body["state_ts"]),
            restocked=body["restocked"],
            wh_stock=body["wh_stock"],
            batches=body["batches"],
            plan=body["plan"],
            plans_made=body["plans_made"],
            wait_for_state=_time(body["wait_for_state"]),
            wait_for_restocked=body["wait_for_restocked"],
            alerts=ConditionAlerts.from_dict(shelf, "store", body["alerts"]),
        )


PLAN_BOOKKEEPING = ("delivered", "restocked_before")  # kept with the open plan, not on its topic


def _plan_row(plan: dict) -> ShelfRestockPlan:
    return ShelfRestockPlan.model_validate({k: v for k, v in plan.items() if k not in PLAN_BOOKKEEPING})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
