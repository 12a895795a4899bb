"""Pure arithmetic of simulated time: no Redis, no sleeping, no reading of the wall clock."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta


def sim_end(start: datetime, days: int) -> datetime:
    return start + timedelta(days=days)


def sim_time_at(anchor_sim: datetime, elapsed_wall_s: float, multiplier: float, end: datetime) -> datetime:
    """Sim time `elapsed_wall_s` real seconds after the anchor, never past `end`.

    Computed from the anchor (not by adding steps), so rounding never accumulates into drift,
    whatever the multiplier.
    """
    remaining = (end - anchor_sim).total_seconds()
    return anchor_sim + timedelta(seconds=min(elapsed_wall_s * multiplier, remaining))


def resume_point(saved: datetime | None, start: datetime, end: datetime) -> datetime:
    """Where a (re)started clock begins: the saved time if it lies within the simulation, else the start."""
    if saved is None or saved < start or saved > end:
        return start
    return saved


def tick_seconds(step_seconds: float, multiplier: float, floor: float = 0.05) -> float:
    """Real seconds between two clock writes: one sim step, but not more often than every `floor` s."""
    return max(step_seconds / multiplier, floor)


def format_sim_time(moment: datetime) -> str:
    """ISO 8601 with offset, to the second: 2026-01-01T07:00:05+00:00."""
    return moment.isoformat(timespec="seconds")


def next_occurrence(now: datetime, at: time, weekdays: Collection[int] | None = None) -> datetime:
    """The first moment at or after `now` that is `at` o'clock on one of `weekdays` (Mon=0; None: any day)."""
    candidate = datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if candidate < now:
        candidate += timedelta(days=1)
    for _ in range(8):
        if weekdays is None or candidate.weekday() in weekdays:
            return candidate
        candidate += timedelta(days=1)
    raise ValueError(f"weekdays {weekdays!r} contains no day of the week")


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last` inclusive (empty when last < first)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
