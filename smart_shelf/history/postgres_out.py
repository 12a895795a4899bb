"""What a fast-forwarded history writes to Postgres: the tables the live pipeline fills there.

The live writers are the Spark jobs (alerts, plans, orders, receipts, discounts, POS transactions) and
Kafka Connect's JDBC sink (states, warehouse events); a history, run before the live pipeline, writes
the same rows itself with the same upserts on the same keys, so the dashboard and the services read
history and live alike. Columns are the table's own that the contract carries.
"""

from __future__ import annotations

from collections.abc import Iterable

from smart_shelf import delta_tables
from smart_shelf.contracts import Event, PosTransaction, WarehouseEvent
from smart_shelf.history.record import KEYED
from smart_shelf.postgres_client import fetch_rows, upsert_rows
from smart_shelf.settings import Settings
from spark_apps.batch_state_updater.pos_tables import (
    HEADER_COLUMNS,
    HEADERS,
    LINE_COLUMNS,
    LINES,
    header_row,
    line_rows,
)

PG_TABLES = {
    "alerts": "ops.alerts",
    "shelf_state": "state.shelf_state",
    "wh_state": "state.wh_state",
    "shelf_batch_state": "state.shelf_batch_state",
    "wh_batch_state": "state.wh_batch_state",
    "shelf_restock_plan": "ops.shelf_restock_plan",
    "wh_supplier_plan": "ops.wh_supplier_plan",
    "wh_supplier_orders": "ops.wh_supplier_orders",
    "wh_supplier_receipts": "ops.wh_supplier_receipts",
    "daily_discounts": "analytics.daily_discounts",
    "shelf_daily": "analytics.shelf_daily",
}
# statuses only move forward, as the plan mirrors write them
UPDATE_WHEN = {
    "shelf_restock_plan": "EXCLUDED.status >= t.status",
    "wh_supplier_plan": "EXCLUDED.status >= t.status",
}


class PostgresOut:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._columns: dict[str, list[str]] = {}

    def columns(self, table: str, model: type[Event]) -> list[str]:
        """The model's fields that are columns of `table`, in the model's order."""
        if table not in self._columns:
            schema, _, name = table.partition(".")
            rows = fetch_rows(
                self.settings,
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
                (schema, name),
            )
            present = {r["column_name"] for r in rows}
            self._columns[table] = [f for f in model.model_fields if f in present]
        return self._columns[table]

    def write_day(self, events: dict[str, list[Event]]) -> None:
        """A day's POS transactions (headers, then lines) and warehouse movements."""
        transactions: list[PosTransaction] = events.get("pos_transactions", [])
        if transactions:
            upsert_rows(
                self.settings, HEADERS, HEADER_COLUMNS, map(header_row, transactions), ["transaction_id"]
            )
            lines = (line for t in transactions for line in line_rows(t))
            upsert_rows(self.settings, LINES, LINE_COLUMNS, lines, ["transaction_id", "line_no"])
        moves: list[WarehouseEvent] = events.get("wh_events", [])
        if moves:
            self.upsert("ops.wh_events", WarehouseEvent, moves, ["event_id"])

    def write_keyed(self, rows: dict[str, dict[tuple, Event]]) -> None:
        """The latest row of every keyed table."""
        for table in KEYED:
            by_key = rows.get(table)
            if by_key and table in PG_TABLES:
                spec = delta_tables.BY_PATH[KEYED[table]]
                values = [by_key[k] for k in sorted(by_key)]
                self.upsert(PG_TABLES[table], spec.model, values, list(spec.keys), UPDATE_WHEN.get(table))

    def upsert(
        self,
        table: str,
        model: type[Event],
        rows: Iterable[Event],
        keys: list[str],
        update_when: str | None = None,
    ) -> None:
        columns = self.columns(table, model)
        values = (tuple(getattr(row, c) for c in columns) for row in rows)
        upsert_rows(self.settings, table, columns, values, keys, update_when=update_when)
