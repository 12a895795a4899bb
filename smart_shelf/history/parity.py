"""A day of the streaming store beside the same day through the fast-forward engine.

Both run the same rules on the same seed and customers; what may differ is timing. In the streaming
store a refill reaches its shelf once the pipeline has carried the alert, the plan, the pick and the
travel delay through Kafka and Spark (longer across an outage), a removal when the shelf producer
reads its order, and the shelf producer reads the day's near-expiry discounts at its first refresh;
in a history all of it happens within the simulated minute. A customer who then finds a shelf
shorter in one store than in the other acts differently from there on (what they hold differs), and
so may the next customers at the shelves they touch.

`compare` checks exactly what timing cannot touch and names every difference it can:
- the same visitors (customer ids) in both;
- every customer's actions (time, pickup or putback, shelf, units) the same, or their first
  difference explained: at a shelf a refill or a removal reached in either store before it, or one
  an earlier explained difference touched, or before the discounts' first refresh;
- on every shelf no difference reached, the same units taken, sold and lost;
- the same batches removed;
for the customers who came in over the day (everything they did, to their checkout), and reports
the totals (units sold and lost, refills, plans, orders) of both, for bounds.

`python -m smart_shelf.history.parity --out FILE` runs the day from SIM_START in memory (nothing is
written to the lake or Postgres) and writes its record as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from smart_shelf.contracts import (
    REMOVAL_CUSTOMER,
    RESTOCK_CUSTOMER,
    FootTrafficSession,
    PosTransaction,
    ShelfEvent,
    ShelfRestockPlan,
    SupplierOrder,
)
from smart_shelf.settings import FootTrafficSettings

BOTS = (RESTOCK_CUSTOMER, REMOVAL_CUSTOMER)
DISCOUNT_REFRESH = timedelta(hours=1)  # the shelf producer re-reads the day's discounts hourly


@dataclass
class DayRecord:
    """What one store did over the day: visits, shelf events, transactions, lost sales, plans, orders."""

    sessions: list[FootTrafficSession]
    shelf_events: list[ShelfEvent]
    transactions: list[PosTransaction]
    lost_sales: dict[str, int]  # the first day's, per shelf
    plans: list[ShelfRestockPlan]
    orders: list[SupplierOrder]

    def to_json(self) -> str:
        dump = lambda rows: [r.model_dump(mode="json") for r in rows]  # noqa: E731
        return json.dumps(
            {
                "sessions": dump(self.sessions),
                "shelf_events": dump(self.shelf_events),
                "transactions": dump(self.transactions),
                "lost_sales": self.lost_sales,
                "plans": dump(self.plans),
                "orders": dump(self.orders),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> DayRecord:
        raw = json.loads(text)
        load = lambda model, rows: [model.model_validate(r) for r in rows]  # noqa: E731
        return cls(
            sessions=load(FootTrafficSession, raw["sessions"]),
            shelf_events=load(ShelfEvent, raw["shelf_events"]),
            transactions=load(PosTransaction, raw["transactions"]),
            lost_sales={s: int(u) for s, u in raw["lost_sales"].items()},
            plans=load(ShelfRestockPlan, raw["plans"]),
            orders=load(SupplierOrder, raw["orders"]),
        )


Action = tuple[datetime, str, str, int]  # (time, pickup|putback, shelf, units)


@dataclass(frozen=True)
class Divergence:
    customer_id: str
    at: datetime
    shelves: tuple[str, ...]  # the shelf of the differing action in each store
    cause: str | None  # refill, removal, cascade, discounts; None: unexplained


@dataclass
class ParityReport:
    only_streaming: list[str]  # customers
    only_history: list[str]
    customers: int
    same_customers: int
    divergences: list[Divergence]
    undisturbed_shelves: int
    undisturbed_mismatches: list[tuple[str, str, int, int]]  # (shelf, what, streaming, history)
    removed_only_streaming: list[tuple[str, str]]  # (shelf, batch)
    removed_only_history: list[tuple[str, str]]
    orders_in_both: int  # the same product, cutoff and quantity
    orders_only_streaming: list[tuple[str, str, int]]  # (shelf, cutoff, units)
    orders_only_history: list[tuple[str, str, int]]
    totals: dict[str, tuple[int, int]] = field(default_factory=dict)  # what -> (streaming, history)

    @property
    def unexplained(self) -> list[Divergence]:
        return [d for d in self.divergences if d.cause is None]

    @property
    def exact(self) -> bool:
        """Everything timing cannot touch agrees."""
        return not (
            self.only_streaming
            or self.only_history
            or self.unexplained
            or self.undisturbed_mismatches
            or self.removed_only_streaming
            or self.removed_only_history
        )

    def relative_difference(self, what: str) -> float:
        streaming, history = self.totals[what]
        return abs(streaming - history) / max(streaming, history, 1)

    def summary(self) -> str:
        causes = Counter(d.cause or "UNEXPLAINED" for d in self.divergences)
        lines = [
            f"customers: {self.customers} in both, {len(self.only_streaming)} only streaming, "
            f"{len(self.only_history)} only history; {self.same_customers} acted the same, "
            f"{len(self.divergences)} differently ({', '.join(f'{c}: {n}' for c, n in sorted(causes.items()))})",
            f"shelves no difference reached: {self.undisturbed_shelves}, "
            f"{len(self.undisturbed_mismatches)} disagreeing",
            f"removed batches: {len(self.removed_only_streaming)} only streaming, "
            f"{len(self.removed_only_history)} only history",
            f"supplier orders: {self.orders_in_both} in both (product, cutoff, units), "
            f"{len(self.orders_only_streaming)} only streaming, {len(self.orders_only_history)} only history",
        ]
        lines += [
            f"{what}: streaming {s:,}, history {h:,} ({self.relative_difference(what):.1%} apart)"
            for what, (s, h) in sorted(self.totals.items())
        ]
        return "\n".join(lines)


def customer_actions(events: list[ShelfEvent]) -> dict[str, list[Action]]:
    """Each customer's pickups and putbacks in time order (weight changes and bots left out)."""
    actions: dict[str, list[Action]] = defaultdict(list)
    for e in events:
        if e.customer_id not in BOTS and e.event_type in ("pickup", "putback"):
            actions[e.customer_id].append((e.timestamp, e.event_type, e.item_id, e.quantity))
    return {c: sorted(a) for c, a in actions.items()}


