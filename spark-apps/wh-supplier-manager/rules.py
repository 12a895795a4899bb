"""Supplier cycle rules: pending plans become orders at a cutoff, orders become batches at delivery.
Pure: plans, orders, stock and times in; orders, receipts and events out.

One order per product and delivery (its id derives from both, so a cutoff run twice orders once). A
delivery brings whole supplier batches that fit in the warehouse: less than ordered when the room is
short (`partially_delivered`), nothing when not one batch fits. The new batch's expiry follows the
product: perishables in days, others in one to two years (smart_shelf.store.expiry).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from smart_shelf.contracts import (
    SupplierOrder,
    SupplierReceipt,
    WarehouseEvent,
    WarehouseSupplierPlan,
    stable_id,
)
from smart_shelf.store.expiry import delivered_expiry


@dataclass(frozen=True)
class Product:
    shelf_id: str
    capacity: int
    batch_size: int
    perishable: bool


def order_id(shelf_id: str, delivery: datetime) -> str:
    return stable_id("wh_supplier_order", delivery.date().isoformat(), shelf_id)


def orders_at_cutoff(
    plans: list[WarehouseSupplierPlan], cutoff: datetime, delivery: datetime
) -> list[tuple[SupplierOrder, WarehouseSupplierPlan]]:
    """Each plan pending at the cutoff with something to order -> (its order, the plan moved to issued).
    A plan made after the cutoff waits for the next one. A product with several pending plans (not
    expected: one open plan per product) orders its latest."""
    latest: dict[str, WarehouseSupplierPlan] = {}
    for plan in sorted(plans, key=lambda p: (p.created_at, p.supplier_plan_id)):
        if plan.status == "pending" and plan.suggested_qty > 0 and plan.created_at <= cutoff:
            latest[plan.shelf_id] = plan
    out = []
    for shelf_id, plan in sorted(latest.items()):
        order = SupplierOrder(
            order_id=order_id(shelf_id, delivery),
            supplier_plan_id=plan.supplier_plan_id,
            shelf_id=shelf_id,
            ordered_qty=plan.suggested_qty,
            cutoff_ts=cutoff,
            delivery_date=delivery.date(),
            status="ordered",
            created_at=cutoff,
            updated_at=cutoff,
        )
        issued = plan.model_copy(
            update={"status": "issued", "order_id": order.order_id, "updated_at": cutoff}
        )
        out.append((order, issued))
    return out


def delivered_quantity(ordered: int, stock: int, product: Product) -> int:
    """Whole batches of the order that fit in the warehouse's free room."""
    room = max(0, product.capacity - stock)
    return min(ordered, room // product.batch_size * product.batch_size)


def receive(
    order: SupplierOrder, stock: int, product: Product, delivered_at: datetime, seed: int
) -> tuple[SupplierOrder, SupplierReceipt, WarehouseEvent | None]:
    """(the order as delivered, its receipt, the wh_in event: None when nothing fit)."""
    qty = delivered_quantity(order.ordered_qty, stock, product)
    day = delivered_at.date()
    batch_code = f"SUP-{day:%Y%m%d}-{order.shelf_id}"
    expiry = delivered_expiry(day, product.perishable, random.Random(f"{seed}:{order.order_id}"))
    receipt = SupplierReceipt(
        receipt_id=stable_id("wh_supplier_receipt", order.order_id),
        order_id=order.order_id,
        shelf_id=order.shelf_id,
        batch_code=batch_code,
        received_qty=qty,
        received_date=day,
        expiry_date=expiry,
        created_at=delivered_at,
    )
    status = "delivered" if qty == order.ordered_qty else "partially_delivered"
    delivered = order.model_copy(update={"status": status, "updated_at": delivered_at})
    if qty == 0:
        return delivered, receipt, None
    event = WarehouseEvent(
        event_id=stable_id("wh_in", order.order_id),
        event_type="wh_in",
        shelf_id=order.shelf_id,
        batch_code=batch_code,
        qty=qty,
        timestamp=delivered_at,
        received_date=day,
        expiry_date=expiry,
        plan_id=order.supplier_plan_id,
        reason="supplier delivery",
    )
    return delivered, receipt, event
