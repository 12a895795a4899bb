"""Loading the store's files and tables, with the fallbacks and retries the producers need."""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

import pandas as pd

from smart_shelf.postgres_client import connect_postgres, fetch_rows
from smart_shelf.settings import Settings
from smart_shelf.store.pricing import effective_discounts, weekly_discounts_on

log = logging.getLogger(__name__)


def load_inventory(
    settings: Settings, retry_seconds: float = 10.0, max_wait_seconds: float | None = None
) -> pd.DataFrame:
    """The store inventory from STORE_PARQUET, else STORE_CSV_PATH; waits (logging) while both are missing."""
    started = time.monotonic()
    while True:
        for path, reader in (
            (settings.store_parquet, pd.read_parquet),
            (settings.store_csv_path, pd.read_csv),
        ):
            if Path(path).exists():
                frame = reader(path)
                log.info("catalogue: %d shelves from %s", len(frame), path)
                return frame
        if max_wait_seconds is not None and time.monotonic() - started > max_wait_seconds:
            raise FileNotFoundError(f"neither {settings.store_parquet} nor {settings.store_csv_path} exists")
        log.warning(
            "catalogue missing (%s, %s): run `make data`; retrying in %.0fs",
            settings.store_parquet,
            settings.store_csv_path,
            retry_seconds,
        )
        time.sleep(retry_seconds)


def unit_weights(settings: Settings) -> dict[str, float]:
    """Each shelf's unit weight from ref.store_inventory (what a refill or removal weighs per unit)."""
    rows = fetch_rows(settings, "SELECT shelf_id, item_weight FROM ref.store_inventory")
    return {r["shelf_id"]: float(r["item_weight"]) for r in rows}


def load_weekly_discounts(settings: Settings) -> pd.DataFrame:
    path = settings.discount_parquet_path
    if not Path(path).exists():
        log.warning("weekly discounts %s missing: no weekly promotions", path)
        return pd.DataFrame(columns=["shelf_id", "week_start", "week_end", "discount"])
    return pd.read_parquet(path, columns=["shelf_id", "week_start", "week_end", "discount"])


def load_daily_discounts(settings: Settings, day: date) -> dict[str, float] | None:
    """Today's near-expiry discounts from Postgres; None, with a warning, if Postgres is unreachable
    (the caller keeps the discounts it has and asks again later)."""
    try:
        conn = connect_postgres(settings, deadline_seconds=10)
    except Exception as exc:  # the simulation goes on with what it knew
        log.warning("daily discounts unavailable (%s); keeping the last known for %s", exc, day)
        return None
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT shelf_id, discount FROM analytics.daily_discounts WHERE discount_date = %s", (day,)
            )
            return {shelf: float(discount) for shelf, discount in cur.fetchall()}
    finally:
        conn.close()


def todays_discounts(settings: Settings, weekly: pd.DataFrame, day: date) -> dict[str, float] | None:
    """Every shelf's discount on `day` (weekly promotions and the near-expiry discount of the day);
    None while Postgres is away, for the caller to keep what it has."""
    daily = load_daily_discounts(settings, day)
    return None if daily is None else effective_discounts(weekly_discounts_on(weekly, day), daily)
