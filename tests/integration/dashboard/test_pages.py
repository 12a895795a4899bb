"""Every page of the dashboard rendered by Streamlit's AppTest against the real Postgres and Redis, on
rows this test commits (and removes): no exception, the numbers Postgres holds. Then the same pages
with Postgres unreachable: each says what is missing, none shows a traceback.

AppTest runs the page files themselves (with the pinned Streamlit it renders nothing for pages reached
through st.navigation); the browser test in tests/e2e covers the app as a whole."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import streamlit as st
from streamlit.testing.v1 import AppTest

from simulated_time.clock import publish
from smart_shelf.paths import REPO_ROOT
from tests.conftest import alert_shelf

PAGES = sorted((REPO_ROOT / "dashboard" / "views").glob("*.py"))
NOW = datetime(2031, 6, 2, 15, 30, tzinfo=UTC)  # a day no pipeline's clock reaches
REDIS_DB = 12  # the dashboard's clock here, apart from any running pipeline's


def _run(page: Path) -> AppTest:
    return AppTest.from_file(str(page), default_timeout=60).run()


@pytest.fixture
def dashboard_env(stack, settings, monkeypatch, tmp_path):
    client = redis.Redis(
        host=settings.redis_host, port=settings.redis_port, db=REDIS_DB, decode_responses=True
    )
    client.flushdb()
    publish(client, NOW, speed=600)
    monkeypatch.setenv("REDIS_DB", str(REDIS_DB))
    monkeypatch.setenv("USE_SIMULATED_TIME", "1")
    monkeypatch.setenv("DELTA_ROOT", str(tmp_path / "delta"))  # no Delta table yet: those parts say so
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    client.flushdb()


@pytest.fixture
def committed_day(pg_conn):
    """Two checkouts and an open alert on NOW's day, committed so the dashboard's own login sees them."""
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT 1")
        shelf = cur.fetchone()[0]  # the one the Shelves page shows
        for n in (1, 2):
            cur.execute(
                'INSERT INTO ops.pos_transactions (transaction_id, customer_id, "timestamp", total_items, total_amount)'
                " VALUES (%s, 'c', %s, 2, 5.00)",
                (f"t-page-{n}", NOW - timedelta(hours=n)),
            )
            cur.execute(
                "INSERT INTO ops.pos_transaction_items (transaction_id, line_no, shelf_id, quantity, unit_price,"
                " discount, total_price) VALUES (%s, 0, %s, 2, 2.50, 0, 5.00)",
                (f"t-page-{n}", shelf),
            )
        cur.execute(
            "INSERT INTO ops.alerts (alert_id, event_type, shelf_id, location, status, created_at, updated_at)"
            " VALUES ('a-page-1', 'stock_discrepancy', %s, 'store', 'open', %s, %s)",
            (alert_shelf(pg_conn, "dashboard-pages"), NOW, NOW),
        )
    yield shelf
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("DELETE FROM ops.pos_transactions WHERE transaction_id LIKE 't-page-%%'")
        cur.execute("DELETE FROM ops.alerts WHERE alert_id = 'a-page-1'")


def _open_alerts(pg_conn) -> int:
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM ops.alerts WHERE status = 'open'")
        return cur.fetchone()[0]


def test_every_page_renders_without_an_exception(dashboard_env, committed_day, pg_conn):
    assert len(PAGES) == 7
    for page in PAGES:
        at = _run(page)
        assert not at.exception, f"{page.name}: {[e.value for e in at.exception]}"
        assert at.title[0].value, page.name
    # other tests open and close alerts meanwhile: compare with a count that held while the page ran
    for _ in range(5):
        before = _open_alerts(pg_conn)
        st.cache_data.clear()
        store = {m.label: m.value for m in _run(REPO_ROOT / "dashboard" / "views" / "store.py").metric}
        if _open_alerts(pg_conn) == before:
            break
    assert store["Transactions today"] == "2"
    assert store["Revenue today"] == "€ 10.00"
    assert store["Open alerts"] == str(before)
    shelves = _run(REPO_ROOT / "dashboard" / "views" / "shelves.py")
    with pg_conn.cursor() as cur:
        cur.execute(
            "SELECT current_stock, capacity FROM state.v_shelf_stock WHERE shelf_id = %s", (committed_day,)
        )
        stock, capacity = cur.fetchone()
    assert {m.label: m.value for m in shelves.metric}["Stock"] == f"{stock} / {capacity}"
    # the Delta tables do not exist here: the page says what creates them
    assert any("spark-init-delta" in w.value for w in shelves.warning)


def test_with_postgres_unreachable_every_page_says_so(dashboard_env, monkeypatch):
    monkeypatch.setenv("PG_PORT", "1")  # nothing listens there: what a stopped Postgres looks like
    st.cache_resource.clear()
    for page in PAGES:
        at = _run(page)
        assert not at.exception, f"{page.name}: {[e.value for e in at.exception]}"
        warnings = [w.value for w in at.warning]
        assert any("PostgreSQL at" in w and "make up S=postgres" in w for w in warnings), (
            page.name,
            warnings,
        )


def test_without_the_clock_pages_say_how_to_start_it(dashboard_env, settings):
    redis.Redis(host=settings.redis_host, port=settings.redis_port, db=REDIS_DB).flushdb()
    for page in PAGES:
        at = _run(page)
        assert not at.exception, f"{page.name}: {[e.value for e in at.exception]}"
        assert any("sim-clock" in w.value for w in at.warning), page.name
