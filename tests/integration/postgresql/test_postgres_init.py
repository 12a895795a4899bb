"""postgres-init against the real database: re-runnable, schemas present, read-only role enforced."""

import psycopg2
import pytest

from smart_shelf import postgres_init
from smart_shelf.postgres_client import connect_postgres


def test_applying_the_schema_twice_changes_nothing(stack, settings, pg_conn):
    assert postgres_init.main() == 0
    assert postgres_init.main() == 0
    with pg_conn.cursor() as cur:
        cur.execute("SELECT schema_name FROM information_schema.schemata")
        schemas = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'dead_letters_source_failed_at'")
        assert cur.fetchone()[0] == 1
    assert {"ref", "config", "state", "ops", "analytics"} <= schemas


def test_readonly_role_reads_but_cannot_write(stack, settings, pg_conn):
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ops.dead_letters (source, reason, raw) VALUES ('test', 'probe', '{}') RETURNING id"
        )
        row_id = cur.fetchone()[0]
    readonly = connect_postgres(settings, readonly=True, deadline_seconds=30)
    try:
        with readonly.cursor() as cur:
            cur.execute("SELECT reason FROM ops.dead_letters WHERE id = %s", (row_id,))
            assert cur.fetchone() == ("probe",)
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), readonly.cursor() as cur:
            cur.execute("DELETE FROM ops.dead_letters WHERE id = %s", (row_id,))
    finally:
        readonly.close()
        with pg_conn, pg_conn.cursor() as cur:
            cur.execute("DELETE FROM ops.dead_letters WHERE id = %s", (row_id,))


def test_wal_level_is_logical_for_change_data_capture(stack, pg_conn):
    with pg_conn.cursor() as cur:
        cur.execute("SHOW wal_level")
        assert cur.fetchone()[0] == "logical"
