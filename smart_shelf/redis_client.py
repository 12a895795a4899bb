"""Redis connection shared by the producers, the bridge and the clock."""

from __future__ import annotations

import redis

from smart_shelf.retry import retry
from smart_shelf.settings import Settings

SHELF_PRODUCER_PREFIX = "shelf_producer"  # the shelf producer's durable state: <prefix>:*


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
