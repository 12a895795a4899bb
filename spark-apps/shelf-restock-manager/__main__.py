"""Entry point: python -m spark_apps.shelf_restock_manager"""

import sys

from smart_shelf.spark.app import run_jobs

if __name__ == "__main__":
    sys.exit(run_jobs(["shelf-restock-manager"]))
