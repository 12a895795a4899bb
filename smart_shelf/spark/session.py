"""The one place a SparkSession is built: Delta and Kafka jars from jars/spark, small shuffles.

No module starts Spark when imported: call `build_spark` from a job's main().
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from smart_shelf.paths import REPO_ROOT
from smart_shelf.settings import Settings
from smart_shelf.spark.class_archive import archive_option

log = logging.getLogger(__name__)
SCHEDULER_POOLS = REPO_ROOT / "conf" / "spark" / "fairscheduler.xml"
POOL_PROPERTY = "spark.scheduler.pool"
LEDGERS, TABLES, CLOCK = "ledgers", "tables", "clock"  # the pools


# built from conf/jvm/local-fs; on the driver's own class path, not in spark.jars
LOCAL_FS_JAR = "smart-shelf-local-fs.jar"


def spark_jars(settings: Settings) -> list[Path]:
    """The jars handed to Spark through spark.jars (every jar of jars/spark but LOCAL_FS_JAR)."""
    jars = sorted(settings.spark_jars_dir.glob("*.jar"))
    if not any(p.name == LOCAL_FS_JAR for p in jars):
        raise FileNotFoundError(
            f"no {LOCAL_FS_JAR} in {settings.spark_jars_dir}: run `make setup` (or `make jars`) to fetch"
            " and build the jars"
        )
    return [p for p in jars if p.name != LOCAL_FS_JAR]


# The JIT's code cache as large as the optimising compiler's default. With the quick compiler only
# (SPARK_JVM_OPTIONS) the JVM reserves 48 MiB, which a long-running application's generated classes
# fill: its sweeper then flushed and the compiler compiled again, a fifth of the fault day's
# application CPU (docs/benchmarks.md). Reserved address space; memory is committed as code is made.
CODE_CACHE_OPTION = "-XX:ReservedCodeCacheSize=240m"


def driver_java_options(settings: Settings) -> str:
    """The driver JVM's options: UTC, the code cache, then SPARK_JVM_OPTIONS (which may override
    either) and the class archive when there is one."""
    options = (
        f"-Duser.timezone=UTC {CODE_CACHE_OPTION} {settings.spark_jvm_options} {archive_option(settings)}"
    )
    return options.strip()


def build_spark(app_name: str, settings: Settings):
    """A SparkSession with Delta, the Kafka source/sink and the Postgres driver; nothing downloaded."""
    from pyspark.sql import SparkSession

    # Python workers must run the interpreter of this process (the project's venv), not PATH's.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    jars = ",".join(str(p) for p in spark_jars(settings))
    builder = (
        SparkSession.builder.appName(app_name)
        .master(settings.spark_master)
        .config("spark.jars", jars)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # 2 cores: the default 200 shuffle partitions make each micro-batch ~13x slower.
        .config("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
        .config("spark.default.parallelism", str(settings.spark_shuffle_partitions))
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # The status store keeps its history without a UI too: a thousand SQL executions (each with
        # its plan's text and metrics), jobs and stages, and 100,000 tasks by default, which a day of
        # micro-batches fills. Fifty of each is plenty for a log line or a debugger.
        .config("spark.sql.ui.retainedExecutions", "50")
        .config("spark.ui.retainedJobs", "50")
        .config("spark.ui.retainedStages", "50")
        .config("spark.ui.retainedTasks", "1000")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", driver_java_options(settings))
        .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
        # file:// without a process per call (conf/jvm/local-fs): Hadoop's own local file system,
        # lacking its native library, forks `chmod` for each file it creates and `readlink` for each
        # rename through FileContext, about 20 processes per micro-batch's checkpoint and 25 per
        # Delta append
        # (on the JVM's own class path: spark-submit reads local files before it loads spark.jars)
        .config("spark.driver.extraClassPath", str(settings.spark_jars_dir / LOCAL_FS_JAR))
        .config("spark.hadoop.fs.file.impl", "io.smartshelf.hadoop.LocalFileSystemWithoutShell")
        .config("spark.hadoop.fs.AbstractFileSystem.file.impl", "io.smartshelf.hadoop.LocalFsWithoutShell")
        .config("spark.databricks.delta.schema.autoMerge.enabled", "false")
        # a table's state (its log replayed) in one task, not 50: each task generates the code of
        # Delta's deserializers again, which took a quarter of the application's CPU in the fault
        # day; an append and a read of a small table cost half as much (docs/benchmarks.md)
        .config("spark.databricks.delta.snapshotPartitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        # many queries share the cores: a small job (a clock tick, a 3-row MERGE) is not queued
        # behind a large one, as FIFO would
        .config("spark.scheduler.mode", "FAIR")
        # and in pools (scheduler_pool): the ledgers' jobs before the Delta copies nothing waits on
        .config("spark.scheduler.allocation.file", str(SCHEDULER_POOLS))
        # no extra micro-batch after each one only to evict expired dedupe state: the next batch
        # with data does it, which halves the batches run at demo rates
        .config("spark.sql.streaming.noDataMicroBatches.enabled", "false")
        # the dedupe state (event ids of DEDUPE_WINDOW) in RocksDB, off the JVM heap; a commit
        # writes a changelog of the batch instead of a snapshot of the store
        .config(
            "spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        )
        .config("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
        # every store of the application shares one bounded cache and write buffer (else each
        # partition of each query sizes its own)
        .config("spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage", "true")
        .config("spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB", "64")
        # the classes code generation compiled, kept for the plans that come again (each query's
        # micro-batches): the default 100 is fewer than the application's 25 queries use, so every
        # batch compiled its classes again, about 15 a second at 240x (now about one)
        .config("spark.sql.codegen.cache.maxEntries", "5000")
        # whole-stage code generation stays on (the default): off, the ledger bench gained a tenth
        # (within its noise) and the Spark tests' one-off jobs ran 40 % longer (docs/benchmarks.md)
        # one cached Kafka consumer per query and topic partition: the application needs more than
        # the default 64, and past that the pool closed idle ones that the next batch made again
        # ("Pool exceeds its soft max size" every few seconds)
        .config("spark.kafka.consumer.cache.capacity", "512")
        # a ledger's micro-batch comes to the driver as one Arrow transfer, not row by row
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    log.info("spark session %s on %s with %d jars", app_name, settings.spark_master, len(jars.split(",")))
    return spark


@contextlib.contextmanager
def scheduler_pool(spark, pool: str) -> Iterator[None]:
    """Queries started inside run their jobs in `pool` (conf/spark/fairscheduler.xml): a streaming
    query's thread inherits the local properties of the thread that starts it."""
    context = spark.sparkContext
    previous = context.getLocalProperty(POOL_PROPERTY)
    context.setLocalProperty(POOL_PROPERTY, pool)
    try:
        yield
    finally:
        context.setLocalProperty(POOL_PROPERTY, previous)


def checkpoint_path(settings: Settings, job: str, query: str) -> str:
    """One checkpoint per job and query: delta/_checkpoints/<job>/<query>."""
    return str(settings.checkpoint_root / job / query)


def delta_path(settings: Settings, layer: str, table: str) -> str:
    """delta/<layer>/<table>, e.g. delta/raw/shelf_events."""
    return str(settings.delta_root / layer / table)


def trigger(settings: Settings, seconds: float | None = None) -> dict:
    """The keyword arguments of DataStreamWriter.trigger (every SPARK_TRIGGER_SECONDS by default)."""
    if settings.spark_available_now:
        return {"availableNow": True}
    return {"processingTime": f"{seconds or settings.spark_trigger_seconds} seconds"}
