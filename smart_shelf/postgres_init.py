"""postgres-init: create the schema, load the store's reference data, derive config, grant read access.

1. the DDL files postgresql/01..49_*.sql;
2. ref.* from the generated CSVs in DATA_DIR/db_csv (rows already loaded are kept);
3. the derivation files postgresql/50..99_*.sql (config.* from ref.*);
4. the read-only role for the dashboard.
Run as the writer role (bdt_user). Every step is re-runnable, so applying twice changes nothing.
Entry point: python -m smart_shelf.postgres_init
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from psycopg2 import sql

from smart_shelf.postgres_client import apply_sql_files, connect_postgres, sql_files
from smart_shelf.service import start_service
from smart_shelf.settings import Settings

log = logging.getLogger("postgres-init")
SCHEMAS = ("ref", "config", "state", "ops", "analytics")
DERIVED_FROM = 50  # files numbered from here on read the loaded reference data
# generated CSV (DATA_DIR/db_csv/<stem>.csv) -> table, in foreign-key order
REF_TABLES = {
    "store_inventory_final": "ref.store_inventory",
    "warehouse_inventory_final": "ref.warehouse_inventory",
    "store_batches": "ref.store_batches",
    "warehouse_batches": "ref.warehouse_batches",
}


class MissingDataError(FileNotFoundError):
    pass


def load_reference_csvs(conn, csv_dir: Path) -> dict[str, int]:
    """COPY each CSV into a staging table, then insert what is not there yet; returns new rows per table."""
    missing = [stem for stem in REF_TABLES if not (csv_dir / f"{stem}.csv").exists()]
    if missing:
        raise MissingDataError(
            f"reference CSVs missing in {csv_dir}: {missing}; generate them with `make data`"
        )
    inserted = {}
    with conn, conn.cursor() as cur:
        for stem, table in REF_TABLES.items():
            path = csv_dir / f"{stem}.csv"
            with path.open() as handle:
                columns = handle.readline().strip().split(",")
                handle.seek(0)
                column_list = sql.SQL(", ").join(map(sql.Identifier, columns))
                target = sql.Identifier(*table.split("."))
                cur.execute(
                    sql.SQL("CREATE TEMP TABLE staging ON COMMIT DROP AS SELECT {} FROM {} LIMIT 0").format(
                        column_list, target
                    )
                )
                cur.copy_expert(
                    sql.SQL("COPY staging ({}) FROM STDIN WITH (FORMAT csv, HEADER true)")
                    .format(column_list)
                    .as_string(cur),
                    handle,
                )
                cur.execute(
                    sql.SQL("INSERT INTO {} ({}) SELECT {} FROM staging ON CONFLICT DO NOTHING").format(
                        target, column_list, column_list
                    )
                )
                inserted[table] = cur.rowcount
                cur.execute("DROP TABLE staging")
    return inserted


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


def _number(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


def main() -> int:
    settings = start_service("postgres-init")
    conn = connect_postgres(settings, deadline_seconds=300)
    try:
        files = sql_files()
        apply_sql_files(conn, [f for f in files if _number(f) < DERIVED_FROM])
        try:
            inserted = load_reference_csvs(conn, settings.data_dir / "db_csv")
        except MissingDataError as exc:
            log.error("%s", exc)
            return 1
        log.info("reference rows inserted: %s", inserted)
        apply_sql_files(conn, [f for f in files if _number(f) >= DERIVED_FROM])
        ensure_readonly_role(conn, settings)
    finally:
        conn.close()
    log.info("applied %d SQL files; read-only role %s granted", len(files), settings.pg_readonly_user)
    return 0


if __name__ == "__main__":
    sys.exit(main())
