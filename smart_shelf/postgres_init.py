"""postgres-init: apply postgresql/*.sql in order and grant the dashboard's read-only role.

Run as the writer role (bdt_user). Every file is re-runnable, so applying twice changes nothing.
Entry point: python -m smart_shelf.postgres_init
"""

from __future__ import annotations

import logging
import sys

from psycopg2 import sql

from smart_shelf.logs import configure_logging
from smart_shelf.postgres_client import apply_sql_files, connect_postgres, sql_files
from smart_shelf.settings import Settings, get_settings, log_settings

log = logging.getLogger("postgres-init")
SCHEMAS = ("ref", "config", "state", "ops", "analytics")


def ensure_readonly_role(conn, settings: Settings) -> None:
    """A login role that can read every Smart Shelf schema and write nothing."""
    role = sql.Identifier(settings.pg_readonly_user)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.pg_readonly_user,))
        # CREATE ROLE gives no privileges by default; ALTER only refreshes the password.
        verb = "ALTER ROLE {} LOGIN PASSWORD %s" if cur.fetchone() else "CREATE ROLE {} LOGIN PASSWORD %s"
        cur.execute(sql.SQL(verb).format(role), (settings.pg_readonly_pass.get_secret_value(),))
        cur.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(settings.pg_db), role)
        )
        for schema in SCHEMAS:
            ident = sql.Identifier(schema)
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident, role))
            cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(ident, role))
            cur.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                    ident, role
                )
            )


def main() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    log_settings(settings, "postgres-init")
    conn = connect_postgres(settings, deadline_seconds=300)
    try:
        files = sql_files()
        apply_sql_files(conn, files)
        ensure_readonly_role(conn, settings)
    finally:
        conn.close()
    log.info("applied %d SQL files; read-only role %s granted", len(files), settings.pg_readonly_user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
