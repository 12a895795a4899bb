"""PostgreSQL connections and the SQL files under postgresql/."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import psycopg2
import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import execute_values

from smart_shelf.paths import SQL_DIR
from smart_shelf.retry import retry
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)
PG_BATCH_ROWS = 1000


def connect_postgres(
    settings: Settings, *, readonly: bool = False, deadline_seconds: float | None = None
) -> psycopg2.extensions.connection:
    """A connection as the writer (or the read-only role), retried with backoff while Postgres is down."""
    return retry(
        lambda: psycopg2.connect(settings.pg_dsn(readonly=readonly)),
        what=f"postgres {settings.pg_host}:{settings.pg_port}/{settings.pg_db}",
        deadline_seconds=deadline_seconds,
        max_delay=settings.retry_max_seconds,
        exceptions=(psycopg2.OperationalError,),
    )


def sql_files(folder: Path = SQL_DIR) -> list[Path]:
    """The numbered SQL files, in the order they apply."""
    return sorted(folder.glob("[0-9][0-9]*.sql"))


def apply_sql_files(
    conn: psycopg2.extensions.connection, files: list[Path], params: dict | None = None
) -> None:
    """Apply each file in its own transaction; the files are written to be re-runnable."""
    for path in files:
        with conn, conn.cursor() as cur:
            log.info("applying %s", path.name)
            cur.execute(path.read_text(), params)


def drop_slot_when_released(cur, slot: str, timeout_seconds: float = 60.0) -> bool:
    """Drop a replication slot once no connection holds it (a deleted connector lets go of it a
    moment later; an active slot cannot be dropped). False if there was none."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        cur.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,))
        row = cur.fetchone()
        if row is None:
            return False
        if not row[0]:
            try:
                cur.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
            except psycopg2.errors.ObjectInUse:
                # taken again between the check and the drop (a task of the connector still
                # stopping): wait for it to let go, as above
                if not cur.connection.autocommit:
                    cur.connection.rollback()
            else:
                log.info("dropped replication slot %s", slot)
                return True
        if time.monotonic() > deadline:
            raise TimeoutError(f"replication slot {slot} is still in use after {timeout_seconds:.0f}s")
        time.sleep(1)


def drop_cdc(settings: Settings) -> None:
    """Drop the CDC source's replication slot and publication, so a reset leaves no WAL pinned on an
    external server. Its connector must be gone first."""
    conn = connect_postgres(settings, deadline_seconds=30)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            drop_slot_when_released(cur, settings.debezium_slot)
            cur.execute(
                sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(settings.debezium_publication))
            )
    finally:
        conn.close()


def fetch_rows(settings: Settings, query: str, params: tuple = ()) -> list[dict]:
    """A query's rows as dicts (reference data for opening balances; small tables only)."""
    conn = connect_postgres(settings, deadline_seconds=120)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, params)
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


def upsert_rows(
    settings: Settings,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple],
    key_columns: Sequence[str],
    *,
    update: bool = True,
    update_when: str | None = None,
    on_reject: Callable[[tuple, str], None] | None = None,
) -> int:
    """INSERT .. ON CONFLICT (keys) DO UPDATE (or DO NOTHING): replaying a batch changes nothing.

    `update_when`: a condition on the row (`t`) and the proposed one (`EXCLUDED`) for the update,
    e.g. "EXCLUDED.status >= t.status" so that a status only moves forward.

    Rows are written in chunks of PG_BATCH_ROWS, one statement each.
    """
    schema_name, _, table_name = table.rpartition(".")
    target = sql.Identifier(schema_name, table_name) if schema_name else sql.Identifier(table_name)
    conflict = sql.SQL(", ").join(map(sql.Identifier, key_columns))
    updates = [c for c in columns if c not in key_columns]
    if update and updates:
        action = sql.SQL("DO UPDATE SET ") + sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates
        )
        if update_when:
            action += sql.SQL(" WHERE ") + sql.SQL(update_when)
    else:
        action = sql.SQL("DO NOTHING")
    statement = sql.SQL("INSERT INTO {} AS t ({}) VALUES %s ON CONFLICT ({}) {}").format(
        target, sql.SQL(", ").join(map(sql.Identifier, columns)), conflict, action
    )
    written = 0
    conn = connect_postgres(settings, deadline_seconds=120)
    try:
        with conn, conn.cursor() as cur:
            query = statement.as_string(cur)
            chunk: list[tuple] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= PG_BATCH_ROWS:
                    written += _write_chunk(cur, query, chunk, on_reject)
                    chunk = []
            if chunk:
                written += _write_chunk(cur, query, chunk, on_reject)
    finally:
        conn.close()
    return written


def _write_chunk(cur, query: str, chunk: list[tuple], on_reject: Callable[[tuple, str], None] | None) -> int:
    """The chunk in one statement; with `on_reject`, a chunk a constraint refuses is written row by
    row instead, and each refused row is handed to on_reject with the database's reason."""
    if on_reject is None:
        execute_values(cur, query, chunk)
        return len(chunk)
    try:
        cur.execute("SAVEPOINT chunk")
        execute_values(cur, query, chunk)
        return len(chunk)
    except psycopg2.IntegrityError:
        cur.execute("ROLLBACK TO SAVEPOINT chunk")
    written = 0
    for row in chunk:
        try:
            cur.execute("SAVEPOINT one")
            execute_values(cur, query, [row])
            written += 1
        except psycopg2.IntegrityError as exc:
            cur.execute("ROLLBACK TO SAVEPOINT one")
            on_reject(row, str(exc).strip().splitlines()[0])
    return written
