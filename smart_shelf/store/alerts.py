"""Alerts as the `alerts` topic carries them: one schema for every kind, a stable `alert_id`."""

from __future__ import annotations

from datetime import datetime

from smart_shelf.contracts import Alert, stable_id


def alert(
    event_type: str,
    shelf_id: str,
    location: str,
    created_at: datetime,
    cause: str,
    **fields: object,
) -> Alert:
    """An open alert whose id is derived from what caused it (an event id, a day...), so the same
    cause seen again (a replay) gives the same alert, which sinks upsert by id."""
    return Alert(
        alert_id=stable_id("alert", event_type, location, shelf_id, cause),
        event_type=event_type,
        shelf_id=shelf_id,
        location=location,
        created_at=created_at,
        **fields,
    )
