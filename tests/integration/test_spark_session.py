"""The shared SparkSession: pinned pandas/Arrow interop, Delta from local jars, small shuffles."""

import pandas as pd
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf


def test_session_uses_the_small_shuffle_and_local_jars(spark, settings):
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.sql.shuffle.partitions") == str(settings.spark_shuffle_partitions)
    assert "delta-spark" in conf.get("spark.jars") and "spark-sql-kafka" in conf.get("spark.jars")
    assert conf.get("spark.ui.enabled") == "false"


def test_pandas_round_trip_and_pandas_udf(spark):
    # Proves the pinned pandas / numpy / pyarrow work with pyspark's Arrow conversion.
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    source = pd.DataFrame({"shelf_id": ["A1", "B2", "C3"], "qty": [1, 2, 3], "price": [1.5, 2.0, 0.25]})

    @pandas_udf("double")
    def line_total(qty: pd.Series, price: pd.Series) -> pd.Series:
        return qty * price

    df = spark.createDataFrame(source).withColumn("total", line_total(F.col("qty"), F.col("price")))
    back = df.orderBy("shelf_id").toPandas()
    assert back["total"].tolist() == [1.5, 4.0, 0.75]
    assert back["shelf_id"].tolist() == ["A1", "B2", "C3"]


def test_delta_append_is_idempotent_per_batch(spark, tmp_path):
    from smart_shelf.spark.io import append_delta

    path = str(tmp_path / "t")
    df = spark.createDataFrame([("a", 1), ("b", 2)], "k string, v int")
    append_delta(df, path, "job/query", 0)
    append_delta(df, path, "job/query", 0)  # the same micro-batch replayed after a crash
    append_delta(df, path, "job/query", 1)
    assert spark.read.format("delta").load(path).count() == 4


def test_a_merge_runs_once_per_version_when_given_one_and_each_time_without(spark, tmp_path):
    from smart_shelf.spark.delta_io import upsert

    path = str(tmp_path / "t")
    spark.createDataFrame([("a", 0)], "k string, v int").write.format("delta").save(path)

    def merge(v: int, **once) -> dict:
        upsert(path, spark.createDataFrame([("a", v)], "k string, v int"), ["k"], **once)
        return {r.k: r.v for r in spark.read.format("delta").load(path).collect()}

    assert merge(1, app_id="job/table", version=0) == {"a": 1}
    assert merge(2, app_id="job/table", version=0) == {"a": 1}  # that version ran: skipped
    assert merge(3) == {"a": 3}  # no version: a mirror's replay MERGEs the same rows again
    assert merge(3) == {"a": 3}


def test_a_delta_table_s_state_is_rebuilt_in_one_task(spark, tmp_path):
    """Delta reads the setting under its own name: were it renamed, the state would be rebuilt in
    50 tasks again, each generating Delta's deserializers, and nothing else would tell."""
    path = str(tmp_path / "t")
    for _ in range(3):
        spark.range(5).write.format("delta").mode("append").save(path)
    log = spark._jvm.org.apache.spark.sql.delta.DeltaLog.forTable(spark._jsparkSession, path)
    snapshot = log.unsafeVolatileSnapshot()
    assert snapshot.numOfFiles() >= 3  # the state read is this table's
    assert snapshot.stateDS().rdd().getNumPartitions() == 1


def test_the_driver_jvm_runs_with_the_configured_heap_and_collector(spark, settings):
    """SPARK_DRIVER_MEMORY and SPARK_JVM_OPTIONS reach the JVM (set after its start, they would not)."""
    jvm = spark.sparkContext._jvm
    arguments = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert set(settings.spark_jvm_options.split()) <= set(arguments), arguments
    collectors = [
        bean.getName() for bean in jvm.java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()
    ]
    if "-XX:+UseParallelGC" in settings.spark_jvm_options.split():
        assert "PS MarkSweep" in collectors, collectors
    max_heap_mib = jvm.java.lang.Runtime.getRuntime().maxMemory() / 2**20
    memory = settings.spark_driver_memory.lower()
    configured_mib = int(memory[:-1]) * {"m": 1, "g": 1024}[memory[-1]]
    assert 0.8 * configured_mib <= max_heap_mib <= configured_mib, (max_heap_mib, configured_mib)


def test_the_driver_jvm_keeps_a_code_cache_a_long_running_application_does_not_fill(spark):
    """With the quick JIT compiler only, the JVM would reserve 48 MiB for compiled code, which the
    application's generated classes fill: its sweeper then flushes code the compiler makes again."""
    jvm = spark.sparkContext._jvm
    management = jvm.java.lang.management.ManagementFactory
    diagnostics = management.getPlatformMXBean(
        jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    )
    reserved = int(diagnostics.getVMOption("ReservedCodeCacheSize").getValue())
    assert reserved >= 240 * 2**20, reserved


def test_the_driver_jvm_maps_the_class_archive_make_setup_wrote(spark, settings):
    """Its classes come from the archive (smart_shelf.spark.class_archive), not loaded and verified
    again: the file is mapped into the JVM's memory. An archive the JVM refused (another JDK, other
    jars) would not be."""
    archive = settings.spark_class_archive
    assert archive is not None and archive.is_file(), f"no {archive}: run make setup"
    pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    with open(f"/proc/{pid}/maps") as maps:
        assert str(archive) in maps.read()


