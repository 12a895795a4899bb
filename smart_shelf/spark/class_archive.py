"""A class data sharing archive for the Spark JVMs (`make setup` writes it, every session maps it).

A Spark JVM loads, parses and verifies the classes of Spark, Delta, Hadoop and Kafka before its
first job: about 5 of the 30 seconds and CPU seconds a session's start and first Delta and
streaming work take here. The JVM can instead map them from an archive that a JVM running the same
work wrote at its exit (`-XX:ArchiveClassesAtExit`, JDK 13+). The JVM checks the archive against
itself and its class path; another JDK or other jars make it run without the archive, not fail.

`python -m smart_shelf.spark.class_archive [PATH]` writes it (SPARK_CLASS_ARCHIVE by default).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from smart_shelf.settings import Settings, get_settings

log = logging.getLogger(__name__)
DUMP_FLAG = "--dump"


def archive_option(settings: Settings) -> str:
    """The JVM option that maps the archive, or "" when there is none (not made yet, or turned off)."""
    path = settings.spark_class_archive
    if path is None or not path.is_file():
        return ""
    return f"-XX:SharedArchiveFile={path}"


def write_archive(path: Path, timeout_s: float = 600) -> None:
    """Run the jobs' kind of work in a Spark JVM of its own that dumps its classes to `path` at exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="class-archive-", dir=path.parent) as work:
        dumped = Path(work) / path.name
        # a child process: the JVM writes the archive as it exits, after the Python driver let it go
        done = subprocess.run(
            [sys.executable, "-m", "smart_shelf.spark.class_archive", DUMP_FLAG, str(dumped), work],
            env={**os.environ, "SPARK_CLASS_ARCHIVE": ""},
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if done.returncode != 0 or not dumped.is_file():
            raise RuntimeError(f"no class archive written (exit {done.returncode}): {done.stderr[-2000:]}")
        os.replace(dumped, path)


def _dump(settings: Settings, dumped: Path, work: Path) -> None:
    """Delta appends, a MERGE, reads, JSON parsing, Arrow to pandas and a checkpointed stream: the
    classes of what the jobs do; then the JVM exits and writes them out."""
    from smart_shelf.spark.delta_io import upsert
    from smart_shelf.spark.io import append_delta
    from smart_shelf.spark.session import build_spark

    options = f"{settings.spark_jvm_options} -XX:ArchiveClassesAtExit={dumped}"
    spark = build_spark(
        "smart-shelf-class-archive", settings.model_copy(update={"spark_jvm_options": options})
    )
    from pyspark.sql import functions as F

    table = str(work / "table")
    rows = spark.range(100).select("id", F.to_json(F.struct(F.col("id").alias("n"))).alias("value"))
    for batch_id in range(2):
        append_delta(rows, table, "class-archive", batch_id)
    upsert(table, rows, ["id"], app_id="class-archive/merge", version=0)
    spark.read.format("delta").load(table).select(F.from_json("value", "n long").alias("r")).toPandas()
    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 50)
        .load()
        .dropDuplicates(["value"])
        .writeStream.foreachBatch(lambda batch, _: batch.toPandas())
        .option("checkpointLocation", str(work / "checkpoint"))
        .trigger(processingTime="1 second")
        .start()
    )
    query.awaitTermination(8)  # a few micro-batches
    query.stop()
    jvm = spark.sparkContext._gateway.proc
    spark.stop()
    jvm.stdin.close()  # the gateway JVM exits at the end of its input, writing the archive
    jvm.wait(timeout=300)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    if argv[:1] == [DUMP_FLAG]:
        _dump(settings, Path(argv[1]), Path(argv[2]))
        return 0
    target = Path(argv[0]) if argv else settings.spark_class_archive
    if target is None:
        log.error("no archive path: give one, or set SPARK_CLASS_ARCHIVE")
        return 2
    write_archive(target)  # without a JDK, the error Spark's launcher gave ends the RuntimeError
    log.info("class archive written: %s (%.0f MiB)", target, target.stat().st_size / 2**20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
