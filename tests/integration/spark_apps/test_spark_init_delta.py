"""spark-init-delta creates the lake's tables without Spark (delta-rs); Spark then reads, appends to
and merges into them as into tables it made itself."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from smart_shelf.delta_tables import TABLES, table
from smart_shelf.spark.delta_io import upsert
from smart_shelf.spark.io import append_delta
from smart_shelf.spark.schemas import delta_schema, struct_type
from spark_apps.spark_init_delta.create import create_tables


def test_every_table_created_once_with_the_contract_schema(spark, tmp_path):
    created = create_tables(tmp_path)
    assert sorted(created) == sorted(f"{tmp_path}/{t.relative_path}" for t in TABLES)
    assert create_tables(tmp_path) == []  # existing tables are left alone
    for spec in TABLES:
        schema = spark.read.format("delta").load(f"{tmp_path}/{spec.relative_path}").schema
        assert schema == delta_schema(struct_type(spec.model)), spec.relative_path


def test_processes_creating_the_same_lake_at_once_all_succeed(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: create_tables(tmp_path), range(4)))
    # each table created once (one first commit), whichever creator won its race
    assert {p for created in results for p in created} == {f"{tmp_path}/{t.relative_path}" for t in TABLES}
    for spec in TABLES:
        log = tmp_path / spec.relative_path / "_delta_log"
        assert [p.name for p in log.glob("*.json")] == ["00000000000000000000.json"], spec.relative_path


def test_spark_appends_and_merges_into_the_created_tables(spark, tmp_path):
    create_tables(tmp_path)
    path = f"{tmp_path}/{table('cleansed', 'shelf_state').relative_path}"
    schema = delta_schema(struct_type(table("cleansed", "shelf_state").model))
    at = datetime(2026, 1, 1, 8, tzinfo=UTC)
    first = spark.createDataFrame([("S-1", 5, 0.5, 2.5, at, 0)], schema)
    append_delta(first, path, "test/init", 0)
    update = spark.createDataFrame([("S-1", 3, 0.5, 1.5, at, 0), ("S-2", 7, 1.0, 7.0, at, 0)], schema)
    upsert(path, update, ["shelf_id"], app_id="test/merge", version=0)
    rows = {r.shelf_id: r.current_stock for r in spark.read.format("delta").load(path).collect()}
    assert rows == {"S-1": 3, "S-2": 7}
    # Spark's commits leave checksums (.crc) beside them: the table is still found, not made again
    assert create_tables(tmp_path) == []