def test_compiled_classes_are_kept_for_plans_that_come_again(spark):
    """A streaming application runs the same plans every micro-batch: once compiled, their classes
    are reused, also when there are more of them than Spark's default cache keeps (100)."""
    from smart_shelf.spark.app import Compilations

    def run_plans():
        for k in range(1, 81):  # each its own code: the literal is compiled into it
            spark.range(50).where(f"id % {k + 1} = 1").selectExpr(f"id * {k} + {k} AS x").collect()

    compiled = Compilations(spark)
    run_plans()
    first = int(compiled.since_last().split()[0])
    run_plans()
    assert first > 100 and compiled.since_last() == "0 classes compiled", first


def test_a_local_frame_holds_its_rows_exactly_and_needs_no_python_worker(spark):
    from datetime import UTC, date, datetime

    from smart_shelf.contracts import PosItem, PosTransaction, WarehouseEvent
    from smart_shelf.spark.schemas import local_frame, struct_type

    sale = PosTransaction(
        event_id="t1", event_type="pos_transaction", transaction_id="t1", customer_id="c1",
        timestamp=datetime(2026, 1, 1, 7, 30, 15, 123456, tzinfo=UTC),
        items=[PosItem(item_id="S1", quantity=2, unit_price=1.25, discount=0.1, total_price=2.25)],
    )  # fmt: skip
    pick = WarehouseEvent(
        event_id="w1", event_type="wh_out", shelf_id="S1", batch_code="B1", qty=3,
        timestamp=datetime(2026, 1, 2, 23, 59, tzinfo=UTC), received_date=date(2025, 12, 30),
        expiry_date=date(2026, 1, 9), plan_id=None, reason="restock",
    )  # fmt: skip
    for row in (sale, pick):
        frame = local_frame(spark, [row.model_dump(mode="json")], struct_type(type(row)))
        micros = {"timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"}  # to_json's default stops at millis
        back = frame.select(F.to_json(F.struct(*frame.columns), micros).alias("v")).collect()
        assert [type(row).model_validate_json(r.v) for r in back] == [row]
        # a Python list through spark.createDataFrame is an RDD that Python workers compute
        assert "ExistingRDD" not in frame._jdf.queryExecution().toString()
    assert local_frame(spark, [], struct_type(WarehouseEvent)).count() == 0


def test_a_record_naming_a_word_however_json_spells_it_is_kept_unparsed_others_dropped(spark):
    import pytest

    from smart_shelf.spark.io import may_name

    values = [
        '{"customer_id":"restock_bot","event_type":"putback"}',  # as written
        '{"customer_id":"\\u0072estock_bot","event_type":"putback"}',  # the same value, escaped
        '{"customer_id":"removal_bot"}',
        '{"customer_id":"c1","event_type":"pickup"}',
        "not json at all",
    ]
    frame = spark.createDataFrame([(v,) for v in values], "value string")
    kept = [r.value for r in frame.where(may_name(F.col("value"), ["restock_bot"])).collect()]
    assert kept == values[:2]
    # and the escaped one parses to the word, which is why it must be kept
    parsed = frame.where(F.get_json_object("value", "$.customer_id") == "restock_bot").count()
    assert parsed == 2
    with pytest.raises(ValueError):
        may_name(F.col("value"), ["a/b"])


def test_a_validated_read_parses_each_record_once_and_gives_every_reason(spark):
    """The filter on `invalid_reason` stays above the one projection that parses: were Spark to push
    it below, `from_json` would be inlined into each check and each record parsed once per check."""
    from smart_shelf.contracts import ShelfEvent
    from smart_shelf.spark.io import parse_with_contract

    good = (
        '{"event_id":"e1","event_type":"pickup","customer_id":"c1","item_id":"I1",'
        '"timestamp":"2026-01-01T10:00:00+00:00","quantity":1,"delta_weight":-0.5}'
    )
    values = {
        good: None,
        None: "empty payload",
        "{poison": "not a JSON object",
        "[1, 2]": "not a JSON object",
        "42": "not a JSON object",
        good.replace('"event_id":"e1",', ""): "event_id: missing or of the wrong type",
        good.replace('"pickup"', '"steal"'): "event_type: not one of",
    }
    frame = spark.createDataFrame([(v,) for v in values], "value string")
    parsed = parse_with_contract(frame, ShelfEvent)
    reasons = {r.value: r.invalid_reason for r in parsed.select("value", "invalid_reason").collect()}
    assert reasons.keys() == values.keys()
    for value, reason in values.items():
        assert (reasons[value] is None) if reason is None else reasons[value].startswith(reason), value
    valid = parsed.where(F.col("invalid_reason").isNull()).select("event.event_id", "event.quantity")
    assert [tuple(r) for r in valid.collect()] == [("e1", 1)]
    plan = valid._jdf.queryExecution().optimizedPlan().toString()
    assert plan.count("from_json(") == 1, plan
    assert plan.count("get_json_object(") == 1, plan
