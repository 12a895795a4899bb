"""What the store's operations did, per simulated day: python -m smart_shelf.ops_report

Reads Postgres (alerts, restock and supplier plans, orders, receipts, daily discounts) and the shelf
producer's lost sales in Redis (a customer wanted units of an empty shelf: a stockout). Prints one
table per subject; nothing is written.
"""

from __future__ import annotations

import sys

from smart_shelf.logs import configure_logging
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.redis_client import connect_redis, lost_sales_key
from smart_shelf.settings import get_settings, load_dotenv

QUERIES = {
    "alerts (by type and status)": """
        SELECT event_type, location, status::text, count(*) AS alerts, sum(quantity) AS units
        FROM ops.alerts GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    "restock plans (by status)": """
        SELECT status::text, count(*) AS plans, sum(suggested_qty) AS asked, sum(picked_qty) AS picked,
               count(DISTINCT shelf_id) AS shelves
        FROM ops.shelf_restock_plan GROUP BY 1 ORDER BY 1""",
    "supplier plans (by status)": """
        SELECT status::text, count(*) AS plans, sum(suggested_qty) AS units
        FROM ops.wh_supplier_plan GROUP BY 1 ORDER BY 1""",
    "supplier orders (by delivery date)": """
        SELECT delivery_date, status, count(*) AS orders, sum(ordered_qty) AS units
        FROM ops.wh_supplier_orders GROUP BY 1, 2 ORDER BY 1, 2""",
    "deliveries (by date)": """
        SELECT received_date, count(*) AS receipts, sum(received_qty) AS units, min(expiry_date) AS first_expiry
        FROM ops.wh_supplier_receipts GROUP BY 1 ORDER BY 1""",
    "daily discounts (by date)": """
        SELECT discount_date, count(*) AS shelves, round(avg(discount), 3) AS mean_discount
        FROM analytics.daily_discounts GROUP BY 1 ORDER BY 1""",
    "duplicates (must be none)": """
        SELECT 'open restock plans on one shelf' AS what, count(*) AS cases FROM (
            SELECT shelf_id FROM ops.shelf_restock_plan WHERE status IN ('pending', 'issued')
            GROUP BY 1 HAVING count(*) > 1) p
        UNION ALL SELECT 'orders for one product and delivery', count(*) FROM (
            SELECT shelf_id, delivery_date FROM ops.wh_supplier_orders GROUP BY 1, 2 HAVING count(*) > 1) o""",
}


def _table(title: str, rows: list[dict]) -> str:
    if not rows:
        return f"{title}: none"
    names = list(rows[0])
    cells = [[str(r[n]) for n in names] for r in rows]
    widths = [max(len(n), *(len(c[i]) for c in cells)) for i, n in enumerate(names)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))  # noqa: E731
    return "\n".join([f"{title}:", "  " + line(names), *("  " + line(c) for c in cells)])


def stockouts(settings) -> list[dict]:
    """Per day: shelves a customer found empty, and the units they wanted (the shelf producer's record)."""
    client = connect_redis(settings, deadline_seconds=30)
    rows = []
    for key in sorted(client.scan_iter(lost_sales_key("*"))):
        name = key if isinstance(key, str) else key.decode()
        lost = client.hgetall(name)
        rows.append(
            {
                "day": name.rsplit(":", 1)[1],
                "shelves": len(lost),
                "units_wanted": sum(int(v) for v in lost.values()),
            }
        )
    return rows


def main() -> int:
    load_dotenv()
    settings = get_settings()
    configure_logging("WARNING")
    for title, query in QUERIES.items():
        print(_table(title, fetch_rows(settings, query)), end="\n\n")
    print(_table("stockouts (customers who found a shelf empty)", stockouts(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
