"""The POS producer's durable state and checkout, exactly once across restarts.

Redis under `<prefix>:*`: `sessions` (customer -> entry and exit), `cart:<customer>` (product ->
units), `applied:<customer>` (shelf event ids already counted, so a repeated event counts once),
`done` (customers checked out, with their exit time). A transaction is sent to Kafka and
acknowledged before the customer's state is deleted; a crash in between sends it again with the
same transaction_id.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import redis
from kafka import KafkaProducer

from kafka_components.kafka_producer_pos.checkout import (
    bill_short_cart,
    build_transaction,
    cart_change,
    cart_complete,
    checkout_due,
)
from smart_shelf.contracts import RESTOCK_CUSTOMER, FootTrafficSession, ShelfEvent, to_json
from smart_shelf.redis_client import ShelfProducerKeys

log = logging.getLogger(__name__)
# Add ARGV[3] to cart field ARGV[2] unless event ARGV[1] was counted already; floors at zero.
_COUNT_ONCE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return false end
local q = redis.call('HINCRBY', KEYS[2], ARGV[2], ARGV[3])
if q < 0 then redis.call('HSET', KEYS[2], ARGV[2], 0) end
return 1
"""


class PosProducer:
    def __init__(
        self,
        client: redis.Redis,
        producer: KafkaProducer,
        prices: dict[str, float],
        *,
        topic: str = "pos_transactions",
        grace: timedelta = timedelta(seconds=60),
        max_age: timedelta = timedelta(hours=3),
        force_if_empty: bool = False,
        prefix: str = "pos_producer",
        shelf_keys: ShelfProducerKeys | None = None,  # the shelf producer's, to know a cart is whole
    ):
        self.redis, self.producer, self.prices, self.topic = client, producer, prices, topic
        self.grace, self.max_age, self.force_if_empty, self.prefix = grace, max_age, force_if_empty, prefix
        self.shelf_keys = shelf_keys or ShelfProducerKeys()
        self.discounts: dict[str, float] = {}
        self._count_once = client.register_script(_COUNT_ONCE)
        self.stats = {"transactions": 0, "empty": 0, "late_events": 0}
        # checkouts sent but not yet acknowledged: Kafka away for longer than the wait. The producer
        # keeps retrying them; the next checkout of that customer waits for it instead of re-sending.
        self._in_flight: dict[str, object] = {}

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def on_session(self, session: FootTrafficSession) -> None:
        if self.redis.zscore(self._key("done"), session.customer_id) is not None:
            return  # a repeated session of a customer who already paid
        self.redis.hsetnx(
            self._key("sessions"),
            session.customer_id,
            json.dumps({"entry": session.entry_time.isoformat(), "exit": session.exit_time.isoformat()}),
        )

    def on_shelf_event(self, event: ShelfEvent) -> None:
        change = cart_change(event.event_type, event.quantity or 0)
        if change == 0 or event.customer_id == RESTOCK_CUSTOMER:
            return  # weight changes and refills never make a cart
        if self.redis.zscore(self._key("done"), event.customer_id) is not None:
            self.stats["late_events"] += 1
            log.warning("shelf event %s after %s checked out; not billed", event.event_id, event.customer_id)
            return
        self._count_once(
            keys=[self._key(f"applied:{event.customer_id}"), self._key(f"cart:{event.customer_id}")],
            args=[event.event_id, event.item_id, change],
        )

    def checkout_due_customers(self, now: datetime, unread_events: Callable[[], bool] = lambda: False) -> int:
        """Bill the customers who left and whose cart is complete (cart_complete); one whose shelf
        events never all arrive is billed for what did after MAX_SESSION_AGE_SEC, with a warning,
        unless shelf events wait unread (`unread_events`, asked only then): those may be its own."""
        done = 0
        unread_events = functools.cache(unread_events)  # one answer per round: nothing is read during it
        for customer, raw in self.redis.hgetall(self._key("sessions")).items():
            session = json.loads(raw)
            entry, exit_ = datetime.fromisoformat(session["entry"]), datetime.fromisoformat(session["exit"])
            if not checkout_due(exit_, entry, now, self.grace, self.max_age):
                continue
            shelf_done, emitted, applied = self._shelf_progress(customer)
            if not cart_complete(shelf_done, emitted, applied):
                if not bill_short_cart(shelf_done, now - entry, self.max_age, unread_events):
                    continue  # events still on their way: wait for them
                log.warning(
                    "%s: %d of %d cart events arrived in %s; billing what did",
                    customer,
                    applied,
                    emitted,
                    self.max_age,
                )
            self._checkout(customer, min(exit_, now))
            done += 1
        return done

    def _shelf_progress(self, customer: str) -> tuple[bool, int, int]:
        """(the shelf producer is done with the customer, cart events it emitted, cart events applied here)."""
        keys = self.shelf_keys
        pipe = self.redis.pipeline(transaction=False)
        pipe.zscore(keys.seen, customer)
        pipe.hexists(keys.shoppers, customer)
        pipe.hget(keys.cart_events, customer)
        pipe.scard(self._key(f"applied:{customer}"))
        seen, shopping, emitted, applied = pipe.execute()
        return seen is not None and not shopping, int(emitted or 0), int(applied)

    def _checkout(self, customer: str, at: datetime) -> None:
        cart = {shelf: int(q) for shelf, q in self.redis.hgetall(self._key(f"cart:{customer}")).items()}
        transaction = build_transaction(customer, cart, at, self.prices, self.discounts)
        if transaction.items or self.force_if_empty:
            future = self._in_flight.get(customer) or self.producer.send(
                self.topic, key=customer, value=to_json(transaction)
            )
            self._in_flight[customer] = future
            try:
                future.get(timeout=60)
            except Exception:
                if future.is_done:  # refused, not pending: send again next time
                    del self._in_flight[customer]
                raise
            del self._in_flight[customer]
            self.stats["transactions"] += 1
        else:
            self.stats["empty"] += 1
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(self._key("done"), {customer: at.timestamp()})
        pipe.delete(self._key(f"cart:{customer}"), self._key(f"applied:{customer}"))
        pipe.hdel(self._key("sessions"), customer)
        pipe.execute()

    def forget_customers_before(self, moment: datetime) -> None:
        self.redis.zremrangebyscore(self._key("done"), "-inf", moment.timestamp())
