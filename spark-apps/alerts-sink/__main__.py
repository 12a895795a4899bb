"""Entry point: python -m spark_apps.alerts_sink"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["alerts-sink"]))
