"""Where the generated files go, and writing them: Parquet for the services, CSV for Postgres."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from store_data.generator import StoreData

# file stem -> StoreData attribute
TABLES = {
    "store_inventory_final": "store_inventory",
    "warehouse_inventory_final": "warehouse_inventory",
    "store_batches": "store_batches",
    "warehouse_batches": "warehouse_batches",
    "all_discounts": "discounts",
}
# The CSVs that bootstrap Postgres (ref.*).
DB_CSV = ("store_inventory_final", "warehouse_inventory_final", "store_batches", "warehouse_batches")


def parquet_path(data_dir: Path, stem: str) -> Path:
    return data_dir / f"{stem}.parquet"


def csv_path(data_dir: Path, stem: str) -> Path:
    return data_dir / "db_csv" / f"{stem}.csv"


def expected_files(data_dir: Path) -> list[Path]:
    return [parquet_path(data_dir, s) for s in TABLES] + [csv_path(data_dir, s) for s in DB_CSV]


def missing_files(data_dir: Path) -> list[Path]:
    return [p for p in expected_files(data_dir) if not p.exists()]


def write_store(data: StoreData, data_dir: Path) -> list[Path]:
    """Write every file atomically (temp file, then rename) so a reader never sees half a file."""
    (data_dir / "db_csv").mkdir(parents=True, exist_ok=True)
    written = []
    for stem, attribute in TABLES.items():
        frame: pd.DataFrame = getattr(data, attribute)
        target = parquet_path(data_dir, stem)
        _atomic(target, lambda tmp, f=frame: f.to_parquet(tmp, index=False))
        written.append(target)
        if stem in DB_CSV:
            target = csv_path(data_dir, stem)
            _atomic(target, lambda tmp, f=frame: f.to_csv(tmp, index=False))
            written.append(target)
    return written


def _atomic(target: Path, write) -> None:
    tmp = target.with_suffix(target.suffix + ".tmp")
    write(tmp)
    tmp.replace(target)
