"""Carts and checkouts: pure rules.

A cart is what a customer picked minus what they put back, per product. At checkout each line is
priced at the catalogue price with the day's discount (weekly and daily combined):
total_price = quantity x unit_price x (1 - discount). The transaction id is derived from the
customer, so a repeated checkout carries the same id and can be recognised downstream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from smart_shelf.contracts import PosItem, PosTransaction, stable_id
from smart_shelf.store.pricing import line_total


def cart_change(event_type: str, quantity: int) -> int:
    """Units a shelf event adds to the cart: +q for a pickup, -q for a putback, 0 otherwise."""
    return {"pickup": quantity, "putback": -quantity}.get(event_type, 0)


def checkout_due(
    exit_time: datetime, entry_time: datetime, now: datetime, grace: timedelta, max_age: timedelta
) -> bool:
    """Check out once the customer left (plus a grace for late shelf events), or after max_age in store."""
    return now >= exit_time + grace or now - entry_time >= max_age


def cart_complete(shelf_done: bool, emitted: int, applied: int) -> bool:
    """The shelf producer has no action left for the customer and every pickup and putback it emitted
    for them is in the cart: however late the events arrived (an outage upstream), the bill is whole."""
    return shelf_done and applied >= emitted


def bill_short_cart(
    shelf_done: bool, in_store: timedelta, max_age: timedelta, unread_events: Callable[[], bool]
) -> bool:
    """Whether to bill a cart still short of events for what arrived: the shelf producer is done with
    the customer, they came in at least max_age ago, and no shelf event waits unread on Kafka (asked
    last, only then): a till behind its topic, on a busy machine at a high TIME_MULTIPLIER, has lost
    no event, and max_age is then a few wall seconds."""
    return shelf_done and in_store >= max_age and not unread_events()


def build_transaction(
    customer_id: str,
    cart: Mapping[str, int],
    at: datetime,
    prices: Mapping[str, float],
    discounts: Mapping[str, float],
) -> PosTransaction:
    """One line per product with a positive quantity, in shelf order."""
    items = []
    for shelf_id in sorted(cart):
        quantity = int(cart[shelf_id])
        if quantity <= 0:
            continue
        price = round(float(prices[shelf_id]), 2)
        discount = round(float(discounts.get(shelf_id, 0.0)), 4)
        items.append(
            PosItem(
                item_id=shelf_id,
                quantity=quantity,
                unit_price=price,
                discount=discount,
                total_price=line_total(quantity, price, discount),
            )
        )
    transaction_id = stable_id("pos_transaction", customer_id)
    return PosTransaction(
        event_id=transaction_id,
        event_type="pos_transaction",
        transaction_id=transaction_id,
        customer_id=customer_id,
        timestamp=at,
        items=items,
    )
