"""Days of the store in simulated-time order: the floor and the operations, minute by minute.

Each day: at its first moment the day's jobs (near-expiry discounts, removals of expired batches)
and the prices of the day; then every minute the visitors who arrived come in, shoppers act, the
refills due reach their shelves, the customers who left are billed, the supplier cycle runs its
cutoffs and deliveries, and the state rows reach the watches (a micro-batch a minute). At the end
the doors close and the customers inside finish their visit and pay, so nothing stays in a cart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings, plan_day
from kafka_components.kafka_producer_foot_traffic.producer import door_event, session_event
from smart_shelf.contracts import ShelfDay
from smart_shelf.history.floor import Floor
from smart_shelf.history.operations import Operations
from smart_shelf.history.record import Recorder
from smart_shelf.store.pricing import effective_discounts, weekly_discounts_on

STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class DayResult:
    day: date
    customers: int
    transactions: int
    units_sold: int
    revenue: float
    lost_sale_units: int
    shelves_out_of_stock: int  # at the day's close
    refill_units: int
    removed_units: int
    supplier_units: int


@dataclass
class History:
    floor: Floor
    ops: Operations  # its `out` is the Recorder of what the days write
    traffic: TrafficSettings
    seed: int
    weekly_discounts: pd.DataFrame
    end: datetime | None = None  # where the history ended: set once `run` is exhausted

    @property
    def recorder(self) -> Recorder:
        return self.ops.out

    def run(
        self, start: datetime, days: int, flush: Callable[[dict], None] | None = None
    ) -> Iterator[DayResult]:
        """Simulate `days` days from `start`, yielding each day's headline figures; `flush` receives
        each day's events once the day is done. After the last day the customers inside finish."""
        self.ops.mark_supplier_runs_before(start - timedelta(seconds=1))
        self.ops.publish_opening(start)
        moment = start
        for n in range(days):
            day = (start + timedelta(days=n)).date()
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=start.tzinfo)
            if n == days - 1:
                end = min(end, start + timedelta(days=days))
            moment, result = self._day(day, moment, end, start)
            if flush is not None:
                flush(self.recorder.take_events())
            yield result
        self.end = self._close(moment)
        if flush is not None:
            flush(self.recorder.take_events())

    def _day(
        self, day: date, first: datetime, end: datetime, sim_start: datetime
    ) -> tuple[datetime, DayResult]:
        opening = {shelf: ledger.current_stock for shelf, ledger in self.ops.ledgers.shelves.items()}
        tally = _Tally()
        discounts, removals = self.ops.daily(first)
        near_expiry = {row.shelf_id: row.discount for row in discounts}
        self.floor.set_discounts(
            effective_discounts(weekly_discounts_on(self.weekly_discounts, day), near_expiry)
        )
        for order in removals:
            for event in self.floor.carry_out(order, first):
                if event.event_type == "removal":
                    tally.removed[event.item_id] += event.quantity
                self.ops.shelf_event(event)
        visits = [
            v for v in plan_day(self.seed, day, self.traffic, UTC, sim_start) if first <= v.entry_time < end
        ]
        for visit in visits:
            self.recorder.event("foot_traffic", session_event(visit))
            self.recorder.event("foot_traffic_realistic", door_event(visit, "entry"))
            self.recorder.event("foot_traffic_realistic", door_event(visit, "exit"))
        arriving = iter(visits)
        upcoming = next(arriving, None)
        now = first
        while now < end:
            now = min(now + STEP, end)
            while upcoming is not None and upcoming.entry_time <= now:
                self.floor.admit(upcoming)
                upcoming = next(arriving, None)
            self._minute(now, tally)
        return end, self._close_day(day, opening, tally, len(visits))

    def _minute(self, now: datetime, tally: _Tally) -> None:
        for event in self.floor.act_until(now):
            if event.event_type in ("pickup", "putback"):
                tally.taken[event.item_id] += (
                    event.quantity if event.event_type == "pickup" else -event.quantity
                )
            self.ops.shelf_event(event)
        for event in self.ops.refills_due(now):
            if event.event_type == "putback":
                self.floor.restock(event.item_id, event.quantity or 0)
                tally.refilled[event.item_id] += event.quantity or 0
            self.ops.shelf_event(event)
        for transaction in self.floor.checkouts(now):
            tally.transactions += 1
            for item in transaction.items:
                tally.sold[item.item_id] += item.quantity
                tally.revenue[item.item_id] += item.total_price
            self.ops.sale(transaction)
        self.ops.supplier_cycle(now)
        self.ops.settle(now)

    def _close_day(self, day: date, opening: dict[str, int], tally: _Tally, customers: int) -> DayResult:
        lost = self.floor.pop_lost(day)
        closing = {shelf: ledger.current_stock for shelf, ledger in self.ops.ledgers.shelves.items()}
        for shelf in sorted(closing):
            self.recorder.row(
                "shelf_daily",
                ShelfDay(
                    shelf_id=shelf,
                    day=day,
                    stock_open=opening[shelf],
                    stock_close=closing[shelf],
                    units_taken=tally.taken[shelf],
                    units_sold=tally.sold[shelf],
                    revenue=round(tally.revenue[shelf], 2),
                    lost_sale_units=lost.get(shelf, 0),
                    refill_units=tally.refilled[shelf],
                    removed_units=tally.removed[shelf],
                    discount=round(self.floor.discounts.get(shelf, 0.0), 4),
                ),
            )
        received = sum(
            r.received_qty
            for r in self.recorder.rows["wh_supplier_receipts"].values()
            if r.received_date == day
        )
        return DayResult(
            day=day,
            customers=customers,
            transactions=tally.transactions,
            units_sold=sum(tally.sold.values()),
            revenue=round(sum(tally.revenue.values()), 2),
            lost_sale_units=sum(lost.values()),
            shelves_out_of_stock=sum(1 for stock in closing.values() if stock == 0),
            refill_units=sum(tally.refilled.values()),
            removed_units=sum(tally.removed.values()),
            supplier_units=received,
        )

    def _close(self, moment: datetime) -> datetime:
        """The doors are closed: the customers inside finish and pay, the refills on their way arrive;
        returns that moment, where the live store takes over."""
        tally = _Tally()
        while self.floor.customers_inside or self.ops.refills_pending:
            moment += STEP
            self._minute(moment, tally)
        return moment


class _Tally:
    def __init__(self):
        self.taken: Counter = Counter()
        self.sold: Counter = Counter()
        self.revenue: Counter = Counter()
        self.refilled: Counter = Counter()
        self.removed: Counter = Counter()
        self.transactions = 0
