"""Create the Delta tables that do not exist yet; existing tables and their data are left alone."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession

from delta.tables import DeltaTable as DeltaApi
from smart_shelf.delta_tables import TABLES, DeltaTable
from smart_shelf.spark.schemas import delta_schema, struct_type

log = logging.getLogger(__name__)


def create_tables(spark: SparkSession, root: str, tables: tuple[DeltaTable, ...] = TABLES) -> list[str]:
    """Returns the paths of the tables it created."""
    created = []
    for spec in tables:
        path = f"{root}/{spec.relative_path}"
        if DeltaApi.isDeltaTable(spark, path):
            continue
        DeltaApi.createIfNotExists(spark).location(path).addColumns(
            delta_schema(struct_type(spec.model))
        ).execute()
        created.append(path)
        log.info("created %s", path)
    return created
