"""What the dashboard reads from Delta Lake, without a JVM (the `deltalake` reader).

Each read names its columns and a row filter that Parquet statistics can use to skip files and row
groups, so a refresh reads what a view shows, not the table. A table the pipeline has not created
yet raises `TableMissing` with what creates it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError


class TableMissing(LookupError):
    """A Delta table does not exist (yet)."""


def _dataset(path: Path):
    try:
        return DeltaTable(str(path)).to_pyarrow_dataset()
    except TableNotFoundError:
        raise TableMissing(
            f"the Delta table {path} does not exist yet: spark-init-delta creates it "
            "(make up S=spark-init-delta, or make demo)"
        ) from None


def _utc(moment: datetime) -> pa.Scalar:
    return pa.scalar(moment, type=pa.timestamp("us", tz="UTC"))


def read(path: Path, columns: list[str], where: pc.Expression | None = None) -> pd.DataFrame:
    return _dataset(path).to_table(columns=columns, filter=where).to_pandas()


def between(column: str, start: datetime, end: datetime) -> pc.Expression:
    """start <= column < end, for a UTC timestamp column."""
    return (pc.field(column) >= _utc(start)) & (pc.field(column) < _utc(end))


def shelf_events(path: Path, shelf_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """One shelf's events in [start, end), oldest first."""
    where = (pc.field("item_id") == shelf_id) & between("timestamp", start, end)
    columns = ["timestamp", "event_type", "customer_id", "quantity", "delta_weight", "batch_code", "plan_id"]
    return read(path, columns, where).sort_values("timestamp", kind="stable", ignore_index=True)


def shelf_unit_moves(path: Path, shelf_id: str, end: datetime) -> pd.DataFrame:
    """Units onto (+) and off (-) one shelf per event before `end`: putbacks and refills add,
    pickups and removals take away (weight readings move no count)."""
    where = (pc.field("item_id") == shelf_id) & (pc.field("timestamp") < _utc(end))
    events = read(path, ["timestamp", "event_type", "quantity"], where)
    events = events[events["event_type"] != "weight_change"]
    sign = events["event_type"].map({"putback": 1, "pickup": -1, "removal": -1})
    moves = pd.DataFrame({"timestamp": events["timestamp"], "units": sign * events["quantity"].fillna(0)})
    return moves.sort_values("timestamp", kind="stable", ignore_index=True)


def sessions(path: Path, start: datetime, end: datetime) -> pd.DataFrame:
    """Foot-traffic sessions that entered in [start, end)."""
    return read(
        path, ["customer_id", "entry_time", "exit_time", "time_slot"], between("entry_time", start, end)
    )


def orders_by_cutoff(path: Path) -> pd.DataFrame:
    """Supplier orders per cutoff and status: how many, how many units, for which delivery."""
    orders = read(path, ["order_id", "ordered_qty", "cutoff_ts", "delivery_date", "status"])
    grouped = orders.groupby(["cutoff_ts", "delivery_date", "status"], as_index=False)
    return grouped.agg(orders=("order_id", "size"), units=("ordered_qty", "sum"))


def supplier_plans_per_day(path: Path) -> pd.DataFrame:
    """Supplier plans by the simulated day they were made and their status now."""
    plans = read(path, ["supplier_plan_id", "created_at", "status", "suggested_qty"])
    plans["day"] = plans["created_at"].dt.date
    grouped = plans.groupby(["day", "status"], as_index=False)
    return grouped.agg(plans=("supplier_plan_id", "size"), units=("suggested_qty", "sum"))


def quarantined(root: Path, sources: list[str]) -> pd.DataFrame:
    """Refused records per source and reason, over every quarantine table that exists."""
    frames = []
    for source in sources:
        try:
            rows = read(root / "quarantine" / source, ["reason", "failed_at"])
        except TableMissing:
            continue
        if len(rows):
            rows["reason"] = rows["reason"].str.slice(0, 160)
            grouped = rows.groupby("reason", as_index=False).agg(
                records=("reason", "size"), last_failed_at=("failed_at", "max")
            )
            grouped.insert(0, "source", source)
            frames.append(grouped)
    columns = ["source", "reason", "records", "last_failed_at"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
