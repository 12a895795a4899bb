"""Alerts as the `alerts` topic carries them: one schema for every kind, a stable `alert_id`."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class ConditionAlerts:
    """The alerts on conditions that last (contracts.CONDITION_ALERTS) of one shelf at one location:
    at most one open per type, opened when its condition starts, resolved when it clears. Each new
    episode of a condition is a new alert, its id derived from the episode number."""

    shelf_id: str
    location: str
    open: dict[str, list] = field(default_factory=dict)  # type -> [alert_id, created_at iso, status]
    episodes: dict[str, int] = field(default_factory=dict)

    def update(self, event_type: str, active: bool, now: datetime, **fields: object) -> list[Alert]:
        """The alert records the condition's state at `now` calls for: none, an opening or a resolution."""
        current = self.open.get(event_type)
        if active and current is None:
            episode = self.episodes.get(event_type, 0) + 1
            self.episodes[event_type] = episode
            opened = alert(event_type, self.shelf_id, self.location, now, f"episode:{episode}", **fields)
            self.open[event_type] = [opened.alert_id, now.isoformat(), "open"]
            return [opened]
        if not active and current is not None:
            del self.open[event_type]
            return [self._record(event_type, current, "resolved", now, **fields)]
        return []

    def acknowledge(self, event_type: str, now: datetime, **fields: object) -> list[Alert]:
        """Someone acts on the open alert (a plan was issued for it): open -> acknowledged."""
        current = self.open.get(event_type)
        if current is None or current[2] != "open":
            return []
        current[2] = "acknowledged"
        return [self._record(event_type, current, "acknowledged", now, **fields)]

    def alert_id(self, event_type: str) -> str | None:
        current = self.open.get(event_type)
        return None if current is None else current[0]

    def _record(self, event_type: str, current: list, status: str, now: datetime, **fields) -> Alert:
        return Alert(
            alert_id=current[0],
            event_type=event_type,
            shelf_id=self.shelf_id,
            location=self.location,
            status=status,
            created_at=datetime.fromisoformat(current[1]),
            updated_at=now,
            **fields,
        )

    def to_dict(self) -> dict:
        return {"open": self.open, "episodes": self.episodes}

    @classmethod
    def from_dict(cls, shelf_id: str, location: str, body: dict) -> ConditionAlerts:
        return cls(shelf_id, location, body["open"], body["episodes"])
