"""What the dashboard asks PostgreSQL, one function per view, each returning a DataFrame.

Plain functions over a DB-API connection (the dashboard's is the read-only role's), parameterised SQL
only, and only the rows a view shows: aggregates are computed by Postgres, lists are bounded.
Times are simulated time, so "today" is a range the caller passes ([start, end) in UTC).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

RECENT_LIMIT = 500  # rows of a list (alerts, plans, orders) a page shows at most


def frame(conn, query: str, params: dict | tuple | None = None) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query, params)
        columns = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=columns)


def shelf_status(conn, today: date) -> pd.DataFrame:
    """Every shelf: stock, capacity, the policy in force, and its earliest batch not yet expired."""
    return frame(
        conn,
        """
        SELECT s.shelf_id, s.aisle, s.item_category, s.item_subcategory, s.capacity, s.current_stock,
               s.item_price, s.last_update_ts, p.threshold_pct, p.target_pct, p.min_qty, p.near_expiry_days,
               b.next_expiry
        FROM state.v_shelf_stock s
        JOIN config.v_shelf_policy_in_force p USING (shelf_id)
        LEFT JOIN (
            SELECT shelf_id, min(expiry_date) AS next_expiry FROM state.v_shelf_batches
            WHERE batch_quantity_store > 0 AND expiry_date >= %(today)s GROUP BY shelf_id
        ) b USING (shelf_id)
        ORDER BY s.shelf_id
        """,
        {"today": today},
    )


def loaded_stock(conn, shelf_id: str) -> pd.DataFrame:
    """The shelf's stock in the loaded snapshot, before any event."""
    return frame(conn, "SELECT current_stock FROM ref.store_inventory WHERE shelf_id = %s", (shelf_id,))


def warehouse_status(conn) -> pd.DataFrame:
    """Every warehouse product: stock, capacity, reorder point and target, open supplier plan."""
    return frame(
        conn,
        """
        SELECT w.shelf_id, w.item_category, w.item_subcategory, w.capacity, w.wh_current_stock,
               w.standard_batch_size, p.reorder_point_qty, p.target_pct, w.last_update_ts,
               w.wh_current_stock < p.reorder_point_qty AS below_reorder_point,
               o.suggested_qty AS open_plan_qty, o.status AS open_plan_status
        FROM state.v_wh_stock w
        JOIN config.v_wh_policy_in_force p USING (shelf_id)
        LEFT JOIN ops.wh_supplier_plan o
               ON o.shelf_id = w.shelf_id AND o.status IN ('pending', 'issued')
        ORDER BY w.shelf_id
        """,
    )


def sales_totals(conn, start: datetime, end: datetime) -> pd.DataFrame:
    """One row: transactions, units and revenue at the till in [start, end)."""
    return frame(
        conn,
        """
        SELECT count(DISTINCT t.transaction_id) AS transactions,
               coalesce(sum(i.quantity), 0) AS units, coalesce(sum(i.total_price), 0) AS revenue
        FROM ops.pos_transactions t
        LEFT JOIN ops.pos_transaction_items i USING (transaction_id)
        WHERE t."timestamp" >= %(start)s AND t."timestamp" < %(end)s
        """,
        {"start": start, "end": end},
    )


def sales_by_hour(conn, start: datetime, end: datetime) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT date_trunc('hour', t."timestamp") AS hour, count(DISTINCT t.transaction_id) AS transactions,
               sum(i.quantity) AS units, sum(i.total_price) AS revenue
        FROM ops.pos_transactions t
        JOIN ops.pos_transaction_items i USING (transaction_id)
        WHERE t."timestamp" >= %(start)s AND t."timestamp" < %(end)s
        GROUP BY 1 ORDER BY 1
        """,
        {"start": start, "end": end},
    )


def top_products(conn, start: datetime, end: datetime, limit: int = 15) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT i.shelf_id, r.item_category, r.item_subcategory, sum(i.quantity) AS units,
               sum(i.total_price) AS revenue
        FROM ops.pos_transactions t
        JOIN ops.pos_transaction_items i USING (transaction_id)
        JOIN ref.store_inventory r USING (shelf_id)
        WHERE t."timestamp" >= %(start)s AND t."timestamp" < %(end)s
        GROUP BY 1, 2, 3 ORDER BY units DESC, i.shelf_id LIMIT %(limit)s
        """,
        {"start": start, "end": end, "limit": limit},
    )


