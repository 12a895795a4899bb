"""What a customer does at the shelves: pure rules, deterministic per (seed, customer, action).

A visit gets 3 to 30 actions at uniform times between entry + 60 s and exit - 30 s. Each action is a
putback (probability PUTBACK_PROB, when the customer holds something) or a pickup of a product
chosen by pick_score = visibility x (1 + discount), 1 to 3 units. Nobody takes what is not on the
shelf: a pickup from an empty shelf is a lost sale, and a short shelf gives what it has. Staff carry
out removal orders the same way: they take the expired units still on the shelf.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from smart_shelf.contracts import REMOVAL_CUSTOMER, RemovalOrder, ShelfEvent, stable_id

FIRST_ACTION_AFTER_ENTRY = timedelta(seconds=60)
LAST_ACTION_BEFORE_EXIT = timedelta(seconds=30)
# (share, fewest, most) actions per visit
ACTION_COUNT_MIXTURE = ((0.20, 3, 6), (0.50, 7, 15), (0.30, 16, 30))
QUANTITIES, QUANTITY_P = (1, 2, 3), (0.6, 0.3, 0.1)


def _rng(seed: int, customer_id: str, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed, uuid.UUID(customer_id).int % (2**63), *more])


def action_times(seed: int, customer_id: str, entry: datetime, exit_: datetime) -> list[datetime]:
    """The sorted times of a visit's actions (none if the visit is too short for any)."""
    first, last = entry + FIRST_ACTION_AFTER_ENTRY, exit_ - LAST_ACTION_BEFORE_EXIT
    if last <= first:
        return []
    rng = _rng(seed, customer_id)
    shares = [share for share, _, _ in ACTION_COUNT_MIXTURE]
    _, low, high = ACTION_COUNT_MIXTURE[int(rng.choice(len(shares), p=shares))]
    count = int(rng.integers(low, high + 1))
    span = (last - first).total_seconds()
    return [first + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, span, size=count))]


@dataclass(frozen=True)
class Catalogue:
    """The products in a fixed order, with unit weight (g) and visibility."""

    shelf_ids: tuple[str, ...]
    weights: dict[str, float]
    visibility: np.ndarray

    def pick_probabilities(self, discounts: dict[str, float]) -> np.ndarray:
        boost = np.array([1.0 + discounts.get(s, 0.0) for s in self.shelf_ids])
        scores = self.visibility * boost
        return scores / scores.sum()

    def pick_cdf(self, discounts: dict[str, float]) -> np.ndarray:
        """The cumulative pick probabilities, computed once per change of discounts for `draw`."""
        return cumulative(self.pick_probabilities(discounts))


def cumulative(probabilities) -> np.ndarray:
    cdf = np.cumsum(np.asarray(probabilities, dtype=np.float64))
    return cdf / cdf[-1]


def draw(rng: np.random.Generator, cdf: np.ndarray) -> int:
    """The index `rng.choice(len(p), p=p)` picks, from p's cumulative distribution: the same draw
    from the same generator state (numpy's own method), without re-validating p on every call."""
    return int(cdf.searchsorted(rng.random(), side="right"))


_QUANTITY_CDF = cumulative(QUANTITY_P)


@dataclass
class Outcome:
    kind: str  # pickup | putback | lost_sale | nothing
    shelf_id: str | None = None
    quantity: int = 0
    wanted: int = 0


@dataclass
class Shopper:
    """A customer in the store: their remaining actions and what they hold."""

    customer_id: str
    times: list[datetime]
    next_action: int = 0
    hands: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.next_action >= len(self.times)

    @property
    def due_at(self) -> datetime | None:
        return None if self.done else self.times[self.next_action]


def decide(
    seed: int,
    shopper: Shopper,
    catalogue: Catalogue,
    pick_cdf: np.ndarray,
    stock: dict[str, int],
    putback_prob: float,
) -> Outcome:
    """The shopper's next action, given shelf stock; mutates nothing."""
    rng = _rng(seed, shopper.customer_id, shopper.next_action)
    wants_putback = rng.random() < putback_prob
    held = sorted(s for s, q in shopper.hands.items() if q > 0)
    if wants_putback and held:
        shelf = held[int(rng.integers(len(held)))]
        return Outcome("putback", shelf, int(rng.integers(1, shopper.hands[shelf] + 1)))
    shelf = catalogue.shelf_ids[draw(rng, pick_cdf)]
    wanted = QUANTITIES[draw(rng, _QUANTITY_CDF)]
    available = stock.get(shelf, 0)
    if available <= 0:
        return Outcome("lost_sale", shelf, 0, wanted)
    return Outcome("pickup", shelf, min(wanted, available), wanted)


def apply(outcome: Outcome, shopper: Shopper, stock: dict[str, int]) -> None:
    """Move the units: shelf to hands on a pickup, hands to shelf on a putback."""
    if outcome.kind == "pickup":
        stock[outcome.shelf_id] -= outcome.quantity
        shopper.hands[outcome.shelf_id] = shopper.hands.get(outcome.shelf_id, 0) + outcome.quantity
    elif outcome.kind == "putback":
        stock[outcome.shelf_id] = stock.get(outcome.shelf_id, 0) + outcome.quantity
        shopper.hands[outcome.shelf_id] -= outcome.quantity
        if shopper.hands[outcome.shelf_id] == 0:
            del shopper.hands[outcome.shelf_id]
    shopper.next_action += 1


def removal_events(order: RemovalOrder, on_shelf: int, at: datetime) -> list[ShelfEvent]:
    """Staff carrying out a removal order at `at`: the `removal` of the order's units, or of what the
    shelf still holds when customers took some meanwhile, and its `weight_change`. Nothing when the
    shelf is empty. Ids derive from the order's, so the order carried out again repeats them."""
    quantity = min(order.quantity, on_shelf)
    if quantity <= 0:
        return []
    common = dict(customer_id=REMOVAL_CUSTOMER, item_id=order.shelf_id, timestamp=at)
    return [
        ShelfEvent(
            event_id=stable_id("removal", order.event_id),
            event_type="removal",
            quantity=quantity,
            weight=order.weight,
            shelf_id=order.shelf_id,
            batch_code=order.batch_code,
            expiry_date=order.expiry_date,
            **common,
        ),
        ShelfEvent(
            event_id=stable_id("removal", order.event_id, "weight_change"),
            event_type="weight_change",
            delta_weight=round(-order.weight * quantity, 3),
            **common,
        ),
    ]
