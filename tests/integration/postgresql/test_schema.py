"""The Postgres schema with the generated store loaded: counts, derived config, constraints."""

import pandas as pd
import psycopg2
import pytest

from store_data.files import csv_path
from tests.conftest import alert_shelf


def _one(conn, query, params=()):
    with conn.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


@pytest.mark.parametrize(
    "stem, table",
    [
        ("store_inventory_final", "ref.store_inventory"),
        ("warehouse_inventory_final", "ref.warehouse_inventory"),
        ("store_batches", "ref.store_batches"),
        ("warehouse_batches", "ref.warehouse_batches"),
    ],
)
def test_every_csv_row_reaches_its_table(stack, settings, pg_conn, stem, table):
    expected = len(pd.read_csv(csv_path(settings.data_dir, stem)))
    assert _one(pg_conn, f"SELECT count(*) FROM {table}") == expected


def test_config_is_derived_from_the_reference_data(stack, pg_conn):
    shelves = _one(pg_conn, "SELECT count(*) FROM ref.store_inventory")
    assert _one(pg_conn, "SELECT count(*) FROM config.shelf_policies WHERE shelf_id IS NULL") == 1  # global
    assert _one(pg_conn, "SELECT count(*) FROM config.shelf_policies WHERE shelf_id IS NOT NULL") == shelves
    assert _one(pg_conn, "SELECT count(*) FROM config.wh_policies") == shelves
    assert _one(pg_conn, "SELECT count(*) FROM config.shelf_profiles") == shelves
    batches = _one(
        pg_conn,
        "SELECT (SELECT count(*) FROM ref.store_batches) + (SELECT count(*) FROM ref.warehouse_batches)",
    )
    assert _one(pg_conn, "SELECT count(*) FROM config.batch_catalog") == batches
    # reorder point: 5 % of warehouse capacity, at least 1
    assert (
        _one(
            pg_conn,
            "SELECT count(*) FROM config.wh_policies p JOIN ref.warehouse_inventory w USING (shelf_id)"
            " WHERE p.reorder_point_qty <> GREATEST(1, (w.maximum_stock * 0.05)::int)",
        )
        == 0
    )


def test_loaded_stock_equals_the_sum_of_batches(stack, pg_conn):
    assert (
        _one(
            pg_conn,
            "SELECT count(*) FROM ref.store_inventory s LEFT JOIN (SELECT shelf_id, sum(batch_quantity_store) q"
            " FROM ref.store_batches GROUP BY shelf_id) b USING (shelf_id) WHERE s.current_stock <> coalesce(b.q, 0)",
        )
        == 0
    )


@pytest.mark.parametrize(
    "statement, why",
    [
        (
            "INSERT INTO state.shelf_state VALUES ((SELECT min(shelf_id) FROM ref.store_inventory), -1, 1, 1, now())",
            "stock cannot be negative",
        ),
        (
            "INSERT INTO state.wh_state VALUES ('NO-SUCH-SHELF', 5, now())",
            "state rows belong to known shelves",
        ),
        (
            "UPDATE ref.store_inventory SET current_stock = maximum_stock + 1 WHERE shelf_id = "
            "(SELECT min(shelf_id) FROM ref.store_inventory)",
            "a shelf holds no more than its capacity",
        ),
        (
            "INSERT INTO analytics.daily_discounts VALUES ((SELECT min(shelf_id) FROM ref.store_inventory),"
            " '2026-01-01', 1.5, now())",
            "a discount is at most 100 %",
        ),
    ],
)
def test_constraints_reject_impossible_rows(stack, pg_conn, statement, why):
    with pytest.raises(psycopg2.errors.IntegrityError), pg_conn, pg_conn.cursor() as cur:
        cur.execute(statement)


def test_a_plan_status_only_moves_forward(stack, pg_conn, unique):
    plan_id = f"test-{unique}"
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ops.shelf_restock_plan VALUES (%s, (SELECT min(shelf_id) FROM ref.store_inventory),"
            " 10, 'pending', NULL, now(), now())",
            (plan_id,),
        )
        cur.execute("UPDATE ops.shelf_restock_plan SET status = 'issued' WHERE plan_id = %s", (plan_id,))
    try:
        with pytest.raises(psycopg2.errors.CheckViolation), pg_conn, pg_conn.cursor() as cur:
            cur.execute("UPDATE ops.shelf_restock_plan SET status = 'pending' WHERE plan_id = %s", (plan_id,))
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute(
                "UPDATE ops.shelf_restock_plan SET status = 'completed' WHERE plan_id = %s", (plan_id,)
            )
        with pytest.raises(psycopg2.errors.CheckViolation), pg_conn, pg_conn.cursor() as cur:
            cur.execute("UPDATE ops.shelf_restock_plan SET status = 'issued' WHERE plan_id = %s", (plan_id,))
    finally:
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute("DELETE FROM ops.shelf_restock_plan WHERE plan_id = %s", (plan_id,))


def test_at_most_one_open_alert_per_shelf_and_type(stack, pg_conn, unique):
    shelf = alert_shelf(pg_conn, "schema")
    insert = (
        "INSERT INTO ops.alerts (alert_id, event_type, shelf_id, location, created_at)"
        " VALUES (%s, 'refill_request', %s, 'store', now())"
    )
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(insert, (f"a1-{unique}", shelf))
    try:
        with pytest.raises(psycopg2.errors.UniqueViolation), pg_conn, pg_conn.cursor() as cur:
            cur.execute(insert, (f"a2-{unique}", shelf))
        with pg_conn, pg_conn.cursor() as cur:  # once resolved, a new alert may open
            cur.execute("UPDATE ops.alerts SET status = 'resolved' WHERE alert_id = %s", (f"a1-{unique}",))
            cur.execute(insert, (f"a2-{unique}", shelf))
    finally:
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute("DELETE FROM ops.alerts WHERE alert_id IN (%s, %s)", (f"a1-{unique}", f"a2-{unique}"))
