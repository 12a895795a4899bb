"""wh-batch-state-updater: wh_events -> warehouse batch quantities per (shelf_id, batch_code) in
delta/cleansed/wh_batch_state and the compacted topic wh_batch_state.

One query: a WarehouseBatchLedger per shelf on the driver. The raw events and their quarantine
belong to wh-aggregator (one writer per table). Opening batches: ref.warehouse_batches.
"""

from __future__ import annotations

from functools import partial

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from smart_shelf import handover
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import WarehouseBatchSettings
from smart_shelf.spark.ledger import LedgerRules, LedgerSink, ledger_sink, open_copy, start_ledger
from smart_shelf.store.batches import Batches
from spark_apps.wh_aggregator.job import reading, warehouse_readings
from spark_apps.wh_batch_state_updater.rules import WarehouseBatchLedger

JOB = "wh-batch-state-updater"
SETTINGS = WarehouseBatchSettings


def opening_ledgers(settings: WarehouseBatchSettings) -> dict[str, WarehouseBatchLedger]:
    ledgers = {
        r["shelf_id"]: WarehouseBatchLedger(r["shelf_id"], Batches(), settings.sim_start)
        for r in fetch_rows(settings, "SELECT shelf_id FROM ref.warehouse_inventory")
    }
    rows = fetch_rows(
        settings,
        "SELECT shelf_id, batch_code, received_date, expiry_date, batch_quantity_warehouse,"
        " batch_quantity_store FROM ref.warehouse_batches",
    )
    for r in rows:
        ledger = ledgers[r["shelf_id"]]
        ledger.batches.add(
            r["batch_code"], r["batch_quantity_warehouse"], r["received_date"], r["expiry_date"]
        )
        ledger.sent_to_store[r["batch_code"]] = r["batch_quantity_store"]
    return handover.take_over(settings, JOB, ledgers, WarehouseBatchLedger.loads)


def sink(settings: WarehouseBatchSettings) -> LedgerSink:
    return ledger_sink(settings, JOB, "wh_batch_state", settings.topic_wh_batch)


def start(spark: SparkSession, settings: WarehouseBatchSettings) -> list[StreamingQuery]:
    opening = opening_ledgers(settings)
    ledger_sink = sink(settings)
    balances = [row for ledger in opening.values() for row in ledger.rows()]
    rules = LedgerRules(partial(open_copy, opening), WarehouseBatchLedger.loads, reading)
    return start_ledger(
        spark, settings, warehouse_readings(spark, settings), "shelf_id", rules, ledger_sink, balances
    )
