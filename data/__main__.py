"""data-generator: python -m store_data [--if-missing]

Writes the store's Parquet files and the CSVs that bootstrap Postgres into DATA_DIR, deterministic
for SEED, SIM_START, SIM_DAYS and CATALOGUE_SCALE.
"""

import argparse
import logging
import sys
import time

from smart_shelf.service import start_service
from store_data.files import missing_files, write_store
from store_data.generator import generate_store

log = logging.getLogger("data-generator")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--if-missing", action="store_true", help="do nothing if every file exists")
    args = parser.parse_args(argv)
    settings = start_service("data-generator")
    if args.if_missing and not missing_files(settings.data_dir):
        log.info("store data present in %s; nothing to do", settings.data_dir)
        return 0
    t0 = time.monotonic()
    data = generate_store(
        settings.data_seed, settings.sim_start.date(), settings.sim_days, settings.catalogue_scale
    )
    for path in write_store(data, settings.data_dir):
        log.info("wrote %s", path)
    log.info(
        "%d shelves, %d store batches, %d warehouse batches, %d weekly discounts in %.1fs",
        len(data.store_inventory),
        len(data.store_batches),
        len(data.warehouse_batches),
        len(data.discounts),
        time.monotonic() - t0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
