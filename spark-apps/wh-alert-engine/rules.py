"""Warehouse alert rules: one product's warehouse stock against its reorder point. No I/O, no clock.

Below the reorder point a `supplier_request` alert is open and one supplier plan exists, for whole
supplier batches up to the policy's target percentage of capacity (never beyond capacity). The plan's
life: pending (here) -> issued (ordered at a cutoff by wh-supplier-manager) -> completed (delivered).
A plan is never planned again or moved back: while one is open no other is made, and after it is
delivered a new one waits for a wh_state row that counts the delivery (`received_units`) and is at
least as recent as it.

With ORDER_POLICY=ml the watch plans nothing itself: the inference service's pending plans (one per
product and cutoff, on the same topic) become its open plan, and it records and follows them the same
way. The alert is raised and resolved as before.

Policies follow config.wh_policies live: each policy row (or its delete) covering the product arrives
as a `policy` reading; the one in force sets the reorder point and target (capacity and batch size
stay the product's), and the product is judged again at once, as of its latest reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from smart_shelf.contracts import Event, WarehouseSupplierPlan, stable_id
from smart_shelf.store.alerts import ConditionAlerts
from smart_shelf.store.plans import FINAL_STATUSES, advances, supplier_quantity
from smart_shelf.store.policies import PolicyBook
from smart_shelf.store.readings import OpsReading


@dataclass(frozen=True)
class WarehousePolicy:
    capacity: int
    batch_size: int
    reorder_point: int
    target_pct: float = 100.0

    def with_row(self, row: Mapping | None) -> WarehousePolicy:
        """The product's policy under a config.wh_policies row; this one (the start-up policy) without."""
        if row is None:
            return self
        return WarehousePolicy(
            self.capacity, self.batch_size, int(row["reorder_point_qty"]), float(row["target_pct"])
        )


