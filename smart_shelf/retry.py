"""Retry with exponential backoff, logging each failure so a down dependency is visible."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


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
    """Call `action` until it succeeds; give up after `deadline_seconds` (None: never)."""
    started = clock()
    for attempt, delay in enumerate(backoff_delays(maximum=max_delay), start=1):
        try:
            return action()
        except exceptions as exc:
            elapsed = clock() - started
            if deadline_seconds is not None and elapsed + delay > deadline_seconds:
                log.error("%s failed after %d attempts in %.1fs: %s", what, attempt, elapsed, exc)
                raise
            log.warning("%s failed (attempt %d): %s; retrying in %.1fs", what, attempt, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")
