"""Entry point: python -m spark_apps.foot_traffic_raw_sink"""

import signal
import sys

from smart_shelf.service import start_service
from smart_shelf.spark import build_spark
from spark_apps.foot_traffic_raw_sink.job import JOB, start
from spark_apps.spark_init_delta.create import create_tables


def main() -> int:
    settings = start_service(JOB)
    spark = build_spark(JOB, settings)
    create_tables(spark, str(settings.delta_root))
    queries = start(spark, settings)
    signal.signal(signal.SIGTERM, lambda *_: [q.stop() for q in queries])
    spark.streams.awaitAnyTermination()
    for query in queries:
        query.stop()
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
