"""Redis connection shared by the producers, the bridge and the clock."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from smart_shelf.retry import retry
from smart_shelf.settings import Settings

SHELF_PRODUCER_PREFIX = "shelf_producer"  # the shelf producer's durable state: <prefix>:*


@dataclass(frozen=True)
class ShelfProducerKeys:
    """The shelf producer's keys the POS producer reads too: it bills a customer only once the shelf
    producer is done with them and every cart event it emitted for them has reached the till."""

    prefix: str = SHELF_PRODUCER_PREFIX

    @property
    def seen(self) -> str:  # sorted set: customers admitted, scored by exit time
        return f"{self.prefix}:seen"

    @property
    def shoppers(self) -> str:  # hash: customers with actions still to come
        return f"{self.prefix}:shoppers"

    @property
    def cart_events(self) -> str:  # hash: customer -> pickups and putbacks emitted for them
        return f"{self.prefix}:cart_events"


def lost_sales_key(day: str, prefix: str = SHELF_PRODUCER_PREFIX) -> str:
    """The hash of units customers wanted from an empty shelf on `day` (ISO date), per shelf."""
    return f"{prefix}:lost_sales:{day}"


def connect_redis(settings: Settings, *, deadline_seconds: float | None = None) -> redis.Redis:
    """A client with decoded strings, returned once Redis answers PING (retried with backoff)."""
    client = redis.Redis(
        host=settings.redis_host,
        port=settings.redis_port,
        db=settings.redis_db,
        decode_responses=True,
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    retry(
        client.ping,
        what=f"redis {settings.redis_host}:{settings.redis_port}",
        deadline_seconds=deadline_seconds,
        max_delay=settings.retry_max_seconds,
        exceptions=(redis.exceptions.ConnectionError, redis.exceptions.TimeoutError),
    )
    return client
