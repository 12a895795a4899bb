"""The store's operations in memory: every Spark job's rules, wired as the topics wire them.

Each job keeps one ledger or watch per shelf in the streaming pipeline's state store; here they live
in dictionaries and records pass between them as the topics pass them:

    shelf event -> ShelfLedger (shelf_state) and StoreBatchLedger (restocks, removals)
    sale        -> StoreBatchLedger (shelf_batch_state)
    wh event    -> WarehouseLedger (wh_state) and WarehouseBatchLedger (wh_batch_state)
    states      -> ShelfWatch (alerts, restock plans) and SupplierWatch (supplier plans)
    plan        -> RestockPicker (wh_out picks, issued plans) -> refill after the delay
    clock       -> supplier cutoffs and deliveries, the day's discounts and removals

State rows reach the watches once per `settle`, the latest per shelf, as a micro-batch would
deliver them. Nothing here decides anything: the decisions are the jobs' rules.py functions.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from smart_shelf.contracts import (
    REMOVAL_CUSTOMER,
    RESTOCK_CUSTOMER,
    Alert,
    DailyDiscount,
    Event,
    JobRun,
    PosTransaction,
    RemovalOrder,
    ShelfEvent,
    ShelfRestockPlan,
    SupplierOrder,
    WarehouseEvent,
    WarehouseSupplierPlan,
)
from smart_shelf.store.calendar import SupplierCalendar
from smart_shelf.store.expiry import BatchStock
from smart_shelf.store.readings import OpsReading
from spark_apps.batch_state_updater.rules import BatchReading, StoreBatchLedger
from spark_apps.daily_discount_manager.rules import discounts_for
from spark_apps.removal_scheduler.rules import expired, removal_alerts, removal_order
from spark_apps.shelf_aggregator.rules import ShelfLedger, ShelfReading
from spark_apps.shelf_alert_engine.rules import ShelfWatch
from spark_apps.shelf_refill_bridge.rules import Refill, due_at, refill_events
from spark_apps.shelf_restock_manager.rules import RestockPicker
from spark_apps.wh_aggregator.rules import WarehouseLedger, WarehouseReading
from spark_apps.wh_alert_engine.rules import SupplierWatch
from spark_apps.wh_batch_state_updater.rules import WarehouseBatchLedger
from spark_apps.wh_supplier_manager.rules import Product, orders_at_cutoff, receive

# the clock jobs whose runs a history records for them (their JOB names)
SUPPLIER_JOB, DISCOUNT_JOB, REMOVAL_JOB = "wh-supplier-manager", "daily-discount-manager", "removal-scheduler"


@dataclass(frozen=True)
class OperationsRules:
    seed: int
    calendar: SupplierCalendar
    refill_delay_minutes: float = 3.0
    discount_min: float = 0.30
    discount_max: float = 0.50
    remove_mode: str = "next_day"


@dataclass
class Ledgers:
    """Every job's per-shelf state, opened from the store's reference data."""

    shelves: dict[str, ShelfLedger]
    store_batches: dict[str, StoreBatchLedger]
    warehouse: dict[str, WarehouseLedger]
    wh_batches: dict[str, WarehouseBatchLedger]
    shelf_watches: dict[str, ShelfWatch]
    supplier_watches: dict[str, SupplierWatch]
    products: dict[str, Product]
    pickers: dict[str, RestockPicker] = field(default_factory=dict)

    def __post_init__(self):
        for shelf in self.warehouse:
            self.pickers.setdefault(shelf, RestockPicker(shelf))


class Output:
    """Where the operations put what the pipeline would write: events on their topics, and rows of
    the ops and analytics tables. The history run records them; a test may just keep them."""

    def event(self, topic: str, event: Event) -> None: ...
    def row(self, table: str, row: Event) -> None: ...


@dataclass
class Operations:
    ledgers: Ledgers
    rules: OperationsRules
    out: Output
    _stock_changed: set[str] = field(default_factory=set)
    _batches_changed: set[str] = field(default_factory=set)
    _wh_changed: set[str] = field(default_factory=set)
    _wh_batches_changed: set[str] = field(default_factory=set)
    _refills: list = field(default_factory=list)  # heap of (due_at, refill_id, Refill)
    _supplier_plans: dict[str, WarehouseSupplierPlan] = field(default_factory=dict)
    _orders: dict[str, SupplierOrder] = field(default_factory=dict)
    _supplier_runs: set[str] = field(default_factory=set)
    # the plans ordered at a cutoff when not the supplier watches' (an ordering policy from a forecast)
    order_planner: Callable[[datetime], list[WarehouseSupplierPlan]] | None = None

    def resume_supplier_cycle(self, plans: list[WarehouseSupplierPlan], orders: list[SupplierOrder]) -> None:
        """The supplier plans still open and the orders not yet delivered where an earlier history left
        them: what wh-supplier-manager reads from its tables at each cutoff and delivery."""
        self._supplier_plans.update(
            {p.supplier_plan_id: p for p in plans if p.status in ("pending", "issued")}
        )
        self._orders.update({o.order_id: o for o in orders if o.status == "ordered"})

    def publish_opening(self, now: datetime) -> None:
        """The opening balances reach the watches and pickers, as the ledgers publish them at start."""
        self._stock_changed |= set(self.ledgers.shelves)
        self._wh_changed |= set(self.ledgers.warehouse)
        for shelf, ledger in self.ledgers.store_batches.items():
            ledger.touched |= set(ledger.batches.by_code)
            self._batches_changed.add(shelf)
        for shelf, ledger in self.ledgers.wh_batches.items():
            ledger.touched |= set(ledger.batches.by_code)
            self._wh_batches_changed.add(shelf)
        self.settle(now)

    # ------------------------------------------------------------------ events in

    def shelf_event(self, event: ShelfEvent) -> None:
        self.out.event("shelf_events", event)
        shelf = event.shelf_id or event.item_id
        reading = ShelfReading(
            event.event_id,
            event.event_type,
            event.customer_id,
            event.timestamp,
            event.quantity,
            event.delta_weight,
        )
        self._alerts(self.ledgers.shelves[shelf].apply(reading))
        self._stock_changed.add(shelf)
        kind = _batch_kind(event)
        if kind is None:
            return
        self._alerts(
            self.ledgers.store_batches[shelf].apply(
                BatchReading(
                    event.event_id,
                    kind,
                    event.timestamp,
                    event.quantity or 0,
                    batch_code=event.batch_code,
                    received_date=event.received_date,
                    expiry_date=event.expiry_date,
                )
            )
        )
        self._batches_changed.add(shelf)
        if kind == "restock" and event.plan_id:
            body = {"plan_id": event.plan_id, "quantity": event.quantity}
            self._watch(shelf, OpsReading("refill", event.timestamp, body))

    def sale(self, transaction: PosTransaction) -> None:
        self.out.event("pos_transactions", transaction)
        for item in transaction.items:
            reading = BatchReading(
                transaction.event_id,
                "sale",
                transaction.timestamp,
                item.quantity,
                transaction_id=transaction.transaction_id,
            )
            self._alerts(self.ledgers.store_batches[item.item_id].apply(reading))
            self._batches_changed.add(item.item_id)

    def wh_event(self, event: WarehouseEvent) -> None:
        self.out.event("wh_events", event)
        reading = WarehouseReading(
            event.event_id,
            event.event_type,
            event.timestamp,
            event.qty,
            event.batch_code,
            event.received_date,
            event.expiry_date,
        )
        self._alerts(self.ledgers.warehouse[event.shelf_id].apply(reading))
        self._alerts(self.ledgers.wh_batches[event.shelf_id].apply(reading))
        self._wh_changed.add(event.shelf_id)
        self._wh_batches_changed.add(event.shelf_id)
        if event.event_type == "wh_out":
            refill = Refill(
                event.event_id,
                event.plan_id,
                event.shelf_id,
                event.batch_code,
                event.received_date,
                event.expiry_date,
                event.qty,
                due_at(event.timestamp, self.rules.refill_delay_minutes),
            )
            heapq.heappush(self._refills, (refill.due_at, refill.refill_id, refill))

    # ------------------------------------------------------------------ the jobs' clocks

    def refills_due(self, now: datetime) -> list[ShelfEvent]:
        """The refills that reach their shelf by `now`: a restock putback and its weight reading."""
        events = []
        while self._refills and self._refills[0][0] <= now:
            _, _, refill = heapq.heappop(self._refills)
            events += refill_events(refill, self.ledgers.shelves[refill.shelf_id].item_weight)
        return events

    def supplier_cycle(self, now: datetime) -> None:
        """The latest cutoff and delivery slot at or before `now`, each once."""
        calendar = self.rules.calendar
        cutoff = calendar.latest_cutoff(now)
        if f"cutoff:{cutoff.isoformat()}" not in self._supplier_runs:
            self._supplier_runs.add(f"cutoff:{cutoff.isoformat()}")
            orders = self._cutoff(cutoff)
            self._ran(SUPPLIER_JOB, f"cutoff:{cutoff.isoformat()}", cutoff, f"{orders} orders")
        slot = calendar.latest_delivery(now)
        if f"delivery:{slot.isoformat()}" not in self._supplier_runs:
            self._supplier_runs.add(f"delivery:{slot.isoformat()}")
            deliveries = self._deliver(slot)
            self._ran(SUPPLIER_JOB, f"delivery:{slot.isoformat()}", slot, f"{deliveries} deliveries")

    def _ran(self, job: str, run_key: str, at: datetime, summary: str) -> None:
        """The run recorded as the job records it (delta/ops/job_runs), so the live job never repeats it."""
        self.out.row("job_runs", JobRun(job=job, run_key=run_key, sim_time=at, summary=summary))

    @property
    def refills_pending(self) -> int:
        return len(self._refills)

    def mark_supplier_runs_before(self, moment: datetime) -> None:
        """Cutoffs and deliveries before the store opened are not the store's to run."""
        calendar = self.rules.calendar
        self._supplier_runs.add(f"cutoff:{calendar.latest_cutoff(moment).isoformat()}")
        self._supplier_runs.add(f"delivery:{calendar.latest_delivery(moment).isoformat()}")

    def on_order(self) -> Counter:
        """Units ordered and not yet delivered, per product."""
        units: Counter = Counter()
        for order in self._orders.values():
            if order.status == "ordered":
                units[order.shelf_id] += order.ordered_qty
        return units

    def _cutoff(self, cutoff: datetime) -> int:
        if self.order_planner is None:
            pending = [p for p in self._supplier_plans.values() if p.status == "pending"]
        else:
            pending = self.order_planner(cutoff)
            for plan in pending:
                self._supplier_plan(plan)
        placed = orders_at_cutoff(pending, cutoff, self.rules.calendar.delivery_for(cutoff))
        for order, issued in placed:
            self._orders[order.order_id] = order
            self.out.row("wh_supplier_orders", order)
            self._supplier_plan(issued)
        return len(placed)

    def _deliver(self, slot: datetime) -> int:
        due = [o for o in self._orders.values() if o.status == "ordered" and o.delivery_date <= slot.date()]
        for order in sorted(due, key=lambda o: o.order_id):
            stock = self.ledgers.warehouse[order.shelf_id].wh_current_stock
            product = self.ledgers.products[order.shelf_id]
            delivered, receipt, event = receive(order, stock, product, slot, self.rules.seed)
            self._orders[order.order_id] = delivered
            self.out.row("wh_supplier_receipts", receipt)
            self.out.row("wh_supplier_orders", delivered)
            if event is not None:
                self.wh_event(event)
            plan = self._supplier_plans.get(order.supplier_plan_id or "")
            if plan is not None and plan.status == "issued":
                update = {"status": "completed", "updated_at": slot, "received_qty": receipt.received_qty}
                self._supplier_plan(plan.model_copy(update=update))
        self.settle(slot)
        return len(due)

    def daily(self, now: datetime) -> tuple[list[DailyDiscount], list[RemovalOrder]]:
        """The day's jobs at its first moment: the near-expiry discounts, and the removal orders of
        expired batches (the caller has the floor carry them out and hands the events back here)."""
        self.settle(now)
        today = now.date()
        stock = self.store_batch_stock()
        r = self.rules
        discounts = discounts_for(stock, today, r.seed, r.discount_min, r.discount_max, now)
        for row in discounts:
            self.out.row("daily_discounts", row)
        due = expired(stock, today, r.remove_mode)
        weights = {s: ledger.item_weight for s, ledger in self.ledgers.shelves.items()}
        orders = [removal_order(b, weights.get(b.shelf_id, 0.0), now) for b in due]
        for alert in removal_alerts(due, now):
            self.out.event("alerts", alert)
        self._ran(DISCOUNT_JOB, f"discounts:{today.isoformat()}", now, f"{len(discounts)} shelves discounted")
        units = sum(b.quantity for b in due)
        self._ran(
            REMOVAL_JOB, f"removal:{today.isoformat()}", now, f"{len(due)} batches, {units} units removed"
        )
        return discounts, orders

    # ------------------------------------------------------------------ propagation

    def settle(self, now: datetime) -> None:
        """Deliver the changed state rows to the watches and pickers until nothing moves."""
        while self._stock_changed or self._batches_changed or self._wh_changed or self._wh_batches_changed:
            stock, self._stock_changed = sorted(self._stock_changed), set()
            batches, self._batches_changed = sorted(self._batches_changed), set()
            wh, self._wh_changed = sorted(self._wh_changed), set()
            wh_batches, self._wh_batches_changed = sorted(self._wh_batches_changed), set()
            for shelf in wh_batches:
                ledger = self.ledgers.wh_batches[shelf]
                for row in ledger.changed():
                    self.out.row("wh_batch_state", row)
                    reading = OpsReading("wh_batch", row.last_update_ts, row.model_dump(mode="json"))
                    self._pick(shelf, reading)
                ledger.touched.clear()
            for shelf in wh:
                row = self.ledgers.warehouse[shelf].state()
                self.out.row("wh_state", row)
                reading = OpsReading("wh_stock", row.last_update_ts, row.model_dump(mode="json"))
                self._watch(shelf, reading)
                self._supply(shelf, reading)
            for shelf in batches:
                ledger = self.ledgers.store_batches[shelf]
                for row in ledger.changed():
                    self.out.row("shelf_batch_state", row)
                    self._watch(shelf, OpsReading("batch", row.last_update_ts, row.model_dump(mode="json")))
                ledger.touched.clear()
            for shelf in stock:
                row = self.ledgers.shelves[shelf].state()
                self.out.row("shelf_state", row)
                self._watch(shelf, OpsReading("stock", row.last_update_ts, row.model_dump(mode="json")))

    def _plans_after(self, watch: ShelfWatch | SupplierWatch | None, reading: OpsReading) -> list:
        """The plans a watch made or moved on `reading` (its alerts go out); none without a watch."""
        if watch is None:
            return []
        self._alerts(watch.apply(reading))
        plans, watch.changed_plans = watch.changed_plans, []
        return plans

    def _watch(self, shelf: str, reading: OpsReading) -> None:
        for plan in self._plans_after(self.ledgers.shelf_watches.get(shelf), reading):
            self.out.row("shelf_restock_plan", plan)
            if plan.status == "pending":
                self._pick(shelf, OpsReading("plan", plan.updated_at, plan.model_dump(mode="json")))

    def _pick(self, shelf: str, reading: OpsReading) -> None:
        picker = self.ledgers.pickers[shelf]
        picks = picker.apply(reading)
        plans, picker.changed_plans = picker.changed_plans, []
        for event in picks:
            self.wh_event(event)
        for plan in plans:
            self._plan_moved(shelf, plan)

    def _plan_moved(self, shelf: str, plan: ShelfRestockPlan) -> None:
        self.out.row("shelf_restock_plan", plan)
        self._watch(shelf, OpsReading("plan", plan.updated_at, plan.model_dump(mode="json")))

    def _supply(self, shelf: str, reading: OpsReading) -> None:
        for plan in self._plans_after(self.ledgers.supplier_watches.get(shelf), reading):
            self._record_supplier_plan(plan)

    def _supplier_plan(self, plan: WarehouseSupplierPlan) -> None:
        self._record_supplier_plan(plan)
        self._supply(plan.shelf_id, OpsReading("plan", plan.updated_at, plan.model_dump(mode="json")))

    def _record_supplier_plan(self, plan: WarehouseSupplierPlan) -> None:
        """Written out, and kept while a cutoff or a delivery may still need it."""
        self.out.row("wh_supplier_plan", plan)
        if plan.status == "completed":
            self._supplier_plans.pop(plan.supplier_plan_id, None)
        else:
            self._supplier_plans[plan.supplier_plan_id] = plan

    def _alerts(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.out.event("alerts", alert)

    # ------------------------------------------------------------------ views

    def store_batch_stock(self) -> list[BatchStock]:
        """Every store batch with stock, as the batch ledger's compacted topic shows it."""
        return [
            BatchStock(shelf, b.batch_code, b.expiry_date, b.quantity)
            for shelf, ledger in sorted(self.ledgers.store_batches.items())
            for b in ledger.batches.by_code.values()
            if b.quantity > 0
        ]


def _batch_kind(event: ShelfEvent) -> str | None:
    """Which shelf events move the store batches: refills arriving and removals (sales come from the till)."""
    if event.event_type == "putback" and event.customer_id == RESTOCK_CUSTOMER:
        return "restock"
    if event.event_type == "removal" and event.customer_id == REMOVAL_CUSTOMER:
        return "removal"
    return None
