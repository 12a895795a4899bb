"""The shelf producer's state and its exactly-once emission.

Durable state lives in Redis under `<prefix>:*`: the shelf stock as the producer sees it
(`stock`, from the inventory snapshot, then every pickup, putback and restock), each shopper in the
store (`shoppers`), customers already scheduled (`seen`, so a repeated session is ignored), restock
events and removal orders already applied (`restocks`), and lost sales per day. Each action's events and the state
change it causes are written in one MULTI, so a restart resumes exactly after the last action.
"""

from __future__ import annotations

import heapq
import json
import logging
from datetime import datetime

import numpy as np
import redis

from kafka_components.kafka_producer_shelf.actions import (
    Catalogue,
    Outcome,
    Shopper,
    action_times,
    apply,
    decide,
    removal_events,
)
from smart_shelf import handover
from smart_shelf.contracts import (
    REMOVAL_CUSTOMER,
    STREAM_DATA_FIELD,
    STREAM_KEY_FIELD,
    FootTrafficSession,
    RemovalOrder,
    ShelfEvent,
    stable_id,
    to_json,
)
from smart_shelf.redis_client import SHELF_PRODUCER_PREFIX, ShelfProducerKeys, lost_sales_key

log = logging.getLogger(__name__)
HANDOVER_JOB = "kafka-producer-shelf"
# Add ARGV[3] units to shelf ARGV[2], unless event ARGV[1] was applied already; returns the new stock.
_APPLY_ONCE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  local stock = (tonumber(redis.call('HGET', KEYS[2], ARGV[2])) or 0) + tonumber(ARGV[3])
  if stock < 0 then stock = 0 end
  redis.call('HSET', KEYS[2], ARGV[2], stock)
  return stock
