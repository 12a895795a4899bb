"""`python -m dashboard`: the Streamlit server on DASH_HOST:DASH_PORT (127.0.0.1:8501 by default)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from smart_shelf.service import start_service
from smart_shelf.settings import DashboardSettings

APP = Path(__file__).with_name("app.py")


def main() -> None:
    settings = start_service("dashboard", DashboardSettings)
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", settings.dash_host,
        "--server.port", str(settings.dash_port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        "--logger.level", settings.log_level.lower(),
    ]  # fmt: skip
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # the server takes this process's place (and its pid and signals)


if __name__ == "__main__":
    main()
