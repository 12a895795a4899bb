"""The engines follow the policies live: an UPDATE of a policy row in Postgres reaches a running
shelf-alert-engine through the CDC source and its topic, and a shelf that was fine becomes low and
gets a plan, with no restart (real Postgres, Kafka Connect, Kafka and Spark)."""

import json
import math
import uuid
from datetime import UTC, datetime

import spark_apps.shelf_alert_engine.job as alert_engine
from smart_shelf import settings as s
from tests.conftest import consume_all
from tests.integration.spark_apps.ledger_harness import send, wait_for

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _rows_read(queries) -> int:
    ledger = next(q for q in queries if not q.name.endswith("_table"))
    return sum(p["numInputRows"] for p in ledger.recentProgress)


def test_a_policy_updated_in_postgres_changes_what_the_running_engine_decides(
    spark, settings, common, cdc, topic_factory, pg_conn, pg_schema
):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id, maximum_stock FROM ref.store_inventory WHERE maximum_stock BETWEEN 20 AND 60"
            " ORDER BY shelf_id LIMIT 1"
        )
        shelf, capacity = cur.fetchone()
    stock = capacity // 5  # 20 %: fine under a 10 % threshold, low under 30 %
    policy_id = str(uuid.uuid4())
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{pg_schema}".shelf_policies (policy_id, shelf_id, threshold_pct, target_pct)'
            " VALUES (%s, %s, 10, 80)",
            (policy_id, shelf),
        )
    plans = topic_factory("shelf_restock_plan")
    engine = s.ShelfAlertEngineSettings(
        **{**common, "spark_available_now": False},
        spark_trigger_seconds=2,
        write_to_pg=False,
        topic_shelf_state=topic_factory("shelf_state"),
        topic_wh_state=topic_factory("wh_state"),
        topic_shelf_batch_state=topic_factory("shelf_batch_state"),
        topic_shelf_events=topic_factory("shelf_events", dead_letters=True),
        topic_restock=plans,
        topic_shelf_policies=cdc["shelf_policies"],
    )
    state = {
        "shelf_id": shelf,
        "current_stock": stock,
        "item_weight": 100.0,
        "shelf_weight": stock * 100.0,
        "last_update_ts": T0.isoformat(),
        "restocked_units": 0,
    }
    queries = alert_engine.start(spark, engine)
    try:
        wait_for(
            lambda: consume_all(settings, cdc["shelf_policies"], 1, timeout_s=5),
            90,
            "the policy on its topic",
        )
        send(settings, engine.topic_shelf_state, [state], key=shelf)
        # the policy reading and the state row have both been through the ledger: nothing is low
        wait_for(lambda: _rows_read(queries) >= 2, 180, "the engine to read the policy and the shelf")
        assert consume_all(settings, plans, 1, timeout_s=5) == []

        with pg_conn, pg_conn.cursor() as cur:
            cur.execute(
                f'UPDATE "{pg_schema}".shelf_policies SET threshold_pct = 30, updated_at = now()'
                " WHERE policy_id = %s",
                (policy_id,),
            )
        (plan,) = [json.loads(r.value) for r in consume_all(settings, plans, 1, timeout_s=180)]
        assert (plan["shelf_id"], plan["status"]) == (shelf, "pending")
        assert plan["suggested_qty"] == math.ceil(capacity * 0.8) - stock
        assert datetime.fromisoformat(plan["created_at"]) == T0  # judged as of the shelf's latest reading
        (alert,) = [
            json.loads(r.value) for r in consume_all(settings, common["topic_alerts"], 1, timeout_s=60)
        ]
        assert (alert["event_type"], alert["status"], alert["threshold_pct"]) == (
            "refill_request",
            "open",
            30.0,
        )
        assert all(q.isActive for q in queries)  # the same queries: no restart
    finally:
        for query in queries:
            query.stop()
