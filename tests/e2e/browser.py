"""Drive the dashboard in Debian's headless Chromium (selenium + chromium-driver, no browser download).

`python -m tests.e2e.browser [--url http://127.0.0.1:8501] [--out docs/images]` saves a screenshot of
every page of a running dashboard (`make screenshots` after `make demo`)."""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

EXCEPTION = '[data-testid="stException"]'
RUNNING = '[data-testid="stStatusWidget"]'
PLOT = ".js-plotly-plot .main-svg"


@dataclass(frozen=True)
class Page:
    path: str  # the URL path st.navigation gives the page ("" for the default)
    name: str


PAGES = (
    Page("", "store"),
    Page("shelves", "shelves"),
    Page("warehouse", "warehouse"),
    Page("alerts", "alerts"),
    Page("sales", "sales"),
    Page("forecasts", "forecasts"),
    Page("pipeline", "pipeline"),
)


def chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1440,1000"):
        options.add_argument(arg)
    return webdriver.Chrome(
        service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options
    )


def visit(driver: webdriver.Chrome, base_url: str, page: Page, timeout_s: float = 60) -> None:
    """Open a page and wait until its script has run and its charts are drawn."""
    driver.get(f"{base_url.rstrip('/')}/{page.path}")
    wait = WebDriverWait(driver, timeout_s, poll_frequency=0.5)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    # the status widget shows while a script runs; it may flash again as fragments refresh
    wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, RUNNING))
    try:
        WebDriverWait(driver, 5, poll_frequency=0.5).until(lambda d: d.find_elements(By.CSS_SELECTOR, PLOT))
    except TimeoutException:
        pass  # a page with nothing to chart yet shows its message instead
    time.sleep(1.0)  # Plotly finishes drawing after the element appears


def metrics(driver: webdriver.Chrome) -> dict[str, str]:
    out = {}
    for metric in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]'):
        label = metric.find_element(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]').text.strip()
        out[label] = metric.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text.strip()
    return out


def screenshots(base_url: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    driver = chromium()
    saved = []
    try:
        for page in PAGES:
            visit(driver, base_url, page)
            path = out / f"dashboard_{page.name}.png"
            driver.save_screenshot(str(path))
            saved.append(path)
            print(f"{page.name}: {path}", flush=True)
    finally:
        driver.quit()
    return saved


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    screenshots(args.url, args.out)