@dataclass
class SupplierWatch:
    shelf_id: str
    policy: WarehousePolicy
    stock: int | None = None
    state_ts: datetime | None = None
    received: int = 0  # received_units of the latest wh_state row
    plan: dict | None = None  # the open plan's row (WarehouseSupplierPlan fields, JSON)
    plans_made: int = 0
    wait_for_state: datetime | None = None
    wait_for_received: int = 0
    alerts: ConditionAlerts | None = None
    policies: PolicyBook = field(default_factory=PolicyBook)  # the policy rows covering the product
    seen_at: datetime | None = None  # the latest reading's time (policies carry none of the store's)
    start_policy: WarehousePolicy | None = None  # in force while no policy row covers it; not stored
    makes_plans: bool = True  # False when a forecast plans the orders (ORDER_POLICY=ml); not stored
    changed_plans: list[WarehouseSupplierPlan] = field(default_factory=list)  # not stored

    def __post_init__(self):
        if self.alerts is None:
            self.alerts = ConditionAlerts(self.shelf_id, "warehouse")
        if self.start_policy is None:
            self.start_policy = self.policy

    def apply(self, reading: OpsReading) -> list[Event]:
        body, now = reading.body, reading.timestamp
        if reading.kind == "policy":
            return self._policy_changed(body)
        self.seen_at = max(self.seen_at or now, now)
        out: list[Event] = []
        if reading.kind == "wh_stock":
            self.stock = int(body["wh_current_stock"])
            self.state_ts = max(self.state_ts or now, now)
            self.received = max(self.received, int(body.get("received_units") or 0))
        elif reading.kind == "plan":
            out += self._plan_moved(body, now)
        return out + self._evaluate(now)

    def _plan_moved(self, body: dict, now: datetime) -> list[Event]:
        plan = self.plan
        if (
            not self.makes_plans
            and body["status"] == "pending"
            and (plan is None or plan["status"] == "pending")
        ):
            return self._adopt(body)
        if plan is None or body["supplier_plan_id"] != plan["supplier_plan_id"]:
            return []
        if not advances(plan["status"], body["status"]):
            return []
        plan.update(status=body["status"], order_id=body.get("order_id"), updated_at=body["updated_at"])
        if not self.makes_plans:
            # an adopted plan was recorded by this watch, maybe after wh-supplier-manager had already
            # ordered it (the cutoff reads the topic, which the forecast writes first): the move is
            # recorded again, so the topic's last word on the plan is never the older one
            self.changed_plans.append(WarehouseSupplierPlan.model_validate(body))
        if body["status"] in FINAL_STATUSES:
            self.wait_for_received = plan["received_before"] + int(body.get("received_qty") or 0)
            self.plan, self.wait_for_state = None, now
            return []
        return self.alerts.acknowledge("supplier_request", now, current_stock=self.stock)

    def _adopt(self, body: dict) -> list[Event]:
        """A forecast's plan (ORDER_POLICY=ml) becomes the product's open plan: the watch records it
        where wh-supplier-manager reads plans and follows it from there. One still pending (never
        ordered) is canceled first, so a product has one open plan, as Postgres requires."""
        if self.plan is not None and self.plan["supplier_plan_id"] == body["supplier_plan_id"]:
            return []  # read again
        plan = WarehouseSupplierPlan.model_validate(body)
        if self.plan is not None:  # pending, never ordered: closed before the new one opens
            replaced = {k: v for k, v in self.plan.items() if k != "received_before"}
            self.changed_plans.append(
                WarehouseSupplierPlan.model_validate(
                    {**replaced, "status": "canceled", "updated_at": plan.created_at}
                )
            )
        self.plan = {**plan.model_dump(mode="json"), "received_before": self.received}
        self.changed_plans.append(plan)
        return []

    def _evaluate(self, now: datetime) -> list[Event]:
        if self.stock is None:
            return []
        p = self.policy
        low = self.stock < p.reorder_point
        wanted = supplier_quantity(self.stock, p.capacity, p.target_pct, p.batch_size)
        out: list[Event] = self.alerts.update(
            "supplier_request",
            low,
            now,
            current_stock=self.stock,
            min_qty=p.reorder_point,
            suggested_qty=wanted,
        )
        recent = self.wait_for_state is None or (
            self.state_ts is not None and self.state_ts >= self.wait_for_state
        )
        fresh = recent and self.received >= self.wait_for_received
        if self.makes_plans and low and wanted > 0 and self.plan is None and fresh:
            self.plans_made += 1
            self.plan = {
                "supplier_plan_id": stable_id("wh_supplier_plan", self.shelf_id, self.plans_made),
                "shelf_id": self.shelf_id,
                "suggested_qty": wanted,
                "standard_batch_size": p.batch_size,
                "status": "pending",
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
                "order_id": None,
            }
            self.changed_plans.append(WarehouseSupplierPlan.model_validate(self.plan))
            self.plan["received_before"] = self.received  # bookkeeping, not on the topic
        return out

    def _policy_changed(self, body: dict) -> list[Event]:
        self.policies.apply(body)
        policy = self.start_policy.with_row(self.policies.in_force())
        if policy == self.policy:
            return []
        self.policy = policy
        return self._evaluate(self.seen_at) if self.seen_at else []

    def changed(self) -> list[WarehouseSupplierPlan]:
        return self.changed_plans

    def dumps(self) -> str:
        return json.dumps(
            {
                "shelf_id": self.shelf_id,
                "stock": self.stock,
                "state_ts": None if self.state_ts is None else self.state_ts.isoformat(),
                "received": self.received,
                "plan": self.plan,
                "plans_made": self.plans_made,
                "wait_for_state": None if self.wait_for_state is None else self.wait_for_state.isoformat(),
                "wait_for_received": self.wait_for_received,
                "alerts": self.alerts.to_dict(),
                "policies": self.policies.to_dict(),
                "seen_at": None if self.seen_at is None else self.seen_at.isoformat(),
            }
        )

    @classmethod
    def loads(
        cls, text: str, policies: Mapping[str, WarehousePolicy], makes_plans: bool = True
    ) -> SupplierWatch:
        """The stored watch; its policy is the one in force among the rows it holds, else the product's
        start-up policy from `policies`."""
        body = json.loads(text)
        parse = lambda t: None if t is None else datetime.fromisoformat(t)  # noqa: E731
        start = policies[body["shelf_id"]]
        book = PolicyBook.from_dict(body.get("policies"))
        return cls(
            shelf_id=body["shelf_id"],
            policy=start.with_row(book.in_force()),
            start_policy=start,
            policies=book,
            seen_at=parse(body.get("seen_at")),
            stock=body["stock"],
            state_ts=parse(body["state_ts"]),
            received=body["received"],
            plan=body["plan"],
            plans_made=body["plans_made"],
            wait_for_state=parse(body["wait_for_state"]),
            wait_for_received=body["wait_for_received"],
            alerts=ConditionAlerts.from_dict(body["shelf_id"], "warehouse", body["alerts"]),
            makes_plans=makes_plans,
        )
