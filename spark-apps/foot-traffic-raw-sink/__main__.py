"""Entry point: python -m spark_apps.foot_traffic_raw_sink"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["foot-traffic-raw-sink"]))
