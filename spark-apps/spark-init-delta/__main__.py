"""Entry point: python -m spark_apps.spark_init_delta"""

import logging
import sys

from smart_shelf.service import start_service
from spark_apps.spark_init_delta.create import create_tables

log = logging.getLogger("spark-init-delta")


def main() -> int:
    settings = start_service("spark-init-delta")
    created = create_tables(settings.delta_root)
    log.info("%d tables created, the others existed", len(created))
    return 0


if __name__ == "__main__":
    sys.exit(main())
