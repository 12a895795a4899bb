"""The supplier calendar: order cutoffs and delivery slots on given weekdays and times. Pure.

Reference: orders close Sunday, Tuesday and Thursday at 12:00 and arrive the next Monday, Wednesday
and Friday at 08:00 (weekdays as Python counts them: Monday = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from simulated_time.timeline import next_occurrence


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'6,1,3' -> (6, 1, 3); each a weekday number 0 (Monday) to 6 (Sunday)."""
    days = tuple(int(part) for part in text.split(",") if part.strip())
    if not days or any(d < 0 or d > 6 for d in days):
        raise ValueError(f"weekdays must be numbers 0 (Monday) to 6 (Sunday): {text!r}")
    return days


def latest_occurrence(now: datetime, at: time, weekdays: tuple[int, ...]) -> datetime:
    """The last moment at or before `now` that is `at` o'clock on one of `weekdays`."""
    candidate = next_occurrence(now - timedelta(days=7), at, weekdays)
    latest = candidate
    while candidate <= now:
        latest = candidate
        candidate = next_occurrence(candidate + timedelta(seconds=1), at, weekdays)
    return latest


@dataclass(frozen=True)
class SupplierCalendar:
    cutoff_days: tuple[int, ...]
    cutoff_at: time
    delivery_days: tuple[int, ...]
    delivery_at: time

    def latest_cutoff(self, now: datetime) -> datetime:
        return latest_occurrence(now, self.cutoff_at, self.cutoff_days)

    def latest_delivery(self, now: datetime) -> datetime:
        return latest_occurrence(now, self.delivery_at, self.delivery_days)

    def delivery_for(self, cutoff: datetime) -> datetime:
        """The first delivery slot strictly after a cutoff (Sunday 12:00 -> Monday 08:00)."""
        return next_occurrence(cutoff + timedelta(seconds=1), self.delivery_at, self.delivery_days)
