"""Rows of the operational tables as contract objects: read from Delta, written to Delta and Postgres.

For the jobs scheduled on the simulated clock, which handle a few hundred rows per run: a table's
rows come back as validated models (timestamps as JSON with their offset, never naive), and rows are
written by MERGE on the table's keys, so writing the same rows again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from smart_shelf import delta_tables
from smart_shelf.contracts import Event
from smart_shelf.settings import Settings
from smart_shelf.spark.delta_io import upsert
from smart_shelf.spark.io import upsert_postgres
from smart_shelf.spark.schemas import local_frame, struct_type
from smart_shelf.spark.session import delta_path


def read_rows(
    spark: SparkSession, settings: Settings, layer: str, name: str, where: Column | None = None
) -> list:
    table = delta_tables.table(layer, name)
    frame = spark.read.format("delta").load(delta_path(settings, layer, name))
    if where is not None:
        frame = frame.where(where)
    values = frame.select(F.to_json(F.struct(*frame.columns)).alias("v")).collect()
    return [table.model.model_validate_json(row.v) for row in values]


def frame_of(spark: SparkSession, rows: Sequence[Event], model: type[Event]) -> DataFrame:
    return local_frame(spark, [r.model_dump(mode="json") for r in rows], struct_type(model))


def write_rows(
    spark: SparkSession,
    settings: Settings,
    layer: str,
    name: str,
    rows: Sequence[Event],
    *,
    app_id: str,
    version: int,
    pg_table: str | None = None,
) -> None:
    """MERGE the rows into delta/<layer>/<name> on its keys (once per app_id and version), then upsert
    them into `pg_table` when given."""
    if not rows:
        return
    table = delta_tables.table(layer, name)
    frame = frame_of(spark, rows, table.model)
    upsert(delta_path(settings, layer, name), frame, table.keys, app_id=app_id, version=version)
    if pg_table:
        upsert_postgres(frame, settings, pg_table, list(table.keys))
