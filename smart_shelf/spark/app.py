"""Runs Spark jobs: one job per process (as its container does) or several in one Spark application
(one JVM, many streaming queries: how the native run fits 2 cores).

A job is a module with `JOB` (its name), `SETTINGS` (its settings class) and
`start(spark, settings) -> list[StreamingQuery | ClockJob]` (a clock job answers like a query).
When a query fails (a broker or database down), its job is logged, stopped and started again from
its checkpoints after a growing pause; the other jobs go on. SIGTERM stops every query between
micro-batches.
"""

from __future__ import annotations

import functools
import importlib
import logging
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType

from smart_shelf.logs import configure_logging
from smart_shelf.settings import Settings, log_settings
from smart_shelf.spark import query_progress
from smart_shelf.spark.ledger import close_running
from smart_shelf.spark.session import build_spark

log = logging.getLogger(__name__)
MAX_RESTART_DELAY_S = 60.0
START_THREADS = 4  # jobs started at once
PUBLISH_EVERY_S = 10.0  # each query's latest batch into Redis, for the dashboard


def job_module(name: str) -> ModuleType:
    """spark-apps/<name>/job.py, e.g. 'shelf-aggregator' -> spark_apps.shelf_aggregator.job."""
    return importlib.import_module(f"spark_apps.{name.replace('-', '_')}.job")


@dataclass
class RunningJob:
    module: ModuleType
    settings: Settings
    queries: list = field(default_factory=list)
    failures: int = 0

    @property
    def name(self) -> str:
        return self.module.JOB

    def failed(self):
        for query in self.queries:
            if not query.isActive and query.exception() is not None:
                return query
        return None


def run_jobs(names: list[str], app_name: str | None = None) -> int:
    modules = [job_module(n) for n in names]
    jobs = [RunningJob(m, m.SETTINGS()) for m in modules]
    first = jobs[0].settings
    configure_logging(first.log_level)
    for job in jobs:
        log_settings(job.settings, job.name)
    spark = build_spark(app_name or "+".join(names), first)
    from spark_apps.spark_init_delta.create import create_tables

    create_tables(first.delta_root)
    stopping = False

    def stop(signum, _frame):
        # only a flag: the handler runs between two Python steps, maybe inside a py4j call
        nonlocal stopping
        log.info("signal %d: stopping", signum)
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # side by side: a job's start waits on Postgres, Kafka and the checkpoints as much as on the cores
    with ThreadPoolExecutor(max_workers=START_THREADS) as starting:
        list(starting.map(functools.partial(_start, spark), jobs))
    log.info("running %s: %d queries", ", ".join(j.name for j in jobs), sum(len(j.queries) for j in jobs))
    next_report = time.monotonic() + first.spark_progress_seconds
    since = datetime.now(UTC)
    compiled = Compilations(spark)
    next_publish = time.monotonic() + PUBLISH_EVERY_S
    while not stopping:
        if time.monotonic() >= next_report:
            next_report += first.spark_progress_seconds
            queries = [q for job in jobs for q in job.queries]
            for query in queries:
                _report(query)
            since = _report_busy(queries, since, compiled)
        if time.monotonic() >= next_publish:
            next_publish = time.monotonic() + PUBLISH_EVERY_S
            _publish(first, [q for job in jobs for q in job.queries])
        if spark.streams.active:
            try:
                spark.streams.awaitAnyTermination(5)
            except Exception:  # noqa: BLE001 - a failed query raises here; it is found and restarted below
                pass
            spark.streams.resetTerminated()
        else:  # only clock jobs (threads of this process, smart_shelf.spark.clock)
            time.sleep(5)
        for job in jobs:
            query = job.failed()
            if query is not None and not stopping:
                _restart(spark, job, query)
    for job in jobs:
        for query in job.queries:
            query.stop()
    close_running()
    spark.stop()
    log.info("stopped")
    return 0


def _report(query) -> None:
    """One line per query: its latest micro-batch, rows in it, how long it took."""
    progress = query.lastProgress
    if not query.isActive or not progress:
        return
    durations = progress["durationMs"]
    # where the batch's time went (addBatch: the batch's own Spark jobs), largest first
    parts = sorted(((ms, name) for name, ms in durations.items() if name != "triggerExecution"), reverse=True)
    log.info(
        "%s: batch %s, %s rows, %.0f rows/s processed, %.1f s (%s)",
        query.name,
        progress["batchId"],
        progress["numInputRows"],
        progress.get("processedRowsPerSecond") or 0.0,
        durations.get("triggerExecution", 0) / 1000,
        ", ".join(f"{name} {ms / 1000:.1f}" for ms, name in parts[:3]),
    )


def _report_busy(queries: list, since: datetime, compiled: Compilations) -> datetime:
    """One line: the queries that spent most time in micro-batches since `since`, the profile of
    where the application's time goes, and the code Spark generated and compiled meanwhile. Returns
    the start of the next interval."""
    now = datetime.now(UTC)
    busy = sorted(
        ((query_progress.busy_seconds(q.recentProgress, since), q.name) for q in queries if q.isActive),
        reverse=True,
    )
    total = sum(seconds for seconds, _ in busy)
    log.info(
        "busy %.0f s in micro-batches over the last %.0f s (%s); most: %s",
        total,
        (now - since).total_seconds(),
        compiled.since_last(),
        ", ".join(f"{name} {seconds:.0f} s" for seconds, name in busy[:6] if seconds),
    )
    return now


class Compilations:
    """How many classes Spark's code generation compiled (Janino), from its metrics: a micro-batch
    whose plan's classes are not in the cache of compiled classes compiles them again."""

    def __init__(self, spark):
        self._metric = spark.sparkContext._jvm.org.apache.spark.metrics.source.CodegenMetrics
        self._count = 0
        self.since_last()  # counted from here; a Spark without the metric says so in the line

    def _read(self) -> int:
        return self._metric.METRIC_COMPILATION_TIME().getCount()

    def since_last(self) -> str:
        try:
            count = self._read()
        except Exception as exc:  # noqa: BLE001 - a diagnostic; never stops the application
            return f"classes compiled: unknown ({exc})"
        line = f"{count - self._count} classes compiled"
        self._count = count
        return line


def _publish(settings: Settings, queries: list) -> None:
    """Best effort: a Redis outage costs the dashboard a refresh, never a query."""
    try:
        summaries = [
            query_progress.summary(q.name, q.lastProgress) for q in queries if q.isActive and q.lastProgress
        ]
        query_progress.publish(_redis(settings), summaries)
    except Exception as exc:  # noqa: BLE001 - reporting must not stop the application
        log.warning("could not publish query progress to Redis: %s", exc)


@functools.cache
def _redis(settings: Settings):
    from smart_shelf.redis_client import connect_redis

    return connect_redis(settings, deadline_seconds=5)


def _start(spark, job: RunningJob) -> None:
    while True:
        try:
            began = time.monotonic()
            job.queries = job.module.start(spark, job.settings)
            log.info("%s: %d queries started in %.1f s", job.name, len(job.queries), time.monotonic() - began)
            return
        except Exception as exc:  # a service down at start: say so, wait, try again
            _pause(job, f"could not start: {exc}")


def _restart(spark, job: RunningJob, query) -> None:
    _pause(job, f"query {query.name} failed: {query.exception()}")
    for other in job.queries:
        other.stop()
    _start(spark, job)


def _pause(job: RunningJob, why: str) -> None:
    job.failures += 1
    delay = min(MAX_RESTART_DELAY_S, 2.0**job.failures)
    log.error("%s: %s; starting it again from its checkpoints in %.0f s", job.name, why, delay)
    time.sleep(delay)
