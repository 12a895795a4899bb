"""Entry point: python -m spark_apps.batch_state_updater"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["batch-state-updater"]))
