"""What a fast-forwarded history writes, and where: the pipeline's own Delta tables.

Events are appended to their raw tables day by day (the raw sinks' tables, same schemas, same
event ids); the keyed tables (states, alerts, plans, orders, receipts, discounts) keep the latest
row per key, as the streaming mirrors MERGE them, and are written once at the end. Schemas come
from the contracts through `smart_shelf.spark.schemas`, the same StructTypes spark-init-delta creates the
tables with, so Spark and the dashboard read history and live rows alike.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError
from pyspark.sql.pandas.types import to_arrow_schema

from smart_shelf import delta_tables
from smart_shelf.contracts import Event
from smart_shelf.history.operations import Output
from smart_shelf.spark.schemas import delta_schema, struct_type

# topic -> its raw table; the alerts topic feeds the keyed ops/alerts instead
RAW = {
    "foot_traffic": "raw/foot_traffic",
    "foot_traffic_realistic": "raw/foot_traffic_realistic",
    "shelf_events": "raw/shelf_events",
    "pos_transactions": "raw/pos_transactions",
    "wh_events": "raw/wh_events",
}
KEYED = {
    "alerts": "ops/alerts",
    "shelf_state": "cleansed/shelf_state",
    "wh_state": "cleansed/wh_state",
    "shelf_batch_state": "cleansed/shelf_batch_state",
    "wh_batch_state": "cleansed/wh_batch_state",
    "shelf_restock_plan": "ops/shelf_restock_plan",
    "wh_supplier_plan": "ops/wh_supplier_plan",
    "wh_supplier_orders": "ops/wh_supplier_orders",
    "wh_supplier_receipts": "ops/wh_supplier_receipts",
    "daily_discounts": "analytics/daily_discounts",
    "shelf_daily": "analytics/shelf_daily",
    "job_runs": "ops/job_runs",
}


class Recorder(Output):
    """Keeps the events of the current day and the latest row of every keyed table."""

    def __init__(self):
        self.events: dict[str, list[Event]] = defaultdict(list)
        self.rows: dict[str, dict[tuple, Event]] = defaultdict(dict)
        self.counts: dict[str, int] = defaultdict(int)

    def event(self, topic: str, event: Event) -> None:
        if topic == "alerts" and event.updated_at is None:
            # as alerts-sink stores an alert: updated when it was created until its status moves
            event = event.model_copy(update={"updated_at": event.created_at})
        if topic in KEYED:
            self.row(topic, event)
            return
        self.events[topic].append(event)
        self.counts[topic] += 1

    def row(self, table: str, row: Event) -> None:
        keys = delta_tables.BY_PATH[KEYED[table]].keys
        self.rows[table][tuple(getattr(row, k) for k in keys)] = row

    def take_events(self) -> dict[str, list[Event]]:
        events, self.events = self.events, defaultdict(list)
        return dict(events)


@cache
def arrow_schema(relative_path: str) -> pa.Schema:
    """The table's schema as spark-init-delta creates it, from its contract."""
    return to_arrow_schema(delta_schema(struct_type(delta_tables.BY_PATH[relative_path].model)))


def arrow_table(relative_path: str, rows: list[Event]) -> pa.Table:
    return pa.Table.from_pylist([row.model_dump() for row in rows], schema=arrow_schema(relative_path))


class Lake:
    """Writes into the Delta tables under `root` (DELTA_ROOT)."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, relative_path: str) -> Path:
        return self.root / relative_path

    def append_events(self, events: dict[str, list[Event]]) -> None:
        for topic, rows in sorted(events.items()):
            if rows:
                self._write(RAW[topic], rows, "append")

    def write_keyed(self, rows: dict[str, dict[tuple, Event]]) -> None:
        """Each keyed table's rows, keys in order, over whatever the table held."""
        for table, by_key in sorted(rows.items()):
            if by_key:
                self._write(KEYED[table], [by_key[k] for k in sorted(by_key)], "overwrite")

    def overwrite(self, relative_path: str, rows: list[Event]) -> None:
        """A table's rows, over whatever it held."""
        self._write(relative_path, rows, "overwrite")

    def _write(self, relative_path: str, rows: list[Event], mode: str) -> None:
        table = arrow_table(relative_path, rows)
        write_deltalake(str(self.path(relative_path)), table, mode=mode)

    def rows(self, relative_path: str) -> list[Event]:
        """Every row of a table as its contract model; none when the table does not exist."""
        try:
            table = DeltaTable(str(self.path(relative_path))).to_pyarrow_table()
        except TableNotFoundError:
            return []
        model = delta_tables.BY_PATH[relative_path].model
        columns = [name for name in model.model_fields if name in table.column_names]
        return [model.model_validate(row) for row in table.select(columns).to_pylist()]

    def latest_event_time(self, relative_path: str, column: str):
        """The newest `column` value of a table, None when it is missing or empty."""
        try:
            dataset = DeltaTable(str(self.path(relative_path))).to_pyarrow_dataset()
        except TableNotFoundError:
            return None
        values = dataset.to_table(columns=[column]).column(column)
        if len(values) == 0:
            return None
        return pa.compute.max(values).as_py()