def _bot_moves(events: list[ShelfEvent]) -> dict[str, tuple[datetime, str]]:
    """Per shelf, the first refill or removal that reached it: (time, refill|removal)."""
    first: dict[str, tuple[datetime, str]] = {}
    for e in events:
        if e.customer_id == RESTOCK_CUSTOMER and e.event_type == "putback":
            move = (e.timestamp, "refill")
        elif e.customer_id == REMOVAL_CUSTOMER and e.event_type == "removal":
            move = (e.timestamp, "removal")
        else:
            continue
        shelf = e.shelf_id or e.item_id
        first[shelf] = min(first.get(shelf, move), move)
    return first


def _first_difference(a: list[Action], b: list[Action]) -> int | None:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def within(record: DayRecord, start: datetime, end: datetime) -> DayRecord:
    """The customers who came in from `start` to `end`, with everything they did (also after `end`:
    they finish their visit), and the staff's moves, plans and orders before `end`."""
    visits = [v for v in record.sessions if start <= v.entry_time < end]
    customers = {v.customer_id for v in visits}
    return DayRecord(
        sessions=visits,
        shelf_events=[
            e
            for e in record.shelf_events
            if e.customer_id in customers or (e.customer_id in BOTS and e.timestamp < end)
        ],
        transactions=[t for t in record.transactions if t.customer_id in customers],
        lost_sales=record.lost_sales,
        plans=[p for p in record.plans if p.created_at < end],
        orders=[o for o in record.orders if o.created_at < end],
    )


def compare(
    streaming: DayRecord, history: DayRecord, start: datetime, end: datetime | None = None
) -> ParityReport:
    """Streaming against history for the customers who came in from `start` to `end` (by default the
    end of the start's day, where a history's day ends; see the module's docstring)."""
    end = end or datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), start.tzinfo)
    streaming, history = within(streaming, start, end), within(history, start, end)
    seen_s = {v.customer_id for v in streaming.sessions}
    seen_h = {v.customer_id for v in history.sessions}
    acts_s, acts_h = customer_actions(streaming.shelf_events), customer_actions(history.shelf_events)
    # when each shelf was first disturbed, and by what: bot moves in either store, then differences
    disturbed: dict[str, tuple[datetime, str]] = {}
    for moves in (_bot_moves(streaming.shelf_events), _bot_moves(history.shelf_events)):
        for shelf, move in moves.items():
            disturbed[shelf] = min(disturbed.get(shelf, move), move)
    first_diffs = []
    same = 0
    for customer in sorted(seen_s & seen_h):
        a, b = acts_s.get(customer, []), acts_h.get(customer, [])
        i = _first_difference(a, b)
        if i is None:
            same += 1
            continue
        at = min(x[i][0] for x in (a, b) if i < len(x))
        shelves = tuple(sorted({x[i][2] for x in (a, b) if i < len(x)}))
        first_diffs.append((at, customer, shelves, a[i:] + b[i:]))
    divergences = []
    for at, customer, shelves, rest in sorted(first_diffs):
        causes = [disturbed[s] for s in shelves if s in disturbed and disturbed[s][0] <= at]
        if causes:
            cause = min(causes)[1]
            cause = cause if cause in ("refill", "removal") else "cascade"
        elif at < start + DISCOUNT_REFRESH:
            cause = "discounts"
        else:
            cause = None
        divergences.append(Divergence(customer, at, shelves, cause))
        for moment, _, shelf, _ in rest:  # this customer's actions differ from here on
            if shelf not in disturbed or moment < disturbed[shelf][0]:
                disturbed[shelf] = (moment, "difference")

    taken_s, taken_h = _taken(streaming.shelf_events), _taken(history.shelf_events)
    sold_s, sold_h = _sold(streaming.transactions), _sold(history.transactions)
    shelves = set(taken_s) | set(taken_h) | set(streaming.lost_sales) | set(history.lost_sales)
    undisturbed = sorted(shelves - set(disturbed))
    mismatches = []
    for shelf in undisturbed:
        for what, s, h in (
            ("taken", taken_s[shelf], taken_h[shelf]),
            ("sold", sold_s[shelf], sold_h[shelf]),
            ("lost", streaming.lost_sales.get(shelf, 0), history.lost_sales.get(shelf, 0)),
        ):
            if s != h:
                mismatches.append((shelf, what, s, h))
    removed_s, removed_h = _removed(streaming.shelf_events), _removed(history.shelf_events)
    ordered_s, ordered_h = _ordered(streaming.orders), _ordered(history.orders)
    return ParityReport(
        only_streaming=sorted(seen_s - seen_h),
        only_history=sorted(seen_h - seen_s),
        customers=len(seen_s & seen_h),
        same_customers=same,
        divergences=divergences,
        undisturbed_shelves=len(undisturbed),
        undisturbed_mismatches=mismatches,
        removed_only_streaming=sorted(set(removed_s) - set(removed_h)),
        removed_only_history=sorted(set(removed_h) - set(removed_s)),
        orders_in_both=len(ordered_s & ordered_h),
        orders_only_streaming=sorted(ordered_s - ordered_h),
        orders_only_history=sorted(ordered_h - ordered_s),
        totals={
            "units sold": (sum(sold_s.values()), sum(sold_h.values())),
            "lost-sale units": (sum(streaming.lost_sales.values()), sum(history.lost_sales.values())),
            "refill units": (_bot_units(streaming, "putback"), _bot_units(history, "putback")),
            "removed units": (sum(removed_s.values()), sum(removed_h.values())),
            "restock plans": (len(streaming.plans), len(history.plans)),
            "supplier orders": (len(streaming.orders), len(history.orders)),
        },
    )


