"""Retry with backoff: delays, success after failures, the deadline; what an outage is, and the
guard that rides one out."""

import logging

import psycopg2
import pytest
import redis
import requests
from kafka import errors as kafka_errors

from smart_shelf.retry import DependencyUnavailable, OutageGuard, backoff_delays, outage_of, retry


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


# ---------------------------------------------------------------- outages: what is one, and riding it out


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (
            redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
            "redis",
        ),
        (redis.exceptions.BusyLoadingError("Redis is loading the dataset in memory"), "redis"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "redis"),
        (kafka_errors.KafkaTimeoutError("Timeout waiting for future"), "kafka"),
        (kafka_errors.NoBrokersAvailable(), "kafka"),
        (kafka_errors.CommitFailedError("[Error 25] UnknownMemberIdError"), "kafka"),  # the group moved on
        (
            psycopg2.OperationalError(
                'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
            ),
            "postgres",
        ),
        (psycopg2.InterfaceError("connection already closed"), "postgres"),
        (requests.ConnectionError("Max retries exceeded"), "http"),
        (DependencyUnavailable("kafka", "3 records not acknowledged in 30s"), "kafka"),
    ],
)
def test_a_dependency_that_does_not_answer_is_an_outage(error, dependency):
    assert outage_of(error) == dependency


@pytest.mark.parametrize(
    "error",
    [
        redis.exceptions.AuthenticationError("invalid username-password pair"),
        redis.exceptions.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        kafka_errors.TopicAuthorizationFailedError(),
        kafka_errors.MessageSizeTooLargeError(),
        psycopg2.OperationalError('FATAL:  password authentication failed for user "bdt_user"'),
        psycopg2.OperationalError('FATAL:  database "smart_shelf" does not exist'),
        psycopg2.ProgrammingError('relation "ops.alerts" does not exist'),
        ValueError("a bug"),
    ],
)
def test_a_refusal_or_a_bug_is_not_an_outage(error):
    assert outage_of(error) is None


class _Clock:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_the_guard_backs_off_within_bounds_and_logs_one_line_per_outage(caplog):
    clock = _Clock()
    guard = OutageGuard("svc", max_delay=4.0, sleep=clock.sleep, clock=lambda: clock.now)
    outcomes = iter([redis.exceptions.ConnectionError("refused")] * 5 + ["ok"])

    def step():
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with caplog.at_level(logging.INFO, logger="smart_shelf.retry"):
        results = [guard.run(step) for _ in range(6)]
    assert results == [None] * 5 + ["ok"]
    waits, total = [], 0.0
    for s in clock.slept:  # sleeps come in slices of at most 0.5 s: sum them per attempt
        total += s
        if abs(total - [0.5, 1.0, 2.0, 4.0, 4.0][len(waits)]) < 1e-9:
            waits.append(total)
            total = 0.0
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0]  # doubling, capped at max_delay
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "redis unavailable" in lines[0] and "back after 11.5s (5 attempts)" in lines[1]
    assert guard.down is None and guard.outages == 1


def test_the_guard_lets_anything_else_through():
    guard = OutageGuard("svc", sleep=lambda s: None)
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        guard.run(lambda: (_ for _ in ()).throw(psycopg2.OperationalError("password authentication failed")))


def test_a_stop_request_cuts_the_backoff_short():
    clock = _Clock()
    guard = OutageGuard("svc", max_delay=30.0, stopping=lambda: clock.now >= 1.0, sleep=clock.sleep)
    for _ in range(8):  # delays of 0.5, 1, 2, 4, ... s would add up to over a minute
        guard.run(lambda: (_ for _ in ()).throw(kafka_errors.NoBrokersAvailable()))
    assert clock.now <= 1.5