def discount_effect(conn, start: datetime, end: datetime) -> pd.DataFrame:
    """Till lines by price kind: full price, near-expiry (the daily discount of that shelf and day),
    weekly (any other discount): lines, units, revenue, mean discount and units per line."""
    return frame(
        conn,
        """
        SELECT CASE WHEN i.discount = 0 THEN 'full price'
                    WHEN d.shelf_id IS NOT NULL THEN 'near-expiry discount'
                    ELSE 'weekly discount' END AS price_kind,
               count(*) AS lines, sum(i.quantity) AS units, sum(i.total_price) AS revenue,
               avg(i.discount) AS mean_discount, avg(i.quantity) AS units_per_line
        FROM ops.pos_transactions t
        JOIN ops.pos_transaction_items i USING (transaction_id)
        LEFT JOIN analytics.daily_discounts d
               ON d.shelf_id = i.shelf_id AND d.discount_date = (t."timestamp" AT TIME ZONE 'UTC')::date
        WHERE t."timestamp" >= %(start)s AND t."timestamp" < %(end)s
        GROUP BY 1 ORDER BY 1
        """,
        {"start": start, "end": end},
    )


def open_alerts_by_type(conn) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT event_type, location, count(*) AS open_alerts FROM ops.alerts
        WHERE status = 'open' GROUP BY 1, 2 ORDER BY 1, 2
        """,
    )


def open_alert_shelves(conn) -> pd.DataFrame:
    """The shelves with an open alert (the store map marks them)."""
    return frame(
        conn,
        "SELECT shelf_id, event_type, created_at FROM ops.alerts WHERE status = 'open' AND location = 'store'",
    )


def alerts(
    conn,
    *,
    since: datetime | None = None,
    event_types: list[str] | None = None,
    statuses: list[str] | None = None,
    shelf_id: str | None = None,
    limit: int = RECENT_LIMIT,
) -> pd.DataFrame:
    """The latest alerts, newest first, with how long each took to resolve (hours of simulated time)."""
    return frame(
        conn,
        """
        SELECT alert_id, event_type, shelf_id, location, status, current_stock, min_qty, threshold_pct,
               stock_pct, suggested_qty, batch_code, quantity, created_at, updated_at,
               CASE WHEN status = 'resolved'
                    THEN extract(epoch FROM updated_at - created_at) / 3600 END AS hours_to_resolve
        FROM ops.alerts
        WHERE (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)
          AND (%(types)s::text[] IS NULL OR event_type = ANY(%(types)s))
          AND (%(statuses)s::text[] IS NULL OR status::text = ANY(%(statuses)s))
          AND (%(shelf)s::text IS NULL OR shelf_id = %(shelf)s)
        ORDER BY created_at DESC, alert_id LIMIT %(limit)s
        """,
        {"since": since, "types": event_types, "statuses": statuses, "shelf": shelf_id, "limit": limit},
    )


def alert_lifecycle(conn, since: datetime | None = None) -> pd.DataFrame:
    """Per alert type: how many are open, acknowledged, resolved; median and p90 hours to resolve."""
    return frame(
        conn,
        """
        SELECT event_type,
               count(*) FILTER (WHERE status = 'open') AS open,
               count(*) FILTER (WHERE status = 'acknowledged') AS acknowledged,
               count(*) FILTER (WHERE status = 'resolved') AS resolved,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) / 3600)
                   FILTER (WHERE status = 'resolved') AS median_hours_to_resolve,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM updated_at - created_at) / 3600)
                   FILTER (WHERE status = 'resolved') AS p90_hours_to_resolve
        FROM ops.alerts
        WHERE %(since)s::timestamptz IS NULL OR created_at >= %(since)s
        GROUP BY 1 ORDER BY 1
        """,
        {"since": since},
    )


def shelf_batches(conn, shelf_id: str) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT batch_code, received_date, expiry_date, batch_quantity_store, last_update_ts
        FROM state.v_shelf_batches WHERE shelf_id = %(shelf)s
        ORDER BY expiry_date, batch_code
        """,
        {"shelf": shelf_id},
    )


