"""Entry point: python -m spark_apps.removal_scheduler"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["removal-scheduler"]))
