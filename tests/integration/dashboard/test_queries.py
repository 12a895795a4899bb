"""The dashboard's Postgres queries against the real schema, on rows each test writes inside a
transaction it rolls back (on a simulated day no pipeline reaches), so the answers are exact."""

from datetime import UTC, date, datetime, timedelta

import psycopg2.extras
import pytest

from dashboard import queries
from smart_shelf.postgres_client import connect_postgres
from smart_shelf.store.policies import PolicyBook
from tests.conftest import alert_shelf

DAY = datetime(2031, 5, 5, tzinfo=UTC)  # a Monday far from any pipeline's clock


@pytest.fixture
def tx(pg_conn):
    """The writer's connection inside a transaction that is rolled back afterwards."""
    pg_conn.autocommit = False
    yield pg_conn
    pg_conn.rollback()


def _shelves(conn, n: int) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT %s", (n,))
        return [r[0] for r in cur.fetchall()]


def _sell(conn, transaction_id: str, at: datetime, lines: list[tuple[str, int, float, float]]) -> None:
    """One checkout: lines of (shelf, quantity, unit price, discount)."""
    with conn.cursor() as cur:
        total = sum(q * p * (1 - d) for _, q, p, d in lines)
        cur.execute(
            'INSERT INTO ops.pos_transactions (transaction_id, customer_id, "timestamp", total_items, total_amount)'
            " VALUES (%s, 'c', %s, %s, %s)",
            (transaction_id, at, sum(q for _, q, _, _ in lines), round(total, 2)),
        )
        for n, (shelf, q, price, discount) in enumerate(lines):
            cur.execute(
                "INSERT INTO ops.pos_transaction_items (transaction_id, line_no, shelf_id, quantity, unit_price,"
                " discount, total_price) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (transaction_id, n, shelf, q, price, discount, round(q * price * (1 - discount), 2)),
            )


def test_sales_of_a_day_by_total_hour_product_and_price_kind(tx):
    a, b = _shelves(tx, 2)
    _sell(tx, "t-dash-1", DAY + timedelta(hours=9, minutes=5), [(a, 2, 10.0, 0.0), (b, 1, 4.0, 0.2)])
    _sell(tx, "t-dash-2", DAY + timedelta(hours=9, minutes=50), [(a, 1, 10.0, 0.4)])
    _sell(tx, "t-dash-3", DAY + timedelta(hours=11), [(b, 3, 4.0, 0.0)])
    _sell(tx, "t-dash-4", DAY + timedelta(days=1, hours=1), [(b, 5, 4.0, 0.0)])  # the next day
    with tx.cursor() as cur:
        cur.execute(
            "INSERT INTO analytics.daily_discounts (shelf_id, discount_date, discount, created_at)"
            " VALUES (%s, %s, 0.4, now())",
            (a, DAY.date()),
        )
    start, end = DAY, DAY + timedelta(days=1)

    totals = queries.sales_totals(tx, start, end).iloc[0]
    assert (int(totals["transactions"]), int(totals["units"])) == (3, 7)
    assert float(totals["revenue"]) == pytest.approx(20 + 3.2 + 6 + 12)

    hourly = queries.sales_by_hour(tx, start, end)
    assert [h.hour for h in hourly["hour"]] == [9, 11]
    assert hourly["transactions"].tolist() == [2, 1] and hourly["units"].tolist() == [4, 3]

    top = queries.top_products(tx, start, end)
    assert top[["shelf_id", "units"]].values.tolist() == [[a, 3], [b, 4]][::-1]

    kinds = queries.discount_effect(tx, start, end).set_index("price_kind")
    assert kinds["units"].to_dict() == {"full price": 5, "near-expiry discount": 1, "weekly discount": 1}


