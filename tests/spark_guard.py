"""A healthy Spark session for every test that needs one, and a deadline that never interrupts py4j.

The tests share one local Spark session (a JVM start costs seconds). Two things used to let one slow
or failing test take the next ones down with it: pytest-timeout's SIGALRM landing inside a py4j call
(the gateway connection was left mid-message), and streaming queries a failed test left running in
the shared session (they held the two cores). So:

- each test that asks for `spark` gets a session that has just answered a one-row job; one that does
  not answer is discarded (its JVM killed) and a new one built;
- the test's deadline is a timer thread: when it fires it stops the session's streaming queries and
  cancels its jobs, so the blocked py4j call returns with an error in the test's own thread, and the
  test fails naming the deadline. pytest-timeout stays as a last resort, GRACE_S later;
- whatever queries a test leaves active are stopped after it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)
GRACE_S = (
    120.0  # pytest-timeout's signal comes this long after the watchdog, only for a test stuck outside Spark
)


class SparkGuard:
    def __init__(self, settings):
        self.settings = settings
        self.session = None
        self.rebuilt = 0

    def healthy(self):
        if self.session is not None and not _answers(self.session):
            log.warning("the shared Spark session does not answer: discarding it and building a new one")
            _discard(self.session)
            self.session = None
            self.rebuilt += 1
        if self.session is None:
            from smart_shelf.spark.session import build_spark

            self.session = build_spark("smart-shelf-tests", self.settings)
        return self.session

    def stop(self) -> None:
        if self.session is not None:
            _discard(self.session)
            self.session = None


def _answers(session) -> bool:
    try:
        return session.range(1).count() == 1
    except Exception as exc:  # noqa: BLE001 - any failure means this session cannot serve the next test
        log.warning("Spark health check failed: %s", exc)
        return False


def _discard(session) -> None:
    """Stop the session and forget its JVM, so that the next build starts a new one."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    with contextlib.suppress(Exception):
        session.stop()
    gateway = SparkContext._gateway
    with contextlib.suppress(Exception):
        gateway.shutdown()
    process = getattr(gateway, "proc", None)
    if process is not None and process.poll() is None:
        process.kill()
    SparkSession._instantiatedSession = None
    SparkSession._activeSession = None
    SparkContext._active_spark_context = None
    SparkContext._gateway = None
    SparkContext._jvm = None


def stop_queries(session) -> list[str]:
    """Stop every active streaming query of the session; their names."""
    stopped = []
    with contextlib.suppress(Exception):
        for query in session.streams.active:
            with contextlib.suppress(Exception):
                stopped.append(query.name or query.id)
                query.stop()
    return stopped


@contextlib.contextmanager
def deadline(session, seconds: float) -> Iterator[threading.Event]:
    """A timer thread that, after `seconds`, stops the session's queries and cancels its jobs. The
    event it yields is set when it fired."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        # log before stopping: once the queries stop, the test may end and close its log capture
        names = []
        with contextlib.suppress(Exception):
            names = [query.name or query.id for query in session.streams.active]
        log.error("Spark deadline of %.0f s passed: stopping %s and cancelling jobs", seconds, names)
        stop_queries(session)
        with contextlib.suppress(Exception):
            session.sparkContext.cancelAllJobs()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
