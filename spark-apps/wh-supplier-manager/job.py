"""wh-supplier-manager: the supplier cycle on the simulated clock.

At each cutoff (CUTOFF_DOWS at CUTOFF_HOUR:CUTOFF_MINUTE; reference Sun, Tue, Thu 12:00) the pending
supplier plans (the latest value of each on `wh_supplier_plan`, as fresh as the alert engine and
the inference service that write them) become orders for the next delivery slot, written to
delta/ops/wh_supplier_orders and Postgres ops.wh_supplier_orders; the plans move to issued on
`wh_supplier_plan`. At each delivery slot (DELIVERY_DOWS at DELIVERY_HOUR:DELIVERY_MINUTE; reference
Mon, Wed, Fri 08:00) the orders due are received: a `wh_in` event with a new batch per order on
`wh_events`, a receipt in delta/ops/wh_supplier_receipts and ops.wh_supplier_receipts, the order
delivered and the plan completed. Each cutoff and delivery runs once (delta/ops/job_runs); a run
repeated after a crash rewrites the same keys and sends the same event ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from smart_shelf.contracts import WarehouseState, WarehouseSupplierPlan
from smart_shelf.kafka_client import latest_rows, make_producer, send_events
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.settings import SupplierManagerSettings
from smart_shelf.spark.clock import ClockJob, ScheduledRuns, start_clock_query
from smart_shelf.spark.ops_tables import read_rows, write_rows
from smart_shelf.store.calendar import SupplierCalendar, parse_weekdays
from spark_apps.wh_supplier_manager.rules import Product, orders_at_cutoff, receive
from store_data.catalogue import PERISHABLE

log = logging.getLogger(__name__)
JOB = "wh-supplier-manager"
SETTINGS = SupplierManagerSettings
PlanFilter = Callable[[WarehouseSupplierPlan], bool]


def every_plan(_plan: WarehouseSupplierPlan) -> bool:
    return True


def no_plan(_plan: WarehouseSupplierPlan) -> bool:
    return False


def calendar(settings: SupplierManagerSettings) -> SupplierCalendar:
    return SupplierCalendar(
        parse_weekdays(settings.cutoff_dows),
        time(settings.cutoff_hour, settings.cutoff_minute),
        parse_weekdays(settings.delivery_dows),
        time(settings.delivery_hour, settings.delivery_minute),
    )


def products(settings: SupplierManagerSettings) -> dict[str, Product]:
    rows = fetch_rows(
        settings,
        "SELECT shelf_id, maximum_stock, standard_batch_size, item_category FROM ref.warehouse_inventory",
    )
    return {
        r["shelf_id"]: Product(
            r["shelf_id"], r["maximum_stock"], r["standard_batch_size"], r["item_category"] in PERISHABLE
        )
        for r in rows
    }


class SupplierCycle:
    """The cutoff and delivery runs of one job instance (its Spark session, producer and run record)."""

    def __init__(self, spark: SparkSession, settings: SupplierManagerSettings, producer=None):
        self.spark, self.settings = spark, settings
        self.calendar, self.products = calendar(settings), products(settings)
        self.runs = ScheduledRuns(spark, settings, JOB)
        self.producer = producer or make_producer(settings, deadline_seconds=120)
        self.pg = "ops.wh_supplier_orders" if settings.write_to_pg else None

    def tick(self, now: datetime) -> None:
        cutoff = self.calendar.latest_cutoff(now)
        if self.runs.pending(f"cutoff:{cutoff.isoformat()}"):
            plans = self.plans()  # one read of the topic serves the wait and the orders
            which = self.plans_to_order(cutoff, now, plans)
            if which is not None:
                self.cutoff(cutoff, plans, which)
        delivery = self.calendar.latest_delivery(now)
        if self.runs.pending(f"delivery:{delivery.isoformat()}"):
            self.deliver(delivery)

    def plans(self) -> list[WarehouseSupplierPlan]:
        """Each product's latest plan as its topic says now (the topic is keyed by product): the Delta
        mirror lags by its trigger (hours of simulated time at high multipliers), which would push
        the latest plans to a later cutoff."""
        return latest_rows(self.settings, self.settings.topic_wh_supplier_plan, WarehouseSupplierPlan)

    def plans_to_order(
        self, cutoff: datetime, now: datetime, plans: list[WarehouseSupplierPlan]
    ) -> PlanFilter | None:
        """Which pending plans the cutoff orders; None: not yet.

        ORDER_POLICY=rule: every pending plan. ORDER_POLICY=ml: only the inference service's plans for
        this cutoff (those made at its run), and the cutoff waits until they are all on the plans'
        topic (the service may still be sending them) for up to FORECAST_WAIT_MINUTES of simulated
        time, then orders those there are and says what was missing. A refused run, or none at all: no order
        from the model, so none at all (a plan left pending from before the switch is not ordered)."""
        if self.settings.order_policy != "ml":
            return every_plan
        runs = fetch_rows(
            self.settings,
            "SELECT status, orders, ran_at, reason FROM analytics.ml_inference_runs WHERE cutoff_ts = %s "
            "ORDER BY ran_at DESC LIMIT 1",
            (cutoff,),
        )
        late = now - cutoff >= timedelta(minutes=self.settings.forecast_wait_minutes)
        if runs and (runs[0]["status"] != "ok" or runs[0]["orders"] == 0):
            log.warning("cutoff %s: no orders from the model: %s", cutoff.isoformat(), runs[0]["reason"])
            return no_plan
        if runs:
            ran_at = runs[0]["ran_at"]
            made = lambda plan: plan.created_at == ran_at  # noqa: E731
            recorded = sum(1 for plan in plans if made(plan))
            if recorded >= runs[0]["orders"]:
                return made
            what, which = f"{recorded} of the forecast's {runs[0]['orders']} plans recorded", made
        else:
            what, which = "no inference run for it", no_plan
        if late:
            log.warning("cutoff %s: %s after %s; ordering those", cutoff.isoformat(), what, now - cutoff)
            return which
        log.info("cutoff %s: %s yet; waiting", cutoff.isoformat(), what)
        return None

    def cutoff(self, cutoff: datetime, plans: list[WarehouseSupplierPlan], which: PlanFilter) -> None:
        pending = [plan for plan in plans if plan.status == "pending" and which(plan)]
        placed = orders_at_cutoff(pending, cutoff, self.calendar.delivery_for(cutoff))
        orders = [order for order, _ in placed]
        write_rows(
            self.spark, self.settings, "ops", "wh_supplier_orders", orders,
            app_id=f"{JOB}/orders_placed", version=int(cutoff.timestamp()), pg_table=self.pg,
        )  # fmt: skip
        send_events(self.producer, self.settings.topic_wh_supplier_plan, [plan for _, plan in placed])
        units = sum(o.ordered_qty for o in orders)
        self.runs.finish(f"cutoff:{cutoff.isoformat()}", cutoff, f"{len(orders)} orders, {units} units")

    def deliver(self, slot: datetime) -> None:
        # orders of this slot, and of any slot no tick saw (the job was down, or far behind the clock)
        due = read_rows(
            self.spark, self.settings, "ops", "wh_supplier_orders",
            (F.col("delivery_date") <= slot.date()) & (F.col("status") == "ordered"),
        )  # fmt: skip
        stock = {
            s.shelf_id: s.wh_current_stock
            for s in latest_rows(self.settings, self.settings.topic_wh_state, WarehouseState)
        }
        # the plans by id, from their table: the topic keeps one plan per product (its key), and a
        # forecast's next plan may follow an issued one before it is delivered
        plans = {
            p.supplier_plan_id: p
            for p in read_rows(
                self.spark, self.settings, "ops", "wh_supplier_plan", F.col("status") == "issued"
            )
        }
        seed = self.settings.data_seed
        received = [receive(o, stock.get(o.shelf_id, 0), self.products[o.shelf_id], slot, seed) for o in due]
        send_events(
            self.producer, self.settings.topic_wh_events, [e for _, _, e in received if e is not None]
        )
        receipts = [r for _, r, _ in received]
        write_rows(
            self.spark, self.settings, "ops", "wh_supplier_receipts", receipts,
            app_id=f"{JOB}/receipts", version=int(slot.timestamp()),
            pg_table="ops.wh_supplier_receipts" if self.pg else None,
        )  # fmt: skip
        write_rows(
            self.spark, self.settings, "ops", "wh_supplier_orders", [o for o, _, _ in received],
            app_id=f"{JOB}/orders_delivered", version=int(slot.timestamp()), pg_table=self.pg,
        )  # fmt: skip
        completed = [
            plans[o.supplier_plan_id].model_copy(
                update={"status": "completed", "updated_at": slot, "received_qty": r.received_qty}
            )
            for o, r, _ in received
            if o.supplier_plan_id in plans
        ]
        send_events(self.producer, self.settings.topic_wh_supplier_plan, completed)
        units = sum(r.received_qty for r in receipts)
        self.runs.finish(f"delivery:{slot.isoformat()}", slot, f"{len(receipts)} deliveries, {units} units")


def start(spark: SparkSession, settings: SupplierManagerSettings) -> list[ClockJob]:
    cycle = SupplierCycle(spark, settings)
    return [start_clock_query(spark, settings, JOB, cycle.tick, settings.poll_seconds)]
