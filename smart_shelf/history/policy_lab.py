"""make compare-policies: the same store, seed and customers under different ordering policies.

Each policy changes how the warehouse orders from suppliers, then DAYS days run in memory; nothing is
written. `rule` is the policy in force (config.wh_policies: reorder points and targets); `lean` and
`ample` scale them; `ma28` and `ml` order at each cutoff from a forecast (a 28-day moving average of
demand, or the demand model), up to its service-level quantile in whole batches, as the inference
service does (smart_shelf.forecast.planning). Every policy starts from the same store: WARMUP days
under the rule first (the model learns from them), copied for each policy, so the customers and the
random draws are the same. The table compares what a store manager weighs: shelves found empty, sales
lost, stock thrown away, stock held, orders placed; with rule, ma28 and ml it checks the business bar.
The runs start where the store stands: where the last `make history` ended, else at SIM_START.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from smart_shelf import handover
from smart_shelf.forecast.evaluate import DAYS_BEFORE_HOLDOUT, ORDER_QUANTILE
from smart_shelf.forecast.panel import Panel, panel_from
from smart_shelf.forecast.planning import (
    Forecaster,
    Position,
    fit_on_every_day,
    model_forecaster,
    moving_average_28,
    propose,
    supplier_plan,
)
from smart_shelf.history.opening import open_history, open_ledgers, open_operations
from smart_shelf.history.operations import Ledgers
from smart_shelf.history.record import Lake, Recorder
from smart_shelf.history.simulate import History
from smart_shelf.logs import configure_logging
from smart_shelf.settings import FootTrafficSettings
from smart_shelf.store.sources import load_inventory


def _scaled_reorder_points(factor: float, target_pct: float | None = None) -> Callable[[Ledgers], None]:
    def apply(ledgers: Ledgers) -> None:
        for watch in ledgers.supplier_watches.values():
            policy = dataclasses.replace(
                watch.policy,
                reorder_point=round(watch.policy.reorder_point * factor),
                target_pct=watch.policy.target_pct if target_pct is None else target_pct,
            )
            watch.policy = watch.start_policy = policy

    return apply


@dataclass(frozen=True)
class Policy:
    description: str
    watches: Callable[[Ledgers], None] = lambda ledgers: None  # how the supplier watches plan
    forecast: str | None = None  # orders from this forecaster at each cutoff instead of the watches


POLICIES: dict[str, Policy] = {
    "rule": Policy("reorder points and targets in force (config.wh_policies)"),
    "lean": Policy("reorder points halved", _scaled_reorder_points(0.5)),
    "ample": Policy("reorder points x1.5, warehouse filled to capacity", _scaled_reorder_points(1.5, 100.0)),
    "ma28": Policy("order-up-to from a 28-day moving average of demand", forecast="ma28"),
    "ml": Policy("order-up-to from the demand model, trained on the warm-up days", forecast="ml"),
}


class UnknownPolicy(ValueError):
    pass


def parse_policies(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown or not names:
        raise UnknownPolicy(
            f"unknown policy {', '.join(unknown) or '(none given)'}: choose from {', '.join(POLICIES)}"
        )
    return names


@dataclass(frozen=True)
class Outcome:
    policy: str
    shelf_days: int
    stock_out_shelf_days: int
    lost_sale_units: int
    expired_units: int
    mean_shelf_stock: float
    mean_warehouse_stock: float
    orders: int
    seconds_per_cutoff: float = 0.0  # a forecast policy's planning at each cutoff (inference's work)

    @property
    def stock_out_rate(self) -> float:
        return self.stock_out_shelf_days / self.shelf_days if self.shelf_days else 0.0


def outcome(policy: str, recorder: Recorder, warehouse_stock: list[int], since: datetime) -> Outcome:
    """The figures of one policy's run from `since` on (the days compared, after any warm-up). A
    stock-out shelf-day: a sale lost at the shelf, or the shelf empty at the close."""
    days = [d for d in recorder.rows["shelf_daily"].values() if d.day >= since.date()]
    shelves = len({d.shelf_id for d in days}) or 1
    return Outcome(
        policy=policy,
        shelf_days=len(days),
        stock_out_shelf_days=sum(1 for d in days if d.lost_sale_units > 0 or d.stock_close == 0),
        lost_sale_units=sum(d.lost_sale_units for d in days),
        expired_units=sum(d.removed_units for d in days),
        mean_shelf_stock=sum(d.stock_close for d in days) / len(days) if days else 0.0,
        mean_warehouse_stock=sum(warehouse_stock) / len(warehouse_stock) / shelves
        if warehouse_stock
        else 0.0,
        orders=sum(1 for o in recorder.rows["wh_supplier_orders"].values() if o.cutoff_ts >= since),
    )


def business_bar(outcomes: dict[str, Outcome]) -> dict[str, bool]:
    """What ordering from the model must show to replace the rule, on the same days and customers: at
    least 30 % fewer stock-out shelf-days than the rule, no more expired units and no more stock (shelf
    and warehouse) than it, and no more stock-out shelf-days than order-up-to from a 28-day average."""
    ml, rule, ma28 = outcomes["ml"], outcomes["rule"], outcomes["ma28"]
    stock = lambda o: o.mean_shelf_stock + o.mean_warehouse_stock  # noqa: E731
    return {
        "stock-out shelf-days <= 0.7 x rule": ml.stock_out_shelf_days <= 0.7 * rule.stock_out_shelf_days,
        "expired units <= rule": ml.expired_units <= rule.expired_units,
        "mean stock <= rule": stock(ml) <= stock(rule),
        "stock-out shelf-days <= ma28": ml.stock_out_shelf_days <= ma28.stock_out_shelf_days,
    }


def table(outcomes: list[Outcome]) -> str:
    header = (
        f"{'policy':<8} {'stock-out shelf-days':>22} {'lost-sale units':>16} {'expired units':>14} "
        f"{'mean shelf stock':>17} {'mean wh stock':>14} {'orders':>7}"
    )
    lines = [header, "-" * len(header)]
    for o in outcomes:
        lines.append(
            f"{o.policy:<8} {o.stock_out_shelf_days:>13,} ({o.stock_out_rate:5.1%}) {o.lost_sale_units:>16,} "
            f"{o.expired_units:>14,} {o.mean_shelf_stock:>17.1f} {o.mean_warehouse_stock:>14.1f} {o.orders:>7,}"
        )
    return "\n".join(lines)


@dataclass
class Store:
    """A history paused between days: the warm-up every policy starts from, and what it saw."""

    history: History
    customers: dict[date, int]  # per closed day
    at: datetime  # where the next day starts
    inventory: pd.DataFrame  # the store inventory, for the demand panel

    def panel(self) -> Panel:
        """The demand panel of every day closed so far (the promotions as the history read them)."""
        rows = self.history.recorder.rows["shelf_daily"].values()
        return panel_from(rows, self.customers, self.inventory, self.history.weekly_discounts)


def warm_up(settings: FootTrafficSettings, start: datetime, days: int) -> Store:
    """The store from `start`, `days` days under the rule in force (none: the store as it stands)."""
    ops = open_operations(open_ledgers(start), settings.data_seed, Lake(settings.delta_root))
    history = open_history(settings, ops)
    customers: dict[date, int] = {}
    began = time.monotonic()
    if days:
        for n, day in enumerate(history.run(start, days, flush=lambda _events: None), start=1):
            customers[day.day] = day.customers
            if n % 7 == 0 or n == days:
                print(f"  warm-up: day {n}/{days} [{time.monotonic() - began:.0f}s]", flush=True)
    inventory = load_inventory(settings, max_wait_seconds=0)
    return Store(history, customers, start + timedelta(days=days), inventory)


def forecast_planner(
    store: Store, forecaster: Forecaster, level: float, seconds: list[float]
) -> Callable[[datetime], list]:
    """The supplier plans of each cutoff, proposed from `forecaster` on the days closed so far."""
    ops, ledgers = store.history.ops, store.history.ops.ledgers

    def plan(cutoff: datetime) -> list:
        began = time.monotonic()
        panel = store.panel()
        on_order = ops.on_order()
        positions = {
            shelf: Position(
                shelf=ledgers.shelves[shelf].current_stock,
                warehouse=ledgers.warehouse[shelf].wh_current_stock,
                on_order=on_order[shelf],
                warehouse_capacity=product.capacity,
                batch_size=product.batch_size,
                perishable=product.perishable,
            )
            for shelf, product in ledgers.products.items()
        }
        proposals = propose(panel, cutoff, ops.rules.calendar, forecaster, positions, level)
        plans = [
            supplier_plan(p, cutoff, ledgers.products[p.shelf_id].batch_size, cutoff)
            for p in proposals
            if p.quantity > 0
        ]
        seconds.append(time.monotonic() - began)
        return plans

    return plan


def run_policy(
    name: str, warm: Store, days: int, forecasters: dict[str, Forecaster], level: float
) -> Outcome:
    store = copy.deepcopy(warm)  # every policy from the same store, customers and random state
    ledgers, policy = store.history.ops.ledgers, POLICIES[name]
    policy.watches(ledgers)
    planning: list[float] = []
    if policy.forecast is not None:
        for watch in ledgers.supplier_watches.values():
            watch.makes_plans = False
        planner = forecast_planner(store, forecasters[policy.forecast], level, planning)
        store.history.ops.order_planner = planner
    began, warehouse = time.monotonic(), []
    for n, day in enumerate(store.history.run(store.at, days, flush=lambda _events: None), start=1):
        store.customers[day.day] = day.customers
        warehouse.append(sum(w.wh_current_stock for w in ledgers.warehouse.values()))
        print(
            f"  {name}: day {n}/{days} {day.day}: {day.lost_sale_units:,} lost, "
            f"{day.shelves_out_of_stock} shelves empty at close  [{time.monotonic() - began:.0f}s]",
            flush=True,
        )
    result = outcome(name, store.history.recorder, warehouse, store.at)
    if planning:
        result = dataclasses.replace(result, seconds_per_cutoff=sum(planning) / len(planning))
    return result


def forecasters_for(names: list[str], warm: Store) -> dict[str, Forecaster]:
    """The forecasters the policies need; the model trained on the warm-up days."""
    wanted = {POLICIES[n].forecast for n in names} - {None}
    out: dict[str, Forecaster] = {}
    if "ma28" in wanted:
        out["ma28"] = moving_average_28()
    if "ml" in wanted:
        panel = warm.panel()
        began = time.monotonic()
        out["ml"] = model_forecaster(fit_on_every_day(panel))
        print(f"  model trained on {panel.observed} warm-up days in {time.monotonic() - began:.1f}s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make compare-policies", description=__doc__)
    parser.add_argument("--days", type=int, default=28, help="simulated days per policy (DAYS, default 28)")
    parser.add_argument("--policies", default="rule,ma28,ml", help=f"of {', '.join(POLICIES)}")
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help=f"days under the rule before the compared ones (WARMUP; default 0, or {DAYS_BEFORE_HOLDOUT + 21} "
        "when a policy orders from a forecast)",
    )
    parser.add_argument(
        "--level", type=float, default=ORDER_QUANTILE, help="service level of forecast orders"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        names = parse_policies(args.policies)
        forecasting = any(POLICIES[n].forecast for n in names)
        warmup = args.warmup if args.warmup is not None else (DAYS_BEFORE_HOLDOUT + 21 if forecasting else 0)
        if args.days < 1:
            raise UnknownPolicy(f"DAYS must be at least 1 (got {args.days})")
        if forecasting and warmup < DAYS_BEFORE_HOLDOUT:
            raise UnknownPolicy(
                f"a forecast needs WARMUP of at least {DAYS_BEFORE_HOLDOUT} days to learn from (got {warmup})"
            )
    except UnknownPolicy as exc:
        print(f"make compare-policies: {exc}", file=sys.stderr)
        return 2
    settings = FootTrafficSettings()
    configure_logging(settings.log_level)
    # the store as it stands: where the last history left it (its handover), else as it opens
    start = handover.handed_at(settings) or settings.sim_start
    print(
        f"policies {', '.join(names)}: {args.days} days from {(start + timedelta(days=warmup)).isoformat()} "
        f"after {warmup} warm-up days, seed {settings.data_seed}"
    )
    warm = warm_up(settings, start, warmup)
    forecasters = forecasters_for(names, warm)
    outcomes = [run_policy(name, warm, args.days, forecasters, args.level) for name in names]
    print()
    print(table(outcomes))
    for name in names:
        print(f"  {name}: {POLICIES[name].description}")
    by_name = {o.policy: o for o in outcomes}
    bar = business_bar(by_name) if {"rule", "ma28", "ml"} <= by_name.keys() else {}
    for what, ok in bar.items():
        print(f"  {'ok  ' if ok else 'MISS'} ml: {what}")
    if args.json:
        figures = {o.policy: {**dataclasses.asdict(o), "stock_out_rate": o.stock_out_rate} for o in outcomes}
        args.json.write_text(
            json.dumps({"days": args.days, "warmup": warmup, "outcomes": figures, "bar": bar})
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
