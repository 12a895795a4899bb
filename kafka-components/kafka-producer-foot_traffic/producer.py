"""Emitting the day's plan as sim time passes, exactly once across restarts.

Each session is XADDed to `foot_traffic` and its `entry` to `foot_traffic:realistic` when sim time
reaches its entry; its `exit` when sim time reaches its exit. The events of a step and the
checkpoint that records them (entries emitted per day, the time up to which exits are emitted) go
to Redis in one MULTI, so a restart resumes exactly after the last step: no customer is repeated or
skipped, and plans are regenerated identically from (SEED, day, plan start).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import redis

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings, Visit, plan_day
from smart_shelf.contracts import (
    STREAM_DATA_FIELD,
    STREAM_KEY_FIELD,
    FootTrafficEntryExit,
    FootTrafficSession,
    stable_id,
    to_json,
)

log = logging.getLogger(__name__)
CHECKPOINT_KEY = "foot_traffic_producer:checkpoint"
MAX_EVENTS_PER_STEP = 5000


def session_event(visit: Visit) -> FootTrafficSession:
    return FootTrafficSession(
        event_id=stable_id("foot_traffic", visit.customer_id),
        event_type="foot_traffic",
        customer_id=visit.customer_id,
        entry_time=visit.entry_time,
        exit_time=visit.exit_time,
        trip_duration_minutes=visit.duration_minutes,
        weekday=visit.weekday,
        time_slot=visit.time_slot,
    )


def door_event(visit: Visit, kind: str) -> FootTrafficEntryExit:
    return FootTrafficEntryExit(
        event_id=stable_id("foot_traffic_realistic", kind, visit.customer_id),
        event_type=kind,
        customer_id=visit.customer_id,
        time=visit.entry_time if kind == "entry" else visit.exit_time,
        weekday=visit.weekday,
        time_slot=visit.time_slot,
    )


@dataclass
class Checkpoint:
    first_open_day: date | None = None
    exit_watermark: datetime | None = None
    plan_start: dict[date, datetime | None] = field(default_factory=dict)
    entries: dict[date, int] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> Checkpoint:
        cp = cls()
        if raw.get("first_open_day"):
            cp.first_open_day = date.fromisoformat(raw["first_open_day"])
        if raw.get("exit_watermark"):
            cp.exit_watermark = datetime.fromisoformat(raw["exit_watermark"])
        for key, value in raw.items():
            if key.startswith("plan_start:"):
                cp.plan_start[date.fromisoformat(key.split(":", 1)[1])] = (
                    datetime.fromisoformat(value) if value else None
                )
            elif key.startswith("entries:"):
                cp.entries[date.fromisoformat(key.split(":", 1)[1])] = int(value)
        return cp


class FootTrafficProducer:
    def __init__(
        self,
        client: redis.Redis,
        *,
        seed: int,
        traffic: TrafficSettings,
        sessions_stream: str = "foot_traffic",
        realistic_stream: str = "foot_traffic:realistic",
        maxlen: int = 200_000,
        checkpoint_key: str = CHECKPOINT_KEY,
        opened: datetime | None = None,
    ):
        self.redis, self.seed, self.traffic = client, seed, traffic
        self.sessions_stream, self.realistic_stream = sessions_stream, realistic_stream
        self.maxlen, self.checkpoint_key = maxlen, checkpoint_key
        self.checkpoint = Checkpoint.from_hash(client.hgetall(checkpoint_key))
        self.opened = opened  # where the store's simulated time began (simulated_time.clock.opened_at)
        self._plans: dict[date, list[Visit]] = {}

    def plan(self, day: date) -> list[Visit]:
        """The day's visits; the day's plan start must be known (recorded by `step`)."""
        if day not in self._plans:
            self._plans[day] = plan_day(self.seed, day, self.traffic, UTC, self.checkpoint.plan_start[day])
        return self._plans[day]

    def _open_days(self, now: datetime) -> list[date]:
        first = self.checkpoint.first_open_day or now.date()
        return [first + timedelta(days=n) for n in range((now.date() - first).days + 1)]

    def step(self, now: datetime) -> int:
        """Emit everything due at `now`; returns how many events were written."""
        new_days = {}
        if self.checkpoint.first_open_day is None:
            # The very first start: from the moment the store opened (the clock's), or from now when
            # that is not today; earlier slots dropped, the current one prorated. Planning from the
            # store's opening rather than this process's start gives the same customers whenever
            # the producer comes up.
            opened = self.opened if self.opened is not None and self.opened.date() == now.date() else None
            new_days[now.date()] = min(opened, now) if opened is not None else now
        for day in self._open_days(now):
            if day not in self.checkpoint.plan_start and day not in new_days:
                new_days[day] = None  # a day the producer runs into: the whole day
        for day, start in new_days.items():
            self.checkpoint.plan_start[day] = start
            self._plans.pop(day, None)

        events: list[tuple[str, str, str]] = []  # (stream, key, json)
        entries = dict(self.checkpoint.entries)
        for day in self._open_days(now):
            plan, done = self.plan(day), entries.get(day, 0)
            while done < len(plan) and plan[done].entry_time <= now and len(events) < MAX_EVENTS_PER_STEP:
                visit = plan[done]
                events.append((self.sessions_stream, visit.customer_id, to_json(session_event(visit))))
                events.append((self.realistic_stream, visit.customer_id, to_json(door_event(visit, "entry"))))
                done += 1
            entries[day] = done
        watermark = self.checkpoint.exit_watermark
        caught_up = all(
            entries.get(d, 0) == len(self.plan(d)) or self.plan(d)[entries.get(d, 0)].entry_time > now
            for d in self._open_days(now)
        )
        exits_until = now if caught_up else watermark
        if exits_until is not None:
            exits = sorted(
                (
                    v
                    for d in self._open_days(now)
                    for v in self.plan(d)[: entries.get(d, 0)]
                    if (watermark is None or v.exit_time > watermark) and v.exit_time <= exits_until
                ),
                key=lambda v: v.exit_time,
            )
            events += [(self.realistic_stream, v.customer_id, to_json(door_event(v, "exit"))) for v in exits]
        first_open = self._first_open(now, entries, exits_until)

        pipe = self.redis.pipeline(transaction=True)
        for stream, key, payload in events:
            pipe.xadd(
                stream,
                {STREAM_DATA_FIELD: payload, STREAM_KEY_FIELD: key},
                maxlen=self.maxlen,
                approximate=True,
            )
        mapping = {f"entries:{d.isoformat()}": n for d, n in entries.items() if d >= first_open}
        mapping.update(
            {
                f"plan_start:{d.isoformat()}": (s.isoformat() if s else "")
                for d, s in self.checkpoint.plan_start.items()
                if d >= first_open
            }
        )
        mapping["first_open_day"] = first_open.isoformat()
        if exits_until is not None:
            mapping["exit_watermark"] = exits_until.isoformat()
        pipe.hset(self.checkpoint_key, mapping=mapping)
        stale = [
            f"{kind}:{d.isoformat()}"
            for d in self.checkpoint.plan_start
            if d < first_open
            for kind in ("entries", "plan_start")
        ]
        if stale:
            pipe.hdel(self.checkpoint_key, *stale)
        pipe.execute()

        self.checkpoint.entries = {d: n for d, n in entries.items() if d >= first_open}
        self.checkpoint.plan_start = {d: s for d, s in self.checkpoint.plan_start.items() if d >= first_open}
        self.checkpoint.first_open_day = first_open
        if exits_until is not None:
            self.checkpoint.exit_watermark = exits_until
        for day in [d for d in self._plans if d < first_open]:
            del self._plans[day]
        return len(events)

    def _first_open(self, now: datetime, entries: dict[date, int], exits_until: datetime | None) -> date:
        """The earliest day with an entry still to emit or an exit after the watermark."""
        for day in self._open_days(now):
            plan = self.plan(day)
            if entries.get(day, 0) < len(plan):
                return day
            if exits_until is None or any(v.exit_time > exits_until for v in plan):
                return day
        return now.date()
