"""Several Spark jobs in one Spark application: python -m spark_apps shelf-aggregator wh-aggregator ..."""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m spark_apps <job> [<job> ...]  (names as in spark-apps/)")
    sys.exit(run_jobs(sys.argv[1:], app_name="spark-apps"))
