"""The shared session's guard (tests/spark_guard.py): a deadline stops a blocked Spark call from its own
thread, leaving a session that still answers; a session whose JVM died is replaced."""

import time

import pytest
from pyspark import SparkContext

from tests.spark_guard import deadline


def _sleep_forever(frames):
    for frame in frames:
        time.sleep(3600)
        yield frame


def test_a_deadline_cancels_the_blocked_job_and_the_session_still_answers(spark):
    stuck = spark.range(0, 2, 1, 2).mapInPandas(_sleep_forever, "id long")
    started = time.monotonic()
    with deadline(spark, 3) as fired, pytest.raises(Exception, match="cancel"):
        stuck.count()
    assert fired.is_set()
    assert time.monotonic() - started < 120  # the job was cancelled, not waited out
    assert spark.range(5).count() == 5


def test_a_query_left_running_is_stopped_by_the_deadline(spark, tmp_path):
    query = spark.readStream.format("rate").load().writeStream.format("noop").start()
    with deadline(spark, 2) as fired:
        query.awaitTermination(120)  # returns once the watchdog stopped it
    assert fired.is_set() and not query.isActive
    assert spark.streams.active == []


def test_a_session_whose_jvm_died_is_replaced(spark_guard):
    spark_guard.healthy()
    rebuilt = spark_guard.rebuilt
    process = SparkContext._gateway.proc
    process.kill()
    process.wait(timeout=60)
    session = spark_guard.healthy()
    assert spark_guard.rebuilt == rebuilt + 1
    assert session.range(3).count() == 3
