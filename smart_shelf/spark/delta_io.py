"""Delta helpers for streaming jobs: MERGEs, once per micro-batch (txnAppId/txnVersion) where a replay
would write other rows."""

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


def upsert(
    path: str, rows: DataFrame, keys: Sequence[str], *, app_id: str | None = None, version: int | None = None
) -> None:
    """MERGE rows on keys (update every column, insert new keys); once per (app_id, version) when
    given.

    The txn settings go on the rows' own session: inside foreachBatch that is the query's clone,
    so queries running side by side in one application do not see each other's settings. Without
    them the MERGE skips reading which transactions the table has seen: Delta 3.3 rebuilds the
    table's whole state from its log to answer that, a Spark job per write. A MERGE whose rows are
    the same when it is run again (a mirror's latest row per key of a fixed offset range) needs no
    such check.
    """
    if (app_id is None) != (version is None):
        raise ValueError("app_id and version go together")
    condition = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    spark = rows.sparkSession
    once = delta_transaction(spark, app_id, version) if app_id is not None else contextlib.nullcontext()
    with once:
        (
            DeltaTable.forPath(spark, path)
            .alias("t")
            .merge(rows.alias("s"), condition)
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
