"""The per-shelf state a fast-forwarded history hands to the live services (Postgres ops.handover).

Each stateful job keeps one ledger or watch per shelf; live, it opens them from the store's
reference data. After `make history` it opens them where the history closed instead: the ledgers'
balances, the alert engines' open alerts, open plans and id counters (so live ids never repeat
history's), the restock picker's picks, the shelf producer's view of the shelves. One row per job
and shelf, the state as the job's own `dumps()` writes it. Without a history the table is empty and
nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from smart_shelf.postgres_client import connect_postgres, fetch_rows, upsert_rows
from smart_shelf.settings import Settings

TABLE = "ops.handover"
T = TypeVar("T")


def save(settings: Settings, job: str, states: Mapping[str, str], at: datetime) -> None:
    """Replace the job's handover with `states` (shelf_id -> its state as text), taken at `at`."""
    conn = connect_postgres(settings, deadline_seconds=60)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("DELETE FROM ops.handover WHERE job = %s", (job,))
    finally:
        conn.close()
    rows = ((job, shelf, text, at) for shelf, text in sorted(states.items()))
    upsert_rows(settings, TABLE, ("job", "shelf_id", "state", "handed_at"), rows, ["job", "shelf_id"])


def load(settings: Settings, job: str) -> dict[str, str]:
    """shelf_id -> the state history handed to `job`; empty when there was no history."""
    rows = fetch_rows(settings, "SELECT shelf_id, state FROM ops.handover WHERE job = %s", (job,))
    return {r["shelf_id"]: r["state"] for r in rows}


def handed_at(settings: Settings) -> datetime | None:
    """When the last history ended (its handover), None without one."""
    rows = fetch_rows(settings, "SELECT max(handed_at) AS at FROM ops.handover")
    return rows[0]["at"] if rows else None


def take_over(settings: Settings, job: str, opening: dict[str, T], loads: Callable[[str], T]) -> dict[str, T]:
    """The opening ledgers, each replaced by the one history handed over for its shelf, if any."""
    handed = load(settings, job)
    return {shelf: loads(handed[shelf]) if shelf in handed else ledger for shelf, ledger in opening.items()}
