"""A clock job on the driver: ticks on the simulated clock, in the clock scheduler pool, and answers
the Spark application like a streaming query (active, failed with its exception, stopped)."""

import threading
import time
from datetime import UTC, datetime

from simulated_time.clock import ClockNotRunning
from smart_shelf.spark.clock import ClockJob
from smart_shelf.spark.session import CLOCK, POOL_PROPERTY

NOW = datetime(2026, 1, 1, 9, tzinfo=UTC)


class _Context:
    """The part of a SparkContext a clock job touches: thread-local properties."""

    def __init__(self):
        self.local = threading.local()

    def getLocalProperty(self, key):  # noqa: N802 - SparkContext's name
        return getattr(self.local, key.replace(".", "_"), None)

    def setLocalProperty(self, key, value):  # noqa: N802
        setattr(self.local, key.replace(".", "_"), value)


class _Spark:
    def __init__(self):
        self.sparkContext = _Context()


class _Clock:
    def __init__(self, running=True):
        self.running = running

    def now(self):
        if not self.running:
            raise ClockNotRunning("the clock has not started")
        return NOW


def _until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


def test_it_ticks_at_the_clock_s_time_in_the_clock_pool_and_stops():
    spark, seen = _Spark(), []
    job = ClockJob(
        "job-clock",
        spark,
        _Clock(),
        lambda now: seen.append((now, spark.sparkContext.getLocalProperty(POOL_PROPERTY))),
        0.01,
    )
    job.start()
    assert _until(lambda: len(seen) >= 3)
    assert job.isActive and job.exception() is None
    job.stop()
    assert not job.isActive
    assert set(seen) == {(NOW, CLOCK)}
    assert (
        job.lastProgress["batchId"] == job.runs - 1 and "triggerExecution" in job.lastProgress["durationMs"]
    )


def test_a_tick_that_raises_ends_the_job_with_its_exception():
    def tick(_now):
        raise ConnectionError("postgres is down")

    job = ClockJob("job-clock", _Spark(), _Clock(), tick, 0.01)
    job.start()
    assert _until(lambda: not job.isActive)
    assert isinstance(job.exception(), ConnectionError)


def test_a_clock_not_running_yet_is_waited_for():
    clock, seen = _Clock(running=False), []
    job = ClockJob("job-clock", _Spark(), clock, seen.append, 0.01)
    job.start()
    time.sleep(0.1)
    assert job.isActive and seen == []
    clock.running = True
    assert _until(lambda: seen)
    job.stop()


def test_the_first_tick_comes_at_once_not_after_the_first_interval():
    seen = []
    job = ClockJob("job-clock", _Spark(), _Clock(), seen.append, 3600)
    job.start()
    assert _until(lambda: seen)
    job.stop()  # does not wait out the hour
    assert not job.isActive
