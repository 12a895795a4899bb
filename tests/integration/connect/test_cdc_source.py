"""Debezium Postgres source (pgoutput, real Connect worker and Postgres): config rows reach their
compacted topics as plain records keyed by the table's key, an update as a new value, a delete as
a tombstone; the topics' records are the contracts' models."""

from __future__ import annotations

import uuid

from smart_shelf.connect.configs import CDC_TABLES
from smart_shelf.contracts import BatchCatalog, ShelfPolicy
from tests.conftest import consume_all


def test_policy_inserts_updates_and_deletes_reach_the_topic_keyed_by_policy_id(
    settings, cdc, pg_conn, pg_schema, unique
):
    shelf_policy, global_policy = str(uuid.uuid4()), str(uuid.uuid4())
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{pg_schema}".shelf_policies (policy_id, shelf_id, item_category, threshold_pct)'
            " VALUES (%s, 'BEVWAT0001', 'BEVERAGES', 30), (%s, NULL, NULL, 25)",
            (shelf_policy, global_policy),
        )
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            f'UPDATE "{pg_schema}".shelf_policies SET threshold_pct = 55.5, updated_at = now() WHERE policy_id = %s',
            (shelf_policy,),
        )
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f'DELETE FROM "{pg_schema}".shelf_policies WHERE policy_id = %s', (global_policy,))

    records = consume_all(settings, cdc["shelf_policies"], expected=4, timeout_s=90)
    assert [(r.key.decode(), r.value is None) for r in records] == [
        (shelf_policy, False),
        (global_policy, False),
        (shelf_policy, False),
        (global_policy, True),  # the delete: a tombstone, so compaction forgets the policy
    ]
    first, global_row, updated = (ShelfPolicy.model_validate_json(r.value) for r in records[:3])
    assert (first.shelf_id, first.threshold_pct, first.target_pct, first.min_qty) == (
        "BEVWAT0001",
        30.0,
        80.0,
        1,
    )
    assert global_row.shelf_id is None and global_row.threshold_pct == 25.0
    assert updated.threshold_pct == 55.5  # NUMERIC arrives as a number, not base64 bytes
    assert updated.updated_at.utcoffset() is not None


def test_catalogue_rows_carry_iso_dates_and_the_slot_is_held_while_running(
    settings, cdc, pg_conn, pg_schema, unique
):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{pg_schema}".batch_catalog (batch_code, shelf_id, received_date, expiry_date,'
            " standard_batch_size) VALUES ('B-1', 'BEVWAT0001', '2026-01-02', '2026-01-09', 24)"
        )
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f"DELETE FROM \"{pg_schema}\".batch_catalog WHERE batch_code = 'B-1'")
    records = consume_all(settings, cdc["batch_catalog"], expected=2, timeout_s=90)
    assert [r.key for r in records] == [b"B-1", b"B-1"]
    row = BatchCatalog.model_validate_json(records[0].value)
    assert (str(row.received_date), str(row.expiry_date), row.standard_batch_size) == (
        "2026-01-02",
        "2026-01-09",
        24,
    )
    assert records[1].value is None
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "SELECT active, plugin FROM pg_replication_slots WHERE slot_name = %s", (f"test_{unique}",)
        )
        assert cur.fetchone() == (True, "pgoutput")
        cur.execute("SELECT pubname FROM pg_publication_tables WHERE pubname = %s", (f"test_{unique}",))
        assert len(cur.fetchall()) == len(CDC_TABLES)  # a filtered publication: these tables only
