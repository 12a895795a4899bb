"""PostgreSQL connections and the SQL files under postgresql/."""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg2
import psycopg2.extensions

from smart_shelf.paths import SQL_DIR
from smart_shelf.retry import retry
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)


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


def drop_replication_slot(settings: Settings) -> bool:
    """Drop the CDC replication slot (a reset must not leave WAL pinned on an external server)."""
    conn = connect_postgres(settings, deadline_seconds=30)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
                (settings.debezium_slot,),
            )
            dropped = cur.rowcount > 0
    finally:
        conn.close()
    if dropped:
        log.info("dropped replication slot %s", settings.debezium_slot)
    return dropped


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