def _taken(events: list[ShelfEvent]) -> Counter:
    taken: Counter = Counter()
    for e in events:
        if e.customer_id not in BOTS and e.event_type in ("pickup", "putback"):
            taken[e.item_id] += e.quantity if e.event_type == "pickup" else -e.quantity
    return taken


def _sold(transactions: list[PosTransaction]) -> Counter:
    sold: Counter = Counter()
    for t in transactions:
        for item in t.items:
            sold[item.item_id] += item.quantity
    return sold


def _removed(events: list[ShelfEvent]) -> dict[tuple[str, str], int]:
    return {
        (e.shelf_id or e.item_id, e.batch_code): e.quantity
        for e in events
        if e.customer_id == REMOVAL_CUSTOMER and e.event_type == "removal"
    }


def _ordered(orders: list[SupplierOrder]) -> set[tuple[str, str, int]]:
    return {(o.shelf_id, o.cutoff_ts.isoformat(), o.ordered_qty) for o in orders}


def _bot_units(record: DayRecord, kind: str) -> int:
    return sum(e.quantity for e in record.shelf_events if e.customer_id in BOTS and e.event_type == kind)


def history_day(settings: FootTrafficSettings, start: datetime) -> DayRecord:
    """The day from `start` through the fast-forward engine, in memory, and the next day's first
    moment (its removals, which the live clock runs at midnight). Opens from Postgres as `make
    history` does, with no earlier history's lake."""
    from smart_shelf.history.opening import open_fresh_history

    history = open_fresh_history(settings.model_copy(update={"sim_start": start}))
    ops = history.ops
    events: dict[str, list] = defaultdict(list)
    keep = lambda day_events: [events[t].extend(e) for t, e in day_events.items()]  # noqa: E731
    for _ in history.run(start, 1, flush=keep):
        pass
    next_day = max(
        datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), start.tzinfo), history.end
    )
    _, orders = ops.daily(next_day)
    for order in orders:
        for event in history.floor.carry_out(order, next_day):
            ops.shelf_event(event)
    keep(history.recorder.take_events())
    lost: Counter = Counter(history.floor.lost_sales.get(start.date(), {}))
    for day in history.recorder.rows["shelf_daily"].values():
        if day.day == start.date():
            lost[day.shelf_id] += day.lost_sale_units
    rows = history.recorder.rows
    return DayRecord(
        sessions=events["foot_traffic"],
        shelf_events=events["shelf_events"],
        transactions=events["pos_transactions"],
        lost_sales={s: u for s, u in lost.items() if u},
        plans=list(rows["shelf_restock_plan"].values()),
        orders=list(rows["wh_supplier_orders"].values()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smart_shelf.history.parity", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="where to write the day's record (JSON)")
    args = parser.parse_args(argv)
    settings = FootTrafficSettings()
    record = history_day(settings, settings.sim_start)
    args.out.write_text(record.to_json())
    print(
        f"history day from {settings.sim_start.isoformat()}: {len(record.sessions)} customers, "
        f"{len(record.shelf_events)} shelf events, {len(record.transactions)} transactions -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
