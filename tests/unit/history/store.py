"""A small store for the history tests: three shelves, their warehouse stock and batches, opened the
way the jobs open them, with a day of 80 customers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pandas as pd

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings
from kafka_components.kafka_producer_shelf.actions import Catalogue
from smart_shelf.history.floor import Floor, FloorRules
from smart_shelf.history.operations import Ledgers, Operations, OperationsRules
from smart_shelf.history.record import Recorder
from smart_shelf.history.simulate import History
from smart_shelf.store.batches import Batches
from smart_shelf.store.calendar import SupplierCalendar
from spark_apps.batch_state_updater.rules import StoreBatchLedger
from spark_apps.shelf_aggregator.rules import ShelfLedger
from spark_apps.shelf_alert_engine.rules import ShelfPolicy, ShelfWatch
from spark_apps.wh_aggregator.rules import WarehouseLedger
from spark_apps.wh_alert_engine.rules import SupplierWatch, WarehousePolicy
from spark_apps.wh_batch_state_updater.rules import WarehouseBatchLedger
from spark_apps.wh_supplier_manager.rules import Product

START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
SHELVES = ("A", "B", "C")
CAPACITY, WH_CAPACITY, BATCH = 20, 100, 10
# shelf A holds a batch that expires on the second day: discounted, then removed the day after
EXPIRES_SOON = date(2026, 1, 2)
CALENDAR = SupplierCalendar((6, 1, 3), time(12), (0, 2, 4), time(8))


def small_store(seed: int = 7, customers: int = 80, reorder_point: int = 30) -> History:
    shelves, store_batches, warehouse, wh_batches = {}, {}, {}, {}
    for n, shelf in enumerate(SHELVES):
        shelves[shelf] = ShelfLedger(shelf, 12, 100.0 + n, START)
        batches = Batches()
        batches.add(f"S-{shelf}", 12, date(2025, 12, 20), EXPIRES_SOON if shelf == "A" else date(2027, 1, 1))
        store_batches[shelf] = StoreBatchLedger(shelf, batches, START, 0.8)
        warehouse[shelf] = WarehouseLedger(shelf, 40, START)
        in_wh = Batches()
        in_wh.add(f"W1-{shelf}", 20, date(2025, 12, 28), date(2026, 6, 1))
        in_wh.add(f"W2-{shelf}", 20, date(2025, 12, 30), date(2026, 3, 1))
        wh_batches[shelf] = WarehouseBatchLedger(shelf, in_wh, START)
    ledgers = Ledgers(
        shelves=shelves,
        store_batches=store_batches,
        warehouse=warehouse,
        wh_batches=wh_batches,
        shelf_watches={s: ShelfWatch(s, CAPACITY, ShelfPolicy()) for s in SHELVES},
        supplier_watches={
            s: SupplierWatch(s, WarehousePolicy(WH_CAPACITY, BATCH, reorder_point)) for s in SHELVES
        },
        products={s: Product(s, WH_CAPACITY, BATCH, perishable=s == "A") for s in SHELVES},
    )
    ops = Operations(ledgers, OperationsRules(seed=seed, calendar=CALENDAR), Recorder())
    catalogue = Catalogue(SHELVES, {s: 100.0 + n for n, s in enumerate(SHELVES)}, np.array([0.5, 0.3, 0.2]))
    floor = Floor(
        catalogue,
        {s: 12 for s in SHELVES},
        {"A": 2.0, "B": 3.5, "C": 1.25},
        FloorRules(seed=seed, grace=timedelta(seconds=60)),
    )
    weekly = pd.DataFrame(
        {"shelf_id": ["B"], "week_start": ["2025-12-29"], "week_end": ["2026-01-04"], "discount": [0.2]}
    )
    traffic = TrafficSettings(daily_customers=customers)
    return History(floor, ops, traffic, seed, weekly)
