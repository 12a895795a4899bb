"""Benchmarks: `make bench` (tests/bench/__main__.py) and the parts it runs, each runnable alone."""

from __future__ import annotations

import signal
import sys


def exit_on(signum: int, _frame=None) -> None:
    """A signal ends the bench as Ctrl-C would, through its `finally` blocks (exit status 128 + signum)."""
    sys.exit(128 + signum)


def stop_on_sigterm() -> None:
    """A SIGTERM (`timeout`, a CI runner) unwinds the bench, so the stacks and Spark applications it
    started are stopped; Python's default would end it on the spot and leave them running."""
    signal.signal(signal.SIGTERM, exit_on)
