"""The store as it opens: every ledger and watch opened by its own job's start-up code.

The Spark jobs open their per-shelf state from Postgres (ref.* and the policy views, which derive
the policies from the store's data); the producers from the store inventory file. A history opens
through the same functions, so it starts from the balances and policies the live pipeline would.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from kafka_components.kafka_producer_foot_traffic.arrival_model import traffic_from
from kafka_components.kafka_producer_shelf.producer import (
    HANDOVER_JOB,
    catalogue_from_inventory,
    handed_over_stock,
)
from smart_shelf import handover
from smart_shelf import settings as config
from smart_shelf.history.floor import Floor, FloorRules
from smart_shelf.history.operations import Ledgers, Operations, OperationsRules
from smart_shelf.history.record import Lake, Recorder
from smart_shelf.history.simulate import History
from smart_shelf.store.sources import load_inventory, load_weekly_discounts
from spark_apps.batch_state_updater import job as batch_state
from spark_apps.shelf_aggregator import job as shelf_aggregator
from spark_apps.shelf_alert_engine import job as shelf_alert_engine
from spark_apps.shelf_restock_manager import job as restock_manager
from spark_apps.wh_aggregator import job as wh_aggregator
from spark_apps.wh_alert_engine import job as wh_alert_engine
from spark_apps.wh_batch_state_updater import job as wh_batch_state
from spark_apps.wh_supplier_manager import job as supplier_manager
from spark_apps.wh_supplier_manager.rules import Product


def open_ledgers(start: datetime) -> Ledgers:
    """Every job's opening state as of `start`, from Postgres: as the store opens, or where an
    earlier history left it."""
    at = {"sim_start": start}
    settings = config.Settings(**at)
    known, _ = shelf_alert_engine.shelves(config.ShelfAlertEngineSettings(**at))
    wh_policies, _ = wh_alert_engine.policies(config.WarehouseAlertEngineSettings(**at))
    products: dict[str, Product] = supplier_manager.products(config.SupplierManagerSettings(**at))
    shelf_handed = handover.load(settings, shelf_alert_engine.JOB)
    supplier_handed = handover.load(settings, wh_alert_engine.JOB)
    pickers = handover.load(settings, restock_manager.JOB)
    return Ledgers(
        shelves=shelf_aggregator.opening_ledgers(config.ShelfAggregatorSettings(**at)),
        store_batches=batch_state.opening_ledgers(config.BatchStateSettings(**at)),
        warehouse=wh_aggregator.opening_ledgers(config.WarehouseAggregatorSettings(**at)),
        wh_batches=wh_batch_state.opening_ledgers(config.WarehouseBatchSettings(**at)),
        shelf_watches={s: shelf_alert_engine.open_watch(known, s, shelf_handed) for s in known},
        supplier_watches={
            s: wh_alert_engine.open_watch(wh_policies, s, supplier_handed) for s in wh_policies
        },
        products=products,
        pickers={s: restock_manager.open_picker(pickers, s) for s in products},
    )


def open_operations(ledgers: Ledgers, seed: int, lake: Lake) -> Operations:
    """The operations on `ledgers`, with the supplier cycle's open plans and orders taken from the
    lake, where wh-supplier-manager finds them (an earlier history's, if one ran)."""
    ops = Operations(ledgers, operations_rules(seed), Recorder())
    ops.resume_supplier_cycle(lake.rows("ops/wh_supplier_plan"), lake.rows("ops/wh_supplier_orders"))
    return ops


def open_history(
    settings: config.FootTrafficSettings, ops: Operations, floor: Floor | None = None
) -> History:
    """Days of the store on `ops`: the floor from the inventory (unless given), the arrival model and
    the weekly promotions as the producers read them."""
    seed = settings.data_seed
    floor = floor or open_floor(settings, seed)
    return History(floor, ops, traffic_from(settings), seed, load_weekly_discounts(settings))


def open_fresh_history(settings: config.FootTrafficSettings) -> History:
    """A history from SIM_START as the store opens (Postgres' balances and policies), with no earlier
    history's supplier cycle: for runs kept in memory (the parity day, the forecast's evaluations)."""
    start = settings.sim_start
    with tempfile.TemporaryDirectory() as empty:
        ops = open_operations(open_ledgers(start), settings.data_seed, Lake(Path(empty)))
    return open_history(settings, ops)


def hand_over(settings: config.Settings, ledgers: Ledgers, floor: Floor, at: datetime) -> None:
    """Every job's per-shelf state at `at`, for the live jobs to open from (smart_shelf.handover)."""
    states = {
        shelf_aggregator.JOB: ledgers.shelves,
        batch_state.JOB: ledgers.store_batches,
        wh_aggregator.JOB: ledgers.warehouse,
        wh_batch_state.JOB: ledgers.wh_batches,
        shelf_alert_engine.JOB: ledgers.shelf_watches,
        wh_alert_engine.JOB: ledgers.supplier_watches,
        restock_manager.JOB: ledgers.pickers,
    }
    for job, by_shelf in states.items():
        handover.save(settings, job, {shelf: state.dumps() for shelf, state in by_shelf.items()}, at)
    handover.save(settings, HANDOVER_JOB, {shelf: str(units) for shelf, units in floor.stock.items()}, at)


def operations_rules(seed: int) -> OperationsRules:
    supplier = config.SupplierManagerSettings()
    discounts = config.DailyDiscountSettings()
    return OperationsRules(
        seed=seed,
        calendar=supplier_manager.calendar(supplier),
        refill_delay_minutes=config.RefillBridgeSettings().delay_minutes,
        discount_min=discounts.discount_min,
        discount_max=discounts.discount_max,
        remove_mode=config.RemovalSettings().remove_mode,
    )


def open_floor(settings: config.Settings, seed: int) -> Floor:
    """The shelf producer's view of the shelves and the POS producer's prices, from the inventory file.
    The till waits a minute after a customer left, as the POS producer does at any speed."""
    inventory = load_inventory(settings, max_wait_seconds=0)
    catalogue, stock = catalogue_from_inventory(inventory)
    stock.update(handed_over_stock(settings))
    prices = dict(zip(inventory["shelf_id"], inventory["item_price"].astype(float), strict=True))
    shelf = config.ShelfProducerSettings()
    pos = config.PosProducerSettings()
    rules = FloorRules(
        seed=seed,
        putback_prob=shelf.putback_prob,
        grace=timedelta(seconds=60),
        max_age=timedelta(seconds=pos.max_session_age_sec),
    )
    return Floor(catalogue, stock, prices, rules)
