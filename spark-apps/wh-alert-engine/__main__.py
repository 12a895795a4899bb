"""Entry point: python -m spark_apps.wh_alert_engine"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["wh-alert-engine"]))
