"""Jobs driven by the simulated clock inside a Spark application, and the record of their runs.

`start_clock_query` runs `tick(sim_now)` every `seconds` (real) in a thread of the driver
(`ClockJob`), which answers like a streaming query (name, isActive, exception, stop, progress), so a
clock job is started, watched and restarted by the Spark application like any other query. It is
not a query over Spark's `rate` source any more: that planned and logged a micro-batch per tick
for nothing, beside the ledgers' batches on the same two cores. A tick's own Spark jobs run in the
`clock` scheduler pool. A tick never assumes it ran before: it asks the clock what time it is and
the run record what is already done.

`delta/ops/job_runs` records each scheduled run (a day's discounts, a cutoff, a delivery) once
its outputs are written: a restart on the same day finds it there and does not run it again. A run
that died before it was recorded runs again; its outputs carry the same ids and keys (upserts and
deterministic event ids), so repeating it changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from simulated_time.clock import ClockNotRunning, make_clock
from smart_shelf.contracts import JobRun
from smart_shelf.settings import Settings
from smart_shelf.spark.ops_tables import frame_of
from smart_shelf.spark.session import CLOCK, delta_path, scheduler_pool

log = logging.getLogger(__name__)


def start_clock_query(
    spark: SparkSession,
    settings: Settings,
    job: str,
    tick: Callable[[datetime], object],
    seconds: float,
    query: str = "clock",
) -> ClockJob:
    clock_job = ClockJob(f"{job}-{query}", spark, make_clock(settings), tick, seconds)
    clock_job.start()
    return clock_job


class ClockJob(threading.Thread):
    """`tick(clock.now())` every `seconds`; a tick that raises ends the job with its exception (the
    application restarts it, as it does a failed query). The progress entries have the fields of
    a streaming query's that the application reports and publishes."""

    def __init__(
        self, name: str, spark: SparkSession, clock, tick: Callable[[datetime], object], seconds: float
    ):
        super().__init__(name=name, daemon=True)
        self.spark, self.clock, self.tick, self.seconds = spark, clock, tick, seconds
        self.runs = 0
        self.recentProgress: deque[dict] = deque(maxlen=100)
        self._stopping = threading.Event()
        self._exception: BaseException | None = None

    def run(self) -> None:
        with scheduler_pool(self.spark, CLOCK):
            while not self._stopping.is_set():  # the first tick at once, as a query's first trigger
                started, at = time.monotonic(), datetime.now(UTC)
                try:
                    now = self.clock.now()
                except ClockNotRunning as exc:
                    log.warning("%s: %s; waiting", self.name, exc)
                else:
                    try:
                        self.tick(now)
                    except Exception as exc:  # noqa: BLE001 - the application logs it and restarts the job
                        self._exception = exc
                        return
                    self._record(at, time.monotonic() - started)
                self._stopping.wait(self.seconds)

    def _record(self, at: datetime, seconds: float) -> None:
        self.recentProgress.append({
            "batchId": self.runs,
            "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "numInputRows": 0,
            "durationMs": {"triggerExecution": round(seconds * 1000)},
        })  # fmt: skip
        self.runs += 1

    @property
    def isActive(self) -> bool:
        return self.is_alive()

    @property
    def lastProgress(self) -> dict | None:
        return self.recentProgress[-1] if self.recentProgress else None

    def exception(self) -> BaseException | None:
        return self._exception

    def stop(self) -> None:
        """After the tick under way, if any."""
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join()


class ScheduledRuns:
    """The recorded runs of one job (delta/ops/job_runs), cached so that a tick reads the table once
    per run key."""

    def __init__(self, spark: SparkSession, settings: Settings, job: str):
        self.spark, self.job, self.done = spark, job, set()
        self.path = delta_path(settings, "ops", "job_runs")

    def pending(self, run_key: str) -> bool:
        if run_key in self.done:
            return False
        runs = self.spark.read.format("delta").load(self.path)
        if runs.where((F.col("job") == self.job) & (F.col("run_key") == run_key)).limit(1).count():
            self.done.add(run_key)
            return False
        return True

    def finish(self, run_key: str, sim_time: datetime, summary: str) -> None:
        row = JobRun(job=self.job, run_key=run_key, sim_time=sim_time, summary=summary)
        frame_of(self.spark, [row], JobRun).write.format("delta").mode("append").save(self.path)
        self.done.add(run_key)
        log.info("%s %s at %s: %s", self.job, run_key, sim_time.isoformat(), summary)