def test_alerts_lifecycle_and_time_to_resolve(tx):
    shelf = alert_shelf(tx, "dashboard-queries")
    rows = [
        ("a-dash-1", "refill_request", "resolved", DAY, DAY + timedelta(hours=2)),
        ("a-dash-2", "refill_request", "resolved", DAY, DAY + timedelta(hours=4)),
        ("a-dash-3", "near_expiry", "acknowledged", DAY + timedelta(hours=1), DAY + timedelta(hours=1)),
        ("a-dash-4", "stock_discrepancy", "open", DAY + timedelta(hours=3), DAY + timedelta(hours=3)),
    ]
    with tx.cursor() as cur:
        for alert_id, kind, status, created, updated in rows:
            cur.execute(
                "INSERT INTO ops.alerts (alert_id, event_type, shelf_id, location, status, created_at, updated_at)"
                " VALUES (%s, %s, %s, 'store', %s, %s, %s)",
                (alert_id, kind, shelf, status, created, updated),
            )
    life = queries.alert_lifecycle(tx, since=DAY).set_index("event_type")
    assert life.loc["refill_request", ["open", "acknowledged", "resolved"]].tolist() == [0, 0, 2]
    assert life.loc["refill_request", "median_hours_to_resolve"] == pytest.approx(3.0)
    assert life.loc["near_expiry", "acknowledged"] == 1

    latest = queries.alerts(tx, since=DAY, event_types=["refill_request", "near_expiry"], statuses=None)
    assert latest["alert_id"].tolist() == ["a-dash-3", "a-dash-1", "a-dash-2"]
    assert latest.set_index("alert_id").loc["a-dash-2", "hours_to_resolve"] == pytest.approx(4.0)
    opened = queries.alerts(tx, since=DAY, statuses=["open"], shelf_id=shelf)
    assert opened["alert_id"].tolist() == ["a-dash-4"]
    assert (queries.open_alert_shelves(tx)["shelf_id"] == shelf).any()


def test_shelf_status_reads_the_ledger_over_the_snapshot_and_the_policy_in_force(tx):
    a, b = _shelves(tx, 2)
    with tx.cursor() as cur:
        cur.execute(
            "INSERT INTO state.shelf_state (shelf_id, current_stock, last_update_ts) VALUES (%s, 0, now())"
            " ON CONFLICT (shelf_id) DO UPDATE SET current_stock = 0",
            (a,),
        )
        cur.execute("UPDATE config.shelf_policies SET active = false WHERE shelf_id = %s", (b,))
        cur.execute(
            "INSERT INTO config.shelf_policies (policy_id, shelf_id, threshold_pct, target_pct, min_qty)"
            " VALUES (gen_random_uuid(), %s, 55, 90, 3)",
            (b,),
        )
        cur.execute("SELECT current_stock FROM ref.store_inventory WHERE shelf_id = %s", (b,))
        loaded_b = cur.fetchone()[0]
        cur.execute("DELETE FROM state.shelf_state WHERE shelf_id = %s", (b,))
    status = queries.shelf_status(tx, DAY.date()).set_index("shelf_id")
    assert status.loc[a, "current_stock"] == 0
    assert status.loc[b, "current_stock"] == loaded_b  # no ledger row: the snapshot
    assert (status.loc[b, "threshold_pct"], status.loc[b, "min_qty"]) == (55, 3)


def test_the_policy_views_pick_what_the_policy_rule_picks(tx):
    """config.v_shelf_policy_in_force against smart_shelf.store.policies, with rows of every scope."""
    shelves = _shelves(tx, 3)
    with tx.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(
            "SELECT item_category, item_subcategory FROM ref.store_inventory WHERE shelf_id = %s",
            (shelves[0],),
        )
        scope = cur.fetchone()
        cur.execute(
            "UPDATE config.shelf_policies SET active = false WHERE shelf_id = ANY(%s)", (shelves[:2],)
        )
        cur.execute(
            "INSERT INTO config.shelf_policies (policy_id, item_category, item_subcategory, threshold_pct) VALUES"
            " (gen_random_uuid(), %s, NULL, 41), (gen_random_uuid(), %s, %s, 42)",
            (scope["item_category"], scope["item_category"], scope["item_subcategory"]),
        )
        cur.execute("SELECT * FROM config.v_shelf_policy_in_force WHERE shelf_id = ANY(%s)", (shelves,))
        viewed = {r["shelf_id"]: r for r in cur.fetchall()}
        cur.execute(
            "SELECT p.*, s.shelf_id AS covered FROM config.shelf_policies p JOIN ref.store_inventory s"
            " ON (p.shelf_id IS NULL OR p.shelf_id = s.shelf_id)"
            " AND (p.item_category IS NULL OR p.item_category = s.item_category)"
            " AND (p.item_subcategory IS NULL OR p.item_subcategory = s.item_subcategory)"
            " WHERE s.shelf_id = ANY(%s)",
            (shelves,),
        )
        reaching = cur.fetchall()
    for shelf in shelves:
        book = PolicyBook()
        for row in (r for r in reaching if r["covered"] == shelf):
            book.apply({**row, "updated_at": row["updated_at"].isoformat()})
        rule = book.in_force()
        assert float(viewed[shelf]["threshold_pct"]) == float(rule["threshold_pct"]), shelf
    assert float(viewed[shelves[0]]["threshold_pct"]) == 42  # its subcategory's, over its category's


