"""Jobs driven by the simulated clock inside a Spark application, and the record of their runs.

`start_clock_query` runs `tick(sim_now)` every `seconds` (real) as a streaming query over Spark's
`rate` source, so a clock job is started, watched and restarted by the runner like any other query.
A tick never assumes it ran before: it asks the clock what time it is and the run record what is
already done.

`delta/ops/job_runs` records each scheduled run (a day's discounts, a cutoff, a delivery) once
its outputs are written: a restart on the same day finds it there and does not run it again. A run
that died before it was recorded runs again; its outputs carry the same ids and keys (upserts and
deterministic event ids), so repeating it changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from simulated_time.clock import ClockNotRunning, make_clock
from smart_shelf.contracts import JobRun
from smart_shelf.settings import Settings
from smart_shelf.spark.io import start_batch_query
from smart_shelf.spark.ops_tables import frame_of
from smart_shelf.spark.session import CLOCK, delta_path

log = logging.getLogger(__name__)


def start_clock_query(
    spark: SparkSession,
    settings: Settings,
    job: str,
    tick: Callable[[datetime], object],
    seconds: float,
    query: str = "clock",
) -> StreamingQuery:
    clock = make_clock(settings)

    def process(_ticks, _batch_id: int) -> None:
        try:
            now = clock.now()
        except ClockNotRunning as exc:
            log.warning("%s: %s; waiting", job, exc)
            return
        tick(now)

    ticks = spark.readStream.format("rate").option("rowsPerSecond", 1).load()
    return start_batch_query(ticks, process, settings, job=job, query=query, seconds=seconds, pool=CLOCK)


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