end
return false
"""


def shelf_events(
    seed_customer: str, index: int, outcome: Outcome, weight: float, at: datetime
) -> list[ShelfEvent]:
    """The count event and the matching weight_change (grams, negative when units leave the shelf)."""
    sign = -1 if outcome.kind == "pickup" else 1
    return [
        ShelfEvent(
            event_id=stable_id("shelf_event", seed_customer, index, outcome.kind),
            event_type=outcome.kind,
            customer_id=seed_customer,
            item_id=outcome.shelf_id,
            weight=weight,
            quantity=outcome.quantity,
            timestamp=at,
        ),
        ShelfEvent(
            event_id=stable_id("shelf_event", seed_customer, index, "weight_change"),
            event_type="weight_change",
            customer_id=seed_customer,
            item_id=outcome.shelf_id,
            delta_weight=round(sign * weight * outcome.quantity, 3),
            timestamp=at,
        ),
    ]


class ShelfProducer:
    def __init__(
        self,
        client: redis.Redis,
        catalogue: Catalogue,
        initial_stock: dict[str, int],
        *,
        seed: int,
        putback_prob: float,
        stream: str = "shelf_events",
        maxlen: int = 200_000,
        prefix: str = SHELF_PRODUCER_PREFIX,
    ):
        self.redis, self.catalogue, self.seed, self.putback_prob = client, catalogue, seed, putback_prob
        self.stream, self.maxlen, self.prefix = stream, maxlen, prefix
        self.keys = ShelfProducerKeys(prefix)
        self.discounts: dict[str, float] = {}
        self.pick_cdf = catalogue.pick_cdf({})
        # The snapshot seeds the ledger once; afterwards Redis holds the truth.
        if client.hsetnx(self._key("meta"), "stock_initialised", "1"):
            client.hset(self._key("stock"), mapping={s: int(q) for s, q in initial_stock.items()})
        self.stock = {s: int(q) for s, q in client.hgetall(self._key("stock")).items()}
        self.shoppers: dict[str, Shopper] = {}
        for customer, raw in client.hgetall(self.keys.shoppers).items():
            self.shoppers[customer] = _shopper_from_json(customer, raw)
        self._queue = [(s.due_at, c) for c, s in self.shoppers.items() if not s.done]
        heapq.heapify(self._queue)
        self.stats = {"pickup": 0, "putback": 0, "lost_sale": 0}
        self._apply_once = client.register_script(_APPLY_ONCE)

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def set_discounts(self, discounts: dict[str, float]) -> None:
        self.discounts = discounts
        self.pick_cdf = self.catalogue.pick_cdf(discounts)

    def admit(self, session: FootTrafficSession) -> bool:
        """Schedule a visit's actions; False for a customer already scheduled (a repeated session)."""
        customer = session.customer_id
        if self.redis.zscore(self.keys.seen, customer) is not None:
            return False
        shopper = Shopper(customer, action_times(self.seed, customer, session.entry_time, session.exit_time))
        # seen and scheduled together (one MULTI): Redis lost mid-way never leaves a customer seen
        # but without a schedule
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(self.keys.seen, {customer: session.exit_time.timestamp()})
        if not shopper.done:
            pipe.hset(self.keys.shoppers, customer, _shopper_to_json(shopper))
        pipe.execute()
        if shopper.done:
            return True
        self.shoppers[customer] = shopper
        heapq.heappush(self._queue, (shopper.due_at, customer))
        return True

    def apply_restock(self, event_id: str, shelf_id: str, quantity: int) -> bool:
        """A refill arriving on the shelf (a restock putback): applied once per event_id, atomically."""
        applied = self._apply_once(
            keys=[self._key("restocks"), self._key("stock")], args=[event_id, shelf_id, quantity]
        )
        if applied is not None:
            self.stock[shelf_id] = int(applied)
        return applied is not None

    def carry_out_removal(self, order: RemovalOrder, at: datetime) -> bool:
        """Take an order's expired units off the shelf at `at`, after every action already emitted (so
        the ledgers, which apply a shelf's events in event time, never see the removal before a pickup
        made ahead of it). Once per order: its events and the stock change go in one MULTI."""
        applied = self._key("restocks")
        if self.redis.sismember(applied, order.event_id):
            return False
        shelf = order.shelf_id
        events = removal_events(order, self.stock.get(shelf, 0), max(at, order.created_at))
        left = self.stock.get(shelf, 0) - sum(e.quantity for e in events if e.event_type == "removal")
        pipe = self.redis.pipeline(transaction=True)
        pipe.sadd(applied, order.event_id)
        for event in events:
            pipe.xadd(
                self.stream,
                {STREAM_DATA_FIELD: to_json(event), STREAM_KEY_FIELD: REMOVAL_CUSTOMER},
                maxlen=self.maxlen,
                approximate=True,
            )
        pipe.hset(self._key("stock"), shelf, left)
        pipe.execute()
        self.stock[shelf] = left
        return True

    def next_due(self) -> datetime | None:
        return self._queue[0][0] if self._queue else None

    def run_due(self, now: datetime, limit: int = 500) -> int:
        """Carry out every action due at `now` (at most `limit`); returns how many."""
        done = 0
        while self._queue and self._queue[0][0] <= now and done < limit:
            at, customer = heapq.heappop(self._queue)
            shopper = self.shoppers[customer]
            index = shopper.next_action
            outcome = decide(self.seed, shopper, self.catalogue, self.pick_cdf, self.stock, self.putback_prob)
            apply(outcome, shopper, self.stock)
            self._persist(shopper, index, outcome, at)
            self.stats[outcome.kind] = self.stats.get(outcome.kind, 0) + 1
            if shopper.done:
                del self.shoppers[customer]
            else:
                heapq.heappush(self._queue, (shopper.due_at, customer))
            done += 1
        return done

    def _persist(self, shopper: Shopper, index: int, outcome: Outcome, at: datetime) -> None:
        pipe = self.redis.pipeline(transaction=True)
        if outcome.kind in ("pickup", "putback"):
            weight = self.catalogue.weights[outcome.shelf_id]
            for event in shelf_events(shopper.customer_id, index, outcome, weight, at):
                pipe.xadd(
                    self.stream,
                    {STREAM_DATA_FIELD: to_json(event), STREAM_KEY_FIELD: shopper.customer_id},
                    maxlen=self.maxlen,
                    approximate=True,
                )
            pipe.hset(self._key("stock"), outcome.shelf_id, self.stock[outcome.shelf_id])
            pipe.hincrby(self.keys.cart_events, shopper.customer_id, 1)  # what the till must see
        elif outcome.kind == "lost_sale":
            pipe.hincrby(lost_sales_key(at.date().isoformat(), self.prefix), outcome.shelf_id, outcome.wanted)
        if shopper.done:
            pipe.hdel(self.keys.shoppers, shopper.customer_id)
        else:
            pipe.hset(self.keys.shoppers, shopper.customer_id, _shopper_to_json(shopper))
        pipe.execute()

    def forget_customers_before(self, moment: datetime) -> None:
        """Bound memory: customers who left before `moment` cannot come back."""
        gone = self.redis.zrangebyscore(self.keys.seen, "-inf", moment.timestamp())
        if gone:
            pipe = self.redis.pipeline(transaction=True)
            pipe.hdel(self.keys.cart_events, *gone)
            pipe.zrem(self.keys.seen, *gone)
            pipe.execute()


def _shopper_to_json(shopper: Shopper) -> str:
    return json.dumps(
        {"times": [t.isoformat() for t in shopper.times], "next": shopper.next_action, "hands": shopper.hands}
    )


def _shopper_from_json(customer: str, raw: str) -> Shopper:
    data = json.loads(raw)
    return Shopper(customer, [datetime.fromisoformat(t) for t in data["times"]], data["next"], data["hands"])


def handed_over_stock(settings) -> dict[str, int]:
    """The shelves' stock as a history left them (smart_shelf.handover); empty without a history."""
    return {shelf: int(units) for shelf, units in handover.load(settings, HANDOVER_JOB).items()}


def catalogue_from_inventory(inventory) -> tuple[Catalogue, dict[str, int]]:
    """(the catalogue in shelf_id order, the snapshot's shelf stock)."""
    inventory = inventory.sort_values("shelf_id")
    catalogue = Catalogue(
        shelf_ids=tuple(inventory["shelf_id"]),
        weights=dict(zip(inventory["shelf_id"], inventory["item_weight"].astype(float), strict=True)),
        visibility=inventory["item_visibility"].to_numpy(dtype=np.float64),
    )
    return catalogue, dict(zip(inventory["shelf_id"], inventory["current_stock"].astype(int), strict=True))
