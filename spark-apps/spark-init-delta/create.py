"""Create the Delta tables that do not exist yet; existing tables and their data are left alone.

A table's first commit (protocol and schema, no data) is written by delta-rs (`deltalake`), which
needs no JVM: the 25 tables take a fraction of a second where a Spark session took half a minute
before the pipeline could start. The schema is the one Spark derives from the contracts
(`smart_shelf.spark.schemas`), so Spark reads and writes these tables as if it had made them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from deltalake import DeltaTable as DeltaLog
from deltalake import Schema

from smart_shelf.delta_tables import TABLES, DeltaTable
from smart_shelf.spark.schemas import delta_schema, struct_type

log = logging.getLogger(__name__)
# a commit or a checkpoint in _delta_log: what makes a folder a table
LOG_ENTRY = re.compile(r"\d{20}\.(json|checkpoint(\.\d+\.\d+)?\.parquet)")


def is_table(path: str | Path) -> bool:
    """True when the folder's `_delta_log` holds a commit or a checkpoint. Not delta-rs's
    `is_deltatable`: deltalake 0.22 looks at the first file listed only and says no when that is a
    checksum Spark wrote (delta-io/delta-rs#3115, #3314); creating it then fails on its version 0."""
    log_dir = Path(path, "_delta_log")
    return log_dir.is_dir() and any(LOG_ENTRY.fullmatch(p.name) for p in log_dir.iterdir())


def create_tables(root: str | Path, tables: tuple[DeltaTable, ...] = TABLES) -> list[str]:
    """Returns the paths of the tables it created."""
    created = []
    for spec in tables:
        path = f"{root}/{spec.relative_path}"
        if is_table(path):
            continue
        schema = Schema.from_json(delta_schema(struct_type(spec.model)).json())
        try:
            DeltaLog.create(path, schema=schema, mode="ignore")
        except Exception:
            if is_table(path):  # another process created it first: the same table
                continue
            raise
        created.append(path)
        log.info("created %s", path)
    return created
