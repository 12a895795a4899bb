"""The clock every service reads: simulated (Redis sim:now), wall, or fake (tests).

Rules never read a clock: services pass `clock.now()` in. Sleeping until a sim time polls the clock
with real sleeps scaled by the multiplier, so a service wakes within a few sim seconds of its target.
"""

from __future__ import annotations

import logging
import time as real_time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

import redis

from simulated_time.timeline import format_sim_time
from smart_shelf.retry import backoff_delays
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)

SIM_NOW_KEY = "sim:now"
SIM_TODAY_KEY = "sim:today"
SIM_SPEED_KEY = "sim:speed"  # the running clock's TIME_MULTIPLIER, for readers that show it
# Where the store's simulated time began: SIM_START, or where a history ended. Set once (the first
# clock start after a reset), so the day's customers are planned from it whenever a producer starts.
SIM_OPENED_KEY = "sim:opened"


class ClockNotRunning(RuntimeError):
    """sim:now is not in Redis: the sim-clock service has not started (or the data was reset)."""


class Clock(Protocol):
    def now(self) -> datetime: ...

    def wait_until_running(self) -> datetime: ...

    def today(self) -> date: ...

    def sleep_until(self, moment: datetime) -> None: ...


class WallClock:
    """Real UTC time (USE_SIMULATED_TIME=0)."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()

    def wait_until_running(self) -> datetime:
        return self.now()

    def sleep_until(self, moment: datetime) -> None:
        while (remaining := (moment - self.now()).total_seconds()) > 0:
            real_time.sleep(min(remaining, 1.0))


class RedisClock:
    """Simulated time as published by the sim-clock service."""

    def __init__(self, client: redis.Redis, multiplier: float, max_poll_s: float = 1.0):
        self.redis, self.multiplier, self.max_poll_s = client, multiplier, max_poll_s

    def now(self) -> datetime:
        raw = self.redis.get(SIM_NOW_KEY)
        if raw is None:
            raise ClockNotRunning(f"{SIM_NOW_KEY} is not set: is sim-clock running?")
        return datetime.fromisoformat(raw if isinstance(raw, str) else raw.decode())

    def today(self) -> date:
        return self.now().date()

    def wait_until_running(self) -> datetime:
        """Block (with a log line and backoff) until sim-clock has published the time."""
        for delay in backoff_delays(maximum=5.0):
            try:
                return self.now()
            except ClockNotRunning as exc:
                log.warning("%s; checking again in %.1fs", exc, delay)
                real_time.sleep(delay)
        raise AssertionError("unreachable")

    def sleep_until(self, moment: datetime) -> None:
        while (remaining := (moment - self.now()).total_seconds()) > 0:
            real_time.sleep(min(max(remaining / self.multiplier, 0.01), self.max_poll_s))


class FakeClock:
    """A clock for tests: frozen until advanced; sleeping jumps straight to the target."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.date()

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment

    def wait_until_running(self) -> datetime:
        return self._now

    def sleep_until(self, moment: datetime) -> None:
        self._now = max(self._now, moment)


def make_clock(settings: Settings, client: redis.Redis | None = None) -> Clock:
    """The clock the settings ask for: simulated (needs Redis) unless USE_SIMULATED_TIME=0."""
    if not settings.use_simulated_time:
        return WallClock()
    if client is None:
        from smart_shelf.redis_client import connect_redis

        client = connect_redis(settings)
    return RedisClock(client, settings.time_multiplier)


def opened_at(client: redis.Redis) -> datetime | None:
    raw = client.get(SIM_OPENED_KEY)
    return datetime.fromisoformat(raw) if raw else None


def publish(client: redis.Redis, moment: datetime, speed: float | None = None) -> None:
    """Write sim:now and sim:today (and sim:speed) together (one MULTI), so readers never see them disagree."""
    pipe = client.pipeline(transaction=True)
    pipe.set(SIM_NOW_KEY, format_sim_time(moment))
    pipe.set(SIM_TODAY_KEY, moment.date().isoformat())
    if speed is not None:
        pipe.set(SIM_SPEED_KEY, f"{speed:g}")
    pipe.execute()
