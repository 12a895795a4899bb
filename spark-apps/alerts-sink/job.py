"""alerts-sink: the `alerts` topic -> delta/ops/alerts and Postgres ops.alerts, upserted by alert_id.

An alert's records (opened, then resolved...) share its alert_id; a status only moves forward
(open < acknowledged < resolved), so a replayed or late older record never reopens an alert. Records
that do not validate, or name a shelf the store does not have, go to delta/quarantine/alerts and
dlq.alerts. Both writes are idempotent upserts, so a replayed micro-batch changes nothing.
"""

from __future__ import annotations

import json
import logging
from functools import partial

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.streaming import StreamingQuery

from delta.tables import DeltaTable
from smart_shelf.contracts import Alert, dead_letter_topic
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import AlertsSinkSettings
from smart_shelf.spark.io import (
    dead_letters_out,
    parse_with_contract,
    read_topic,
    split_valid,
    start_batch_query,
    upsert_postgres,
)
from smart_shelf.spark.raw_sink import KnownKeys, refuse_unknown
from smart_shelf.spark.schemas import local_frame
from smart_shelf.spark.session import delta_path

log = logging.getLogger(__name__)
JOB = "alerts-sink"
SETTINGS = AlertsSinkSettings
REFUSED_SCHEMA = T.StructType([T.StructField("raw", T.StringType()), T.StructField("reason", T.StringType())])
STATUS_RANK = {"open": 0, "acknowledged": 1, "resolved": 2}
COLUMNS = list(Alert.model_fields)


def status_rank(column: str) -> F.Column:
    rank = F.lit(None)
    for status, value in STATUS_RANK.items():
        rank = F.when(F.col(column) == status, value).otherwise(rank)
    return rank


def latest_per_alert(valid: DataFrame) -> DataFrame:
    """One row per alert_id: the furthest status, the latest record among equals.

    valid: Alert columns + offset -> Alert columns (updated_at filled from created_at when absent)
    """
    order = Window.partitionBy("alert_id").orderBy(status_rank("status").desc(), F.col("offset").desc())
    return (
        valid.withColumn("_n", F.row_number().over(order))
        .where("_n = 1")
        .withColumn("updated_at", F.coalesce("updated_at", "created_at"))
        .select(*COLUMNS)
    )


def merge_delta(rows: DataFrame, path: str) -> None:
    """MERGE on alert_id; a matched row is updated only if the status does not move back.

    No txn version: a batch run again merges the same rows, which changes nothing, and Delta's check
    of a txn version rebuilds the table's state from its log on every write (smart_shelf.spark.delta_io).
    """
    (
        DeltaTable.forPath(rows.sparkSession, path)
        .alias("t")
        .merge(rows.alias("s"), "t.alert_id = s.alert_id")
        .whenMatchedUpdateAll(condition=status_rank("s.status") >= status_rank("t.status"))
        .whenNotMatchedInsertAll()
        .execute()
    )


def process_batch(settings: AlertsSinkSettings, known: KnownKeys, batch: DataFrame, batch_id: int) -> int:
    parsed = refuse_unknown(parse_with_contract(batch, Alert), known).persist()
    valid, dead = split_valid(
        parsed.withColumn("event", F.struct("event.*", "offset")), settings.topic_alerts
    )
    rows = latest_per_alert(valid).persist()
    merge_delta(rows, delta_path(settings, "ops", "alerts"))
    written, refused = 0, []
    if settings.write_to_pg:
        written = upsert_postgres(
            rows,
            settings,
            settings.pg_table,
            ["alert_id"],
            update_when="EXCLUDED.status >= t.status",
            on_reject=lambda row, why: refused.append((json.dumps(row, default=str), why)),
        )
    if refused:  # e.g. a second open alert of one kind for a shelf: kept in Delta, refused by Postgres
        log.error("%d alerts refused by %s, first: %s", len(refused), settings.pg_table, refused[0][1])
        refused_rows = local_frame(
            rows.sparkSession, [{"raw": raw, "reason": why} for raw, why in refused], REFUSED_SCHEMA
        )
        dead = dead.unionByName(
            refused_rows.select(
                F.lit(settings.topic_alerts).alias("source"),
                F.concat(F.lit(f"refused by {settings.pg_table}: "), "reason").alias("reason"),
                "raw",
                F.get_json_object("raw", "$[0]").alias("key"),
                F.current_timestamp().alias("failed_at"),
            )
        )
    dead_letters_out(
        dead,
        settings,
        delta_path(settings, "quarantine", "alerts"),
        dead_letter_topic(settings.topic_alerts),
        f"{JOB}/quarantine",
        batch_id,
    )
    rows.unpersist()
    parsed.unpersist()
    return written


def start(spark: SparkSession, settings: AlertsSinkSettings) -> list[StreamingQuery]:
    shelves = fetch_rows(settings, "SELECT shelf_id FROM ref.store_inventory")
    known = KnownKeys.of(F.col("event.shelf_id"), (r["shelf_id"] for r in shelves), "unknown shelf:")
    stream = read_topic(
        spark,
        settings,
        settings.topic_alerts,
        starting_offsets=settings.starting_offsets,
        max_offsets_per_trigger=settings.max_offsets_per_trigger,
    )
    process = partial(process_batch, settings, known)
    return [start_batch_query(stream, process, settings, job=JOB, query="alerts")]
