"""Create the Delta tables that do not exist yet; existing tables and their data are left alone.

A table's first commit (protocol and schema, no data) is written by delta-rs (`deltalake`), which
needs no JVM: the 25 tables take a fraction of a second where a Spark session took half a minute
before the pipeline could start. The schema is the one Spark derives from the contracts
(`smart_shelf.spark.schemas`), so Spark reads and writes these tables as if it had made them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from deltalake import DeltaTable as DeltaLog
from deltalake import Schema

from smart_shelf.delta_tables import TABLES, DeltaTable
from smart_shelf.spark.schemas import delta_schema, struct_type

log = logging.getLogger(__name__)


def create_tables(root: str | Path, tables: tuple[DeltaTable, ...] = TABLES) -> list[str]:
    """Returns the paths of the tables it created."""
    created = []
    for spec in tables:
        path = f"{root}/{spec.relative_path}"
        if DeltaLog.is_deltatable(path):
            continue
        schema = Schema.from_json(delta_schema(struct_type(spec.model)).json())
        try:
            DeltaLog.create(path, schema=schema, mode="ignore")
        except Exception:
            if DeltaLog.is_deltatable(path):  # another process created it first: the same table
                continue
            raise
        created.append(path)
        log.info("created %s", path)
    return created