def test_warehouse_status_flags_products_below_their_reorder_point(tx):
    shelf = _shelves(tx, 1)[0]
    with tx.cursor() as cur:
        cur.execute(
            "INSERT INTO state.wh_state (shelf_id, wh_current_stock, last_update_ts) VALUES (%s, 0, now())"
            " ON CONFLICT (shelf_id) DO UPDATE SET wh_current_stock = 0",
            (shelf,),
        )
    row = queries.warehouse_status(tx).set_index("shelf_id").loc[shelf]
    assert row["wh_current_stock"] == 0 and bool(row["below_reorder_point"]) and row["reorder_point_qty"] >= 1


def test_the_next_deliveries_are_the_orders_not_delivered_yet(tx):
    a, b = _shelves(tx, 2)
    cutoff = DAY - timedelta(hours=12)
    with tx.cursor() as cur:
        for order_id, shelf, qty, status in (
            ("o-dash-1", a, 24, "ordered"),
            ("o-dash-2", b, 12, "ordered"),
            ("o-dash-3", b, 6, "delivered"),
        ):
            cur.execute(
                "INSERT INTO ops.wh_supplier_orders (order_id, shelf_id, ordered_qty, cutoff_ts, delivery_date,"
                " status, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, now(), now())",
                (order_id, shelf, qty, cutoff, date(2031, 5, 7), status),
            )
    deliveries = queries.next_deliveries(tx).set_index("delivery_date")
    assert deliveries.loc[date(2031, 5, 7), ["orders", "units", "products"]].tolist() == [2, 36, 2]


def test_every_query_runs_as_the_read_only_role(stack, settings):
    """The dashboard logs in as PG_READONLY_USER: each query (views included) must be readable by it."""
    conn = connect_postgres(settings, readonly=True, deadline_seconds=30)
    try:
        conn.set_session(readonly=True, autocommit=True)
        shelf = queries.frame(conn, "SELECT shelf_id FROM ref.store_inventory LIMIT 1")["shelf_id"].iloc[0]
        start, end = DAY, DAY + timedelta(days=1)
        calls = [
            lambda: queries.shelf_status(conn, DAY.date()),
            lambda: queries.loaded_stock(conn, shelf),
            lambda: queries.warehouse_status(conn),
            lambda: queries.sales_totals(conn, start, end),
            lambda: queries.sales_by_hour(conn, start, end),
            lambda: queries.top_products(conn, start, end),
            lambda: queries.discount_effect(conn, start, end),
            lambda: queries.open_alerts_by_type(conn),
            lambda: queries.open_alert_shelves(conn),
            lambda: queries.alerts(conn, since=start),
            lambda: queries.alert_lifecycle(conn, start),
            lambda: queries.shelf_batches(conn, shelf),
            lambda: queries.restock_plans(conn, shelf),
            lambda: queries.supplier_plans(conn),
            lambda: queries.next_deliveries(conn),
            lambda: queries.receipts(conn),
            lambda: queries.models(conn),
            lambda: queries.predictions(conn),
            lambda: queries.inference_runs(conn),
            lambda: queries.dead_letters(conn),
        ]
        public = [
            n
            for n in dir(queries)
            if callable(getattr(queries, n))
            and getattr(getattr(queries, n), "__module__", "") == queries.__name__
        ]
        assert len(calls) == len(public) - 1, "a query was added: call it here too (frame is the helper)"
        for call in calls:
            call()
        assert len(queries.shelf_status(conn, DAY.date())) > 1000
    finally:
        conn.close()
