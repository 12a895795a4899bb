"""The demand panel from the lake: the per-shelf days (`analytics/shelf_daily`, written by `make
history` and by shelf-daily-features for each live day) and the visits (`raw/foot_traffic`) for the
daily customers, with the store inventory and the weekly promotions. What training and inference read.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow.compute as pc
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from smart_shelf.forecast.panel import Panel, panel_from
from smart_shelf.history.record import Lake
from smart_shelf.settings import Settings
from smart_shelf.store.sources import load_inventory, load_weekly_discounts


class NoHistory(RuntimeError):
    """Not enough closed days in the lake."""


def daily_customers(lake: Lake) -> dict[date, int]:
    try:
        entries = DeltaTable(str(lake.path("raw/foot_traffic"))).to_pyarrow_table(columns=["entry_time"])
    except TableNotFoundError:
        return {}
    days = pc.cast(entries.column("entry_time"), "date32").to_pylist()
    return dict(Counter(days))


def lake_panel(settings: Settings, needed_days: int, what: str) -> Panel:
    """The panel of every closed day in the lake; NoHistory when there are fewer than `needed_days`
    (`what` says what needs them, for the message)."""
    lake = Lake(settings.delta_root)
    shelf_days = lake.rows("analytics/shelf_daily")
    days = len({d.day for d in shelf_days})
    if days < needed_days:
        raise NoHistory(
            f"{days} closed days in {lake.path('analytics/shelf_daily')}: {what} needs {needed_days}; "
            f"run `make history DAYS={needed_days}` or more first"
        )
    inventory = load_inventory(settings, max_wait_seconds=0)
    return panel_from(shelf_days, daily_customers(lake), inventory, load_weekly_discounts(settings))
