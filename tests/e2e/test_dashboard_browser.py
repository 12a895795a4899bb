"""The dashboard in a real browser while the store runs: the simulated clock, the foot-traffic and
shelf producers and the bridge (as the runner starts them, on a Redis database and Kafka topics of
this test's own) feed it, and the dashboard server runs as `make up S=dashboard` runs it. Headless
Chromium visits every page: no Streamlit exception, charts drawn, the open alerts and a shelf's stock
equal to what Postgres says, customers walking in as the clock moves. A screenshot of each page is
kept in the test's directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import redis
from selenium.webdriver.common.by import By

from smart_shelf.runner.manifest import load_manifest
from tests.conftest import alert_shelf, free_port
from tests.e2e.browser import EXCEPTION, PAGES, PLOT, chromium, metrics, visit
from tests.integration.spark_apps.ledger_harness import wait_for

REDIS_DB = 11
SIM_START = datetime(2031, 7, 1, 7, 0, tzinfo=UTC)  # a day of this test's own in the shared Postgres
SERVICES = (
    "sim-clock",
    "kafka-producer-foot_traffic",
    "redis-kafka-bridge",
    "kafka-producer-shelf",
    "dashboard",
)


@pytest.fixture
def store(stack, settings, topic_factory, unique, tmp_path, pg_conn):
    """The services of SERVICES running with this test's settings; yields the dashboard's URL."""
    client = redis.Redis(host=settings.redis_host, port=settings.redis_port, db=REDIS_DB)
    client.flushdb()
    topics = {name: topic_factory(name, dead_letters=True) for name in ("foot", "door", "shelf", "pos")}
    port = free_port()
    env = {
        **os.environ,
        "REDIS_DB": str(REDIS_DB),
        "USE_SIMULATED_TIME": "1",
        "TIME_MULTIPLIER": "300",
        "SIM_START": SIM_START.isoformat(),
        "STREAM_TOPIC_MAP": f"foot_traffic={topics['foot']},foot_traffic:realistic={topics['door']},"
        f"shelf_events={topics['shelf']},pos_transactions={topics['pos']}",
        "REDIS_GROUP": f"test-{unique}-bridge",
        "KAFKA_TOPIC_FOOT": topics["foot"],
        "KAFKA_TOPIC_SHELF": topics["shelf"],
        "GROUP_ID_FOOT": f"test-{unique}-shelf-foot",
        "GROUP_ID_RESTOCK": f"test-{unique}-shelf-restock",
        "DASH_PORT": str(port),
        "DELTA_ROOT": str(tmp_path / "delta"),
    }
    commands = {spec.name: spec.command for spec in load_manifest() if spec.name in SERVICES}
    procs = []
    for name in SERVICES:
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - open for the process's lifetime
        procs.append(subprocess.Popen([sys.executable, *commands[name][1:]], env=env, stdout=log, stderr=log))
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok"
        except OSError:
            return False

    try:
        wait_for(healthy, 90, "the dashboard answering its health check")
        yield url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        client.flushdb()


@pytest.fixture
def open_alert(pg_conn):
    """An open alert on a shelf of the test's own; the first shelf (the one the Shelves page shows)."""
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT 1")
        shown = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO ops.alerts (alert_id, event_type, shelf_id, location, status, created_at, updated_at)"
            " VALUES ('a-browser-1', 'refill_request', %s, 'store', 'open', %s, %s)",
            (alert_shelf(pg_conn, "dashboard-browser"), SIM_START, SIM_START),
        )
    yield shown
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("DELETE FROM ops.alerts WHERE alert_id = 'a-browser-1'")


def _scalar(pg_conn, query: str, params: tuple = ()) -> tuple:
    with pg_conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()


def test_every_page_renders_live_data_in_chromium(store, open_alert, pg_conn, tmp_path):
    driver = chromium()
    shots = tmp_path / "screenshots"
    shots.mkdir()
    try:
        for page in PAGES:
            visit(driver, store, page)
            driver.save_screenshot(str(shots / f"dashboard_{page.name}.png"))
            assert not driver.find_elements(By.CSS_SELECTOR, EXCEPTION), page.name
        # the store map and the shelves' chart are drawn
        visit(driver, store, PAGES[0])
        assert driver.find_elements(By.CSS_SELECTOR, PLOT), "the store map"

        # numbers against Postgres, read at the same moment (the dashboard caches for 5 s)
        def open_alerts_agree() -> bool:
            visit(driver, store, PAGES[0])
            shown = metrics(driver).get("Open alerts")
            return shown == str(_scalar(pg_conn, "SELECT count(*) FROM ops.alerts WHERE status = 'open'")[0])

        wait_for(open_alerts_agree, 60, "the open alerts count equal to Postgres's")
        visit(driver, store, PAGES[1])
        stock, capacity = _scalar(
            pg_conn,
            "SELECT current_stock, capacity FROM state.v_shelf_stock WHERE shelf_id = %s",
            (open_alert,),
        )
        assert metrics(driver)["Stock"] == f"{stock} / {capacity}"

        # the clock moves and customers walk in, and the page shows it
        def customers_inside() -> bool:
            visit(driver, store, PAGES[0])
            return int(metrics(driver).get("Customers in the store", "0")) > 0

        wait_for(customers_inside, 120, "customers in the store on the Store page")
        caption = driver.find_element(By.CSS_SELECTOR, '[data-testid="stCaptionContainer"]').text
        assert "2031" in caption and "300x" in caption
        first = datetime.strptime(caption.split("Simulated time ")[1][:22], "%a %d %b %Y, %H:%M").replace(
            tzinfo=UTC
        )
        assert SIM_START <= first < SIM_START + timedelta(days=1)
        time.sleep(3)
        visit(driver, store, PAGES[0])
        later = driver.find_element(By.CSS_SELECTOR, '[data-testid="stCaptionContainer"]').text
        assert later != caption, "the simulated time on the page moves"
    finally:
        driver.quit()