def restock_plans(conn, shelf_id: str | None = None, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT plan_id, shelf_id, status, suggested_qty, picked_qty, alert_id, created_at, updated_at
        FROM ops.shelf_restock_plan
        WHERE %(shelf)s::text IS NULL OR shelf_id = %(shelf)s
        ORDER BY created_at DESC, plan_id LIMIT %(limit)s
        """,
        {"shelf": shelf_id, "limit": limit},
    )


def supplier_plans(conn, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT supplier_plan_id, shelf_id, status, suggested_qty, standard_batch_size, order_id,
               received_qty, created_at, updated_at
        FROM ops.wh_supplier_plan ORDER BY created_at DESC, supplier_plan_id LIMIT %(limit)s
        """,
        {"limit": limit},
    )


def next_deliveries(conn) -> pd.DataFrame:
    """Orders not delivered yet, by the delivery they are due with."""
    return frame(
        conn,
        """
        SELECT delivery_date, count(*) AS orders, sum(ordered_qty) AS units,
               count(DISTINCT shelf_id) AS products
        FROM ops.wh_supplier_orders WHERE status = 'ordered'
        GROUP BY 1 ORDER BY 1
        """,
    )


def receipts(conn, limit: int = RECENT_LIMIT) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT receipt_id, order_id, shelf_id, batch_code, received_qty, received_date, expiry_date, created_at
        FROM ops.wh_supplier_receipts ORDER BY created_at DESC, receipt_id LIMIT %(limit)s
        """,
        {"limit": limit},
    )


def models(conn) -> pd.DataFrame:
    return frame(
        conn,
        """
        SELECT model_name, model_version, champion, promotion_note, trained_at, trained_sim_at, data_from,
               data_to, metrics_json, artifact_path
        FROM analytics.ml_models ORDER BY trained_at DESC
        """,
    )


def predictions(conn, limit: int = 5000) -> pd.DataFrame:
    """The latest predictions beside the demand that came (units sold plus lost-sale units over the
    days each order covered; null until those days have closed)."""
    return frame(
        conn,
        """
        SELECT p.model_name, p.model_version, p.cutoff_ts, p.feature_date, p.shelf_id, p.forecast_units,
               p.covered_days, p.predicted_batches, p.suggested_qty,
               CASE WHEN d.days = p.covered_days THEN d.demand END AS demand
        FROM analytics.ml_predictions_log p
        LEFT JOIN LATERAL (
            SELECT sum(s.units_sold + s.lost_sale_units) AS demand, count(*) AS days
            FROM analytics.shelf_daily s
            WHERE s.shelf_id = p.shelf_id AND s.day > p.feature_date
              AND s.day <= p.feature_date + coalesce(p.covered_days, 0)
        ) d ON true
        ORDER BY p.feature_date DESC, p.shelf_id LIMIT %(limit)s
        """,
        {"limit": limit},
    )


def inference_runs(conn, limit: int = 50) -> pd.DataFrame:
    """The inference service's runs, latest first: a refused one says why no order came from the model."""
    return frame(
        conn,
        """
        SELECT cutoff_ts, ran_at, status, reason, model_name, model_version, order_policy, shelves, orders,
               units, seconds
        FROM analytics.ml_inference_runs ORDER BY cutoff_ts DESC LIMIT %(limit)s
        """,
        {"limit": limit},
    )


def dead_letters(conn) -> pd.DataFrame:
    """Refused records per source and reason (the jobs that write dead letters to Postgres)."""
    return frame(
        conn,
        """
        SELECT source, reason, count(*) AS records, max(failed_at) AS last_failed_at
        FROM ops.dead_letters GROUP BY 1, 2 ORDER BY records DESC LIMIT 200
        """,
    )
