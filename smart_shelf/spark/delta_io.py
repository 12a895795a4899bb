"""Delta helpers for streaming jobs: writes that run once per micro-batch (txnAppId/txnVersion)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from pyspark.sql import DataFrame, SparkSession

from delta.tables import DeltaTable

TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
TXN_VERSION = "spark.databricks.delta.write.txnVersion"


@contextlib.contextmanager
def delta_transaction(spark: SparkSession, app_id: str, version: int) -> Iterator[None]:
    """Delta writes inside run at most once per (app_id, version): a replayed batch is skipped."""
    spark.conf.set(TXN_APP_ID, app_id)
    spark.conf.set(TXN_VERSION, str(version))
    try:
        yield
    finally:
        spark.conf.unset(TXN_APP_ID)
        spark.conf.unset(TXN_VERSION)


def upsert(path: str, rows: DataFrame, keys: Sequence[str], *, app_id: str, version: int) -> None:
    """MERGE rows on keys (update every column, insert new keys), once per (app_id, version).

    The txn settings go on the rows' own session: inside foreachBatch that is the query's clone,
    so queries running side by side in one application do not see each other's settings.
    """
    condition = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    spark = rows.sparkSession
    with delta_transaction(spark, app_id, version):
        (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(rows.alias("s"), condition)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
