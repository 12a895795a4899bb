"""POS transactions reach Postgres as a header per checkout and a row per line (from the POS raw sink
in batch-state-updater), once each, with the totals of their lines (real Kafka, Spark, Postgres)."""

from decimal import Decimal

import spark_apps.batch_state_updater.job as batch_state_updater
from smart_shelf import settings as s
from smart_shelf.contracts import stable_id
from tests.integration.spark_apps.ledger_harness import run_once, send


def _transaction(unique, n, lines):
    return {
        "event_id": stable_id("pos-pg-test", unique, n),
        "event_type": "pos_transaction",
        "transaction_id": f"tx-{unique}-{n}",
        "customer_id": f"c-{unique}",
        "timestamp": f"2026-03-02T10:0{n}:00+01:00",
        "items": [
            {
                "item_id": shelf,
                "quantity": qty,
                "unit_price": price,
                "discount": discount,
                "total_price": round(qty * price * (1 - discount), 2),
                **({"batch_code": "B-X", "expiry_date": "2026-03-09"} if n == 1 else {}),
            }
            for shelf, qty, price, discount in lines
        ],
    }


def test_each_checkout_is_one_header_and_its_lines_once(
    spark, settings, common, topic_factory, pg_conn, unique
):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute("SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id LIMIT 2")
        a, b = (r[0] for r in cur.fetchall())
    cfg = s.BatchStateSettings(
        **common,
        topic_pos_transactions=topic_factory("pos_transactions", dead_letters=True),
        topic_shelf_events=topic_factory("shelf_events"),
        topic_batch_state=topic_factory("shelf_batch_state"),
    )
    first = _transaction(unique, 1, [(a, 2, 1.5, 0.0), (b, 1, 4.0, 0.3)])
    second = _transaction(unique, 2, [(b, 3, 2.0, 0.0)])
    send(settings, cfg.topic_pos_transactions, [first, second, first])  # a re-sent copy of the first
    try:
        run_once(spark, batch_state_updater, cfg)
        run_once(spark, batch_state_updater, cfg)  # nothing new: nothing changes
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute(
                "SELECT transaction_id, customer_id, \"timestamp\" AT TIME ZONE 'UTC', total_items, total_amount"
                " FROM ops.pos_transactions WHERE customer_id = %s ORDER BY transaction_id",
                (f"c-{unique}",),
            )
            headers = cur.fetchall()
            cur.execute(
                "SELECT transaction_id, line_no, shelf_id, quantity, unit_price, discount, total_price,"
                " batch_code, expiry_date::text FROM ops.pos_transaction_items"
                " WHERE transaction_id LIKE %s ORDER BY transaction_id, line_no",
                (f"tx-{unique}-%",),
            )
            lines = cur.fetchall()
    finally:
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute("DELETE FROM ops.pos_transactions WHERE customer_id = %s", (f"c-{unique}",))
    assert [(h[0], h[3], h[4]) for h in headers] == [
        (f"tx-{unique}-1", 3, Decimal("5.80")),  # 2 x 1.50 + 1 x 4.00 at 30 % off
        (f"tx-{unique}-2", 3, Decimal("6.00")),
    ]
    assert str(headers[0][2]) == "2026-03-02 09:01:00"  # the offset kept: 10:01 at +01:00 is 09:01 UTC
    assert lines == [
        (f"tx-{unique}-1", 1, a, 2, Decimal("1.50"), Decimal("0.0000"), Decimal("3.00"), "B-X", "2026-03-09"),
        (f"tx-{unique}-1", 2, b, 1, Decimal("4.00"), Decimal("0.3000"), Decimal("2.80"), "B-X", "2026-03-09"),
        (f"tx-{unique}-2", 1, b, 3, Decimal("2.00"), Decimal("0.0000"), Decimal("6.00"), None, None),
    ]
