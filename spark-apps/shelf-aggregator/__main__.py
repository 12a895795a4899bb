"""Entry point: python -m spark_apps.shelf_aggregator"""

import logging
import signal
import sys

from smart_shelf.service import start_service
from smart_shelf.settings import ShelfAggregatorSettings
from smart_shelf.spark import build_spark
from spark_apps.shelf_aggregator.job import JOB, start
from spark_apps.spark_init_delta.create import create_tables

log = logging.getLogger(JOB)


def main() -> int:
    settings = start_service(JOB, ShelfAggregatorSettings)
    spark = build_spark(JOB, settings)
    create_tables(spark, str(settings.delta_root))
    query = start(spark, settings)
    signal.signal(signal.SIGTERM, lambda *_: query.stop())
    query.awaitTermination()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
