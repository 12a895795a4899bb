"""Entry point: python -m spark_apps.daily_discount_manager"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["daily-discount-manager"]))
