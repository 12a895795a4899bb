"""Retry with backoff: delays, success after failures, and the deadline."""

import pytest

from smart_shelf.retry import backoff_delays, retry


def test_backoff_doubles_and_caps():
    delays = backoff_delays(initial=0.5, maximum=4.0)
    assert [next(delays) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_retry_returns_after_transient_failures():
    calls, slept = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "up"

    assert retry(flaky, what="svc", sleep=slept.append) == "up"
    assert slept == [0.5, 1.0]


def test_retry_gives_up_at_the_deadline():
    now = [0.0]

    def advance(seconds):
        now[0] += seconds

    def always_down():
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        retry(always_down, what="svc", deadline_seconds=3.0, sleep=advance, clock=lambda: now[0])
    assert now[0] <= 3.0
