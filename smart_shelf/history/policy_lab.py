"""make compare-policies: the same store, seed and customers under different ordering policies.

Each policy changes how the warehouse orders from suppliers (the supplier watches' reorder points and
targets) before a history of DAYS days runs in memory; nothing is written. The table compares what a
store manager weighs: shelves found empty, sales lost, stock thrown away, stock held, orders placed.
`rule` is the policy in force (config.wh_policies); the forecasting work adds its own beside it.
The runs start where the store stands: where the last `make history` ended, else at SIM_START.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from smart_shelf import handover
from smart_shelf.history.opening import open_history, open_ledgers, open_operations
from smart_shelf.history.operations import Ledgers
from smart_shelf.history.record import Lake, Recorder
from smart_shelf.logs import configure_logging
from smart_shelf.settings import FootTrafficSettings


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


POLICIES: dict[str, tuple[str, Callable[[Ledgers], None]]] = {
    "rule": ("reorder points and targets in force (config.wh_policies)", lambda ledgers: None),
    "lean": ("reorder points halved", _scaled_reorder_points(0.5)),
    "ample": ("reorder points x1.5, warehouse filled to capacity", _scaled_reorder_points(1.5, 100.0)),
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

    @property
    def stock_out_rate(self) -> float:
        return self.stock_out_shelf_days / self.shelf_days if self.shelf_days else 0.0


def outcome(policy: str, recorder: Recorder, warehouse_stock: list[int]) -> Outcome:
    """The figures of one policy's run. A stock-out shelf-day: a sale lost at the shelf, or the
    shelf empty at the close."""
    days = list(recorder.rows["shelf_daily"].values())
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
        orders=len(recorder.rows["wh_supplier_orders"]),
    )


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


def run_policy(name: str, settings: FootTrafficSettings, days: int, start: datetime) -> Outcome:
    ledgers = open_ledgers(start)
    POLICIES[name][1](ledgers)
    ops = open_operations(ledgers, settings.data_seed, Lake(settings.delta_root))
    history = open_history(settings, ops)
    began, warehouse = time.monotonic(), []
    for n, day in enumerate(history.run(start, days, flush=lambda _events: None), start=1):
        warehouse.append(sum(w.wh_current_stock for w in ledgers.warehouse.values()))
        print(
            f"  {name}: day {n}/{days} {day.day}: {day.lost_sale_units:,} lost, "
            f"{day.shelves_out_of_stock} shelves empty at close  [{time.monotonic() - began:.0f}s]",
            flush=True,
        )
    return outcome(name, ops.out, warehouse)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make compare-policies", description=__doc__)
    parser.add_argument("--days", type=int, default=28, help="simulated days per policy (DAYS, default 28)")
    parser.add_argument("--policies", default=",".join(POLICIES), help=f"of {', '.join(POLICIES)}")
    args = parser.parse_args(argv)
    try:
        names = parse_policies(args.policies)
        if args.days < 1:
            raise UnknownPolicy(f"DAYS must be at least 1 (got {args.days})")
    except UnknownPolicy as exc:
        print(f"make compare-policies: {exc}", file=sys.stderr)
        return 2
    settings = FootTrafficSettings()
    configure_logging(settings.log_level)
    # the store as it stands: where the last history left it (its handover), else as it opens
    start = handover.handed_at(settings) or settings.sim_start
    print(
        f"policies {', '.join(names)}: {args.days} days from {start.isoformat()}, seed {settings.data_seed}"
    )
    outcomes = [run_policy(name, settings, args.days, start) for name in names]
    print()
    print(table(outcomes))
    for name in names:
        print(f"  {name}: {POLICIES[name][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
