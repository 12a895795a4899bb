"""The shop floor in memory: shoppers at the shelves and the till, by the producers' own rules.

The shelf producer's rules (`actions`: when a visitor acts, what they pick or put back, a lost sale
at an empty shelf, the events a movement makes) and the POS producer's (`checkout`: the cart, when
a customer is billed, the transaction) run here on dictionaries instead of Redis: no second copy of
any rule, only the bookkeeping that Redis does for the streaming producers.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kafka_components.kafka_producer_foot_traffic.arrival_model import Visit
from kafka_components.kafka_producer_pos.checkout import build_transaction, cart_change, checkout_due
from kafka_components.kafka_producer_shelf.actions import (
    Catalogue,
    Shopper,
    action_times,
    apply,
    decide,
    removal_events,
)
from kafka_components.kafka_producer_shelf.producer import shelf_events
from smart_shelf.contracts import PosTransaction, RemovalOrder, ShelfEvent


@dataclass
class FloorRules:
    seed: int
    putback_prob: float = 0.15
    grace: timedelta = timedelta(seconds=60)  # the POS producer's wait for late shelf events
    max_age: timedelta = timedelta(hours=3)


@dataclass
class Floor:
    """Shoppers in the store, their carts, and the shelf stock as the shelf producer sees it."""

    catalogue: Catalogue
    stock: dict[str, int]
    prices: dict[str, float]
    rules: FloorRules
    discounts: dict[str, float] = field(default_factory=dict)
    lost_sales: dict[date, Counter] = field(default_factory=dict)  # units wanted from an empty shelf
    _shoppers: dict[str, Shopper] = field(default_factory=dict)
    _visits: dict[str, Visit] = field(default_factory=dict)
    _carts: dict[str, Counter] = field(default_factory=dict)
    _queue: list = field(default_factory=list)  # (next action's time, customer)
    _leaving: list = field(default_factory=list)  # (exit + grace, customer)

    def __post_init__(self):
        self._pick_cdf = self.catalogue.pick_cdf(self.discounts)

    def set_discounts(self, discounts: dict[str, float]) -> None:
        self.discounts = discounts
        self._pick_cdf = self.catalogue.pick_cdf(discounts)

    @property
    def customers_inside(self) -> int:
        return len(self._visits)

    def admit(self, visit: Visit) -> None:
        customer = visit.customer_id
        shopper = Shopper(
            customer, action_times(self.rules.seed, customer, visit.entry_time, visit.exit_time)
        )
        self._visits[customer] = visit
        self._carts[customer] = Counter()
        heapq.heappush(self._leaving, (visit.exit_time + self.rules.grace, customer))
        if not shopper.done:
            self._shoppers[customer] = shopper
            heapq.heappush(self._queue, (shopper.due_at, customer))

    def act_until(self, now: datetime) -> list[ShelfEvent]:
        """Every shopper action due by `now`, in time order: the shelf events they make."""
        events: list[ShelfEvent] = []
        while self._queue and self._queue[0][0] <= now:
            at, customer = heapq.heappop(self._queue)
            shopper = self._shoppers[customer]
            index = shopper.next_action
            outcome = decide(
                self.rules.seed,
                shopper,
                self.catalogue,
                self._pick_cdf,
                self.stock,
                self.rules.putback_prob,
            )
            apply(outcome, shopper, self.stock)
            if outcome.kind in ("pickup", "putback"):
                made = shelf_events(customer, index, outcome, self.catalogue.weights[outcome.shelf_id], at)
                self._carts[customer][outcome.shelf_id] += cart_change(outcome.kind, outcome.quantity)
                events += made
            elif outcome.kind == "lost_sale":
                self.lost_sales.setdefault(at.date(), Counter())[outcome.shelf_id] += outcome.wanted
            if shopper.done:
                del self._shoppers[customer]
            else:
                heapq.heappush(self._queue, (shopper.due_at, customer))
        return events

    def restock(self, shelf_id: str, quantity: int) -> None:
        """A refill arriving on the shelf."""
        self.stock[shelf_id] = self.stock.get(shelf_id, 0) + quantity

    def carry_out(self, order: RemovalOrder, at: datetime) -> list[ShelfEvent]:
        """Staff take an order's expired units off the shelf, as the shelf producer does."""
        events = removal_events(order, self.stock.get(order.shelf_id, 0), at)
        for event in events:
            if event.event_type == "removal":
                self.stock[order.shelf_id] -= event.quantity
        return events

    def checkouts(self, now: datetime) -> list[PosTransaction]:
        """The customers billed by `now`: left (plus the grace), with no action left. A customer whose
        cart is empty leaves without a transaction, as at the POS producer."""
        out = []
        while self._leaving and self._leaving[0][0] <= now:
            _, customer = heapq.heappop(self._leaving)
            visit = self._visits[customer]
            if customer in self._shoppers or not checkout_due(
                visit.exit_time, visit.entry_time, now, self.rules.grace, self.rules.max_age
            ):
                heapq.heappush(self._leaving, (now + timedelta(minutes=1), customer))  # not yet: look again
                continue
            cart = self._carts.pop(customer)
            del self._visits[customer]
            transaction = build_transaction(
                customer, cart, min(visit.exit_time, now), self.prices, self.discounts
            )
            if transaction.items:
                out.append(transaction)
        return sorted(out, key=lambda t: (t.timestamp, t.transaction_id))

    def units_in_carts(self) -> dict[str, int]:
        total: Counter = Counter()
        for cart in self._carts.values():
            total.update(cart)
        return {shelf: units for shelf, units in total.items() if units}

    def pop_lost(self, day: date) -> dict[str, int]:
        """The lost-sale units of `day` per shelf, forgotten here once read."""
        return self.lost_sales.pop(day, {})
