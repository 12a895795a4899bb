"""The store right now, from Redis: the newest entries of the producers' streams (who is in the store,
which shelves were just weighed) and the shelf producer's lost sales. The stream reads walk back from
the newest entry only as far as a view needs; the rules that read them are pure."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta

from smart_shelf.contracts import STREAM_DATA_FIELD
from smart_shelf.redis_client import lost_sales_key
from smart_shelf.settings import FootTrafficSettings, ShelfProducerSettings

SESSIONS_STREAM = FootTrafficSettings.model_fields["redis_stream"].default
SHELF_EVENTS_STREAM = ShelfProducerSettings.model_fields["redis_stream"].default
LONGEST_VISIT = timedelta(minutes=75)  # the arrival model's longest visit
PAGE = 500


def newest_first(client, stream: str, stop_before: datetime, time_field: str) -> Iterator[dict]:
    """Payloads from the newest entry back, until one is older than `stop_before` (by `time_field`)."""
    last = "+"
    while True:
        entries = client.xrevrange(stream, max=last, min="-", count=PAGE)
        for _entry_id, fields in entries:
            payload = json.loads(fields[STREAM_DATA_FIELD])
            if datetime.fromisoformat(payload[time_field]) < stop_before:
                return
            yield payload
        if len(entries) < PAGE:
            return
        last = f"({entries[-1][0]}"


def in_store(sessions: Iterable[dict], now: datetime) -> int:
    """Customers whose visit has begun and not ended at `now`."""
    return sum(
        1
        for s in sessions
        if datetime.fromisoformat(s["entry_time"]) <= now < datetime.fromisoformat(s["exit_time"])
    )


def customers_in_store(client, now: datetime) -> int:
    return in_store(newest_first(client, SESSIONS_STREAM, now - LONGEST_VISIT, "entry_time"), now)


def weighed(events: Iterable[dict], since: datetime, now: datetime, event_type: str) -> set[str]:
    """Shelves with an `event_type` reading in [since, now]."""
    return {
        e.get("shelf_id") or e["item_id"]
        for e in events
        if e["event_type"] == event_type and since <= datetime.fromisoformat(e["timestamp"]) <= now
    }


def weighed_shelves(client, now: datetime, lookback: timedelta, event_type: str) -> set[str]:
    since = now - lookback
    return weighed(newest_first(client, SHELF_EVENTS_STREAM, since, "timestamp"), since, now, event_type)


def lost_sales(client, day: date) -> dict[str, int]:
    return {shelf: int(units) for shelf, units in client.hgetall(lost_sales_key(day.isoformat())).items()}
