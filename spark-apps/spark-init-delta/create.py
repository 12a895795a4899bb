"""Create the Delta tables that do not exist yet; existing tables and their data are left alone."""

from __future__ import annotations

import logging

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from delta.tables import DeltaTable as DeltaApi
from smart_shelf.delta_tables import TABLES, DeltaTable
from smart_shelf.spark_schemas import struct_type

log = logging.getLogger(__name__)


def delta_schema(schema: T.StructType) -> T.StructType:
    """Delta enforces NOT NULL on top-level columns only; nested fields inside arrays become nullable."""

    def relax(data_type: T.DataType) -> T.DataType:
        if isinstance(data_type, T.ArrayType):
            return T.ArrayType(relax(data_type.elementType), containsNull=True)
        if isinstance(data_type, T.StructType):
            return T.StructType([T.StructField(f.name, relax(f.dataType), True) for f in data_type.fields])
        return data_type

    return T.StructType([T.StructField(f.name, relax(f.dataType), f.nullable) for f in schema.fields])


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
