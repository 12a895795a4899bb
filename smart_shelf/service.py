"""What every long-running service does at start and stop: settings, logging, signals."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import TypeVar

from smart_shelf.contracts import Event, InvalidEvent, parse_event
from smart_shelf.logs import configure_logging
from smart_shelf.retry import OutageGuard
from smart_shelf.settings import Settings, log_settings

S = TypeVar("S", bound=Settings)
T = TypeVar("T")
log = logging.getLogger(__name__)


def start_service(name: str, settings_class: type[S] = Settings) -> S:
    """Load and validate settings, set up logging, log the effective settings (secrets masked)."""
    settings = settings_class()
    configure_logging(settings.log_level)
    log_settings(settings, name)
    return settings


class StopSignal:
    """Set by SIGTERM or SIGINT: loops finish their current step and exit cleanly."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum, _frame) -> None:
        log.info("signal %d: stopping after the current step", signum)
        self.requested = True


def outage_guard(name: str, settings: Settings, stop: StopSignal) -> OutageGuard:
    """The service's guard against Redis, Kafka and Postgres outages (backoff up to RETRY_MAX_SECONDS)."""
    return OutageGuard(name, max_delay=settings.retry_max_seconds, stopping=lambda: stop.requested)


def run_until_up(guard: OutageGuard, stop: StopSignal, step: Callable[[], T]) -> T | None:
    """Run a start-up step through outages until it succeeds (None if stopped first)."""
    while not stop.requested:
        done, result = guard.run(lambda: (True, step())) or (False, None)
        if done:
            return result
    return None


def consume(
    consumer, model: type[Event], handle: Callable[[Event], object], *, max_records: int = 1000
) -> int:
    """Poll once, hand each valid record to `handle`, then commit: offsets move only after the
    handler stored its effect. Invalid records are logged and skipped. Returns the records seen.

    When a handler or the commit fails (Redis or Kafka away), the consumer is moved back to the
    batch's first offsets, so the next poll hands the same records again: handlers are idempotent."""
    batch = consumer.poll(timeout_ms=0, max_records=max_records)
    seen = 0
    try:
        for records in batch.values():
            for record in records:
                seen += 1
                try:
                    event = parse_event(model, record.value)
                except InvalidEvent as exc:
                    log.error("skipping invalid record %s@%d: %s", record.topic, record.offset, exc.reason)
                    continue
                handle(event)
        if seen:
            consumer.commit()
    except Exception:
        for partition, records in batch.items():
            if records:
                consumer.seek(partition, records[0].offset)
        raise
    return seen
