"""Riding out a dependency that is briefly away: which errors are outages, bounded exponential backoff,
one log line when an outage starts and one when it ends (not a line, let alone a traceback, per attempt).

- `retry(action)`: call until it succeeds (connecting at start-up; a deadline gives up).
- `OutageGuard.run(step)`: a long-running service's loop step; an outage pauses the loop with backoff
  and the step runs again, anything else propagates (a bug or a refused credential must fail fast).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

# Said by a dependency that is there but refuses us: retrying cannot help.
_REFUSALS = (
    "authentication failed",
    "password",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied",
)


class DependencyUnavailable(RuntimeError):
    """Raised by our own code when a dependency did not answer in time (e.g. Kafka did not
    acknowledge a batch): an outage like a refused connection."""

    def __init__(self, dependency: str, detail: str):
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency


def outage_of(exc: BaseException) -> str | None:
    """The dependency an error says is away ("redis", "kafka", "postgres", "http"), or None when the
    error is not an outage: a wrong password, a missing table, a malformed request, a bug."""
    import psycopg2
    import redis
    import requests
    from kafka import errors as kafka_errors

    if isinstance(exc, DependencyUnavailable):
        return exc.dependency
    if isinstance(exc, redis.exceptions.AuthenticationError):
        return None
    if isinstance(exc, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return "redis"  # BusyLoadingError (a restart replaying its AOF) included
    # the consumer group moved on while we were away (a broker restart, a long pause): the uncommitted
    # records come back after it rejoins, so this is an outage too
    group_changes = (
        kafka_errors.CommitFailedError,
        kafka_errors.UnknownMemberIdError,
        kafka_errors.IllegalGenerationError,
        kafka_errors.RebalanceInProgressError,
    )
    if isinstance(exc, group_changes):
        return "kafka"
    if isinstance(exc, kafka_errors.KafkaError):
        return "kafka" if getattr(exc, "retriable", False) else None
    if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
        message = str(exc).lower()
        return None if any(r in message for r in _REFUSALS) else "postgres"
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return "http"
    if isinstance(exc, ConnectionError | TimeoutError):  # the builtins: sockets
        return "network"
    return None


def backoff_delays(initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0):
    """0.5, 1, 2, 4, ... capped at `maximum`, forever."""
    delay = initial
    while True:
        yield delay
        delay = min(delay * factor, maximum)


def retry(
    action: Callable[[], T],
    *,
    what: str,
    deadline_seconds: float | None = None,
    max_delay: float = 30.0,
    exceptions: tuple[type[BaseException], ...] = (Exception,),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `action` until it succeeds; give up after `deadline_seconds` (None: never). The first
    failure is logged, and the success after failures; the attempts between only at DEBUG."""
    started = clock()
    for attempt, delay in enumerate(backoff_delays(maximum=max_delay), start=1):
        try:
            result = action()
        except exceptions as exc:
            elapsed = clock() - started
            if deadline_seconds is not None and elapsed + delay > deadline_seconds:
                log.error("%s failed after %d attempts in %.1fs: %s", what, attempt, elapsed, exc)
                raise
            level = logging.WARNING if attempt == 1 else logging.DEBUG
            log.log(
                level,
                "%s failed (attempt %d): %s; retrying with backoff up to %.0fs",
                what,
                attempt,
                exc,
                max_delay,
            )
            sleep(delay)
            continue
        if attempt > 1:
            log.info("%s succeeded after %d attempts in %.1fs", what, attempt, clock() - started)
        return result
    raise AssertionError("unreachable")


class OutageGuard:
    """Runs the steps of a service's loop through outages of its dependencies.

    A step that fails because a dependency is away is retried after a pause that doubles up to
    `max_delay`; the service logs one line when the outage starts and one when it ends, with its
    length. A step that fails for any other reason raises. Steps must be safe to run again: they
    resume from durable state (checkpoints, pending stream entries, uncommitted offsets).
    """

    def __init__(
        self,
        service: str,
        *,
        max_delay: float = 30.0,
        stopping: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.service, self.max_delay, self.stopping = service, max_delay, stopping
        self._sleep, self._clock = sleep, clock
        self.down: str | None = None  # the dependency away now
        self.outages = 0
        self._since = 0.0
        self._attempts = 0
        self._delays = backoff_delays(maximum=max_delay)

    def run(self, step: Callable[[], T]) -> T | None:
        """The step's result, or None after an outage (paused; call again)."""
        try:
            result = step()
        except Exception as exc:
            dependency = outage_of(exc)
            if dependency is None:
                raise
            self._failed(dependency, exc)
            return None
        if self.down is not None:
            log.info(
                "%s: %s is back after %.1fs (%d attempts); carrying on",
                self.service, self.down, self._clock() - self._since, self._attempts,
            )  # fmt: skip
            self.down = None
            self._delays = backoff_delays(maximum=self.max_delay)
        return result

    def _failed(self, dependency: str, exc: BaseException) -> None:
        if self.down != dependency:
            if self.down is None:
                self._since, self._attempts = self._clock(), 0
                self.outages += 1
            self.down = dependency
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            log.warning(
                "%s: %s unavailable (%s: %s); retrying with backoff up to %.0fs",
                self.service, dependency, type(exc).__name__, reason[:300], self.max_delay,
            )  # fmt: skip
        self._attempts += 1
        delay = next(self._delays)
        log.debug("%s: %s still unavailable; next attempt in %.1fs", self.service, dependency, delay)
        waited = 0.0
        while waited < delay and not self.stopping():  # a stop request does not wait out the backoff
            step = min(0.5, delay - waited)
            self._sleep(step)
            waited += step
