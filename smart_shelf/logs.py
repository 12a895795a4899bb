"""Logging set-up shared by every Python service: one line per record, UTC timestamps."""

from __future__ import annotations

import logging
import sys
import time


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a record comes, not the one it had when made: a test
    run swaps sys.stdout per test and closes the old one, and a thread may log after that."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: str = "INFO") -> None:
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Client libraries are chatty at INFO; their warnings still come through.
    for noisy in ("kafka", "py4j", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # kafka-python logs every failed reconnect (an ERROR a second while a broker is away); the
    # services' outage guard says it once, with how long it lasted (smart_shelf.retry)
    for per_attempt in ("kafka.conn", "kafka.client", "kafka.coordinator", "kafka.producer.sender"):
        logging.getLogger(per_attempt).setLevel(logging.CRITICAL)
