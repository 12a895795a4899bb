"""The arrival model: how many customers a day, when they come, how long they stay. Pure functions.

Daily total: BASE_DAILY_CUSTOMERS x (weekday weight / average weekday weight), times a uniform
factor in [1 - DAILY_VARIATION_PCT, 1 + DAILY_VARIATION_PCT] unless disabled; or DAILY_CUSTOMERS
fixed. The total is split over six slots by Largest Remainder Allocation; a mid-day start drops the
past slots and prorates the current one; entries are uniform and sorted inside their slot; visits
last 10-29 min (35 %), 30-44 min (39 %) or 45-75 min (26 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np

from smart_shelf.contracts import stable_id


@dataclass(frozen=True)
class Slot:
    start: time
    end: time  # exclusive; time.max stands for midnight

    @property
    def label(self) -> str:
        last = (
            (datetime.combine(date.min, self.end) - timedelta(minutes=1)).time()
            if self.end != time.max
            else time(23, 59)
        )
        return f"{self.start:%H:%M}–{last:%H:%M}"

    def bounds(self, day: date, tz) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, tzinfo=tz)
        end = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            if self.end == time.max
            else datetime.combine(day, self.end, tzinfo=tz)
        )
        return start, end


SLOTS = (
    Slot(time(0), time(7)),
    Slot(time(7), time(10)),
    Slot(time(10), time(14)),
    Slot(time(14), time(17)),
    Slot(time(17), time(20)),
    Slot(time(20), time.max),
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Relative traffic per slot, per weekday (Monday first).
SLOT_WEIGHTS = {
    "Monday": (16, 17, 20, 17, 13, 10),
    "Tuesday": (12, 15, 21, 17, 14, 9),
    "Wednesday": (15, 16, 25, 22, 17, 12),
    "Thursday": (14, 14, 19, 21, 18, 10),
    "Friday": (19, 17, 25, 24, 23, 15),
    "Saturday": (22, 24, 27, 22, 20, 18),
    "Sunday": (22, 21, 23, 19, 16, 13),
}
AVERAGE_DAY_WEIGHT = sum(sum(w) for w in SLOT_WEIGHTS.values()) / len(SLOT_WEIGHTS)

# (share, shortest, longest) minutes
DURATION_MIXTURE = ((0.35, 10, 29), (0.39, 30, 44), (0.26, 45, 75))


@dataclass(frozen=True)
class TrafficSettings:
    base_daily_customers: int = 1000
    daily_customers: int | None = None
    daily_variation_pct: float = 0.10
    disable_daily_variation: bool = False


def traffic_from(settings) -> TrafficSettings:
    """The arrival model's settings from FootTrafficSettings (BASE_DAILY_CUSTOMERS, else the default)."""
    return TrafficSettings(
        base_daily_customers=settings.base_daily_customers or settings.default_daily_customers,
        daily_customers=settings.daily_customers,
        daily_variation_pct=settings.daily_variation_pct,
        disable_daily_variation=settings.disable_daily_variation,
    )


@dataclass(frozen=True)
class Visit:
    position: int  # order of entry within the day, from 0
    customer_id: str
    entry_time: datetime
    exit_time: datetime
    duration_minutes: int
    weekday: str
    time_slot: str


def weekday_name(day: date) -> str:
    """English weekday name, independent of the locale."""
    return WEEKDAYS[day.weekday()]


def daily_total(day: date, traffic: TrafficSettings, rng: np.random.Generator) -> int:
    if traffic.daily_customers is not None:
        return traffic.daily_customers
    mean = traffic.base_daily_customers * sum(SLOT_WEIGHTS[weekday_name(day)]) / AVERAGE_DAY_WEIGHT
    factor = rng.uniform(1 - traffic.daily_variation_pct, 1 + traffic.daily_variation_pct)
    if traffic.disable_daily_variation or traffic.daily_variation_pct <= 0:
        factor = 1.0
    return max(0, round(mean * factor))


def largest_remainder(total: int, weights: tuple[float, ...] | list[float]) -> list[int]:
    """Integers proportional to `weights` that sum exactly to `total` (ties go to the earlier slot)."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    quotas = [total * w / weight_sum for w in weights]
    counts = [math.floor(q) for q in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def prorate_from(counts: list[int], day: date, start_from: datetime) -> list[int]:
    """A start at `start_from`: past slots get nobody, the current slot its remaining share (rounded)."""
    out = []
    for count, slot in zip(counts, SLOTS, strict=True):
        begin, end = slot.bounds(day, start_from.tzinfo)
        if end <= start_from:
            out.append(0)
        elif begin >= start_from:
            out.append(count)
        else:
            remaining = (end - start_from).total_seconds() / (end - begin).total_seconds()
            out.append(round(count * remaining))
    return out


def visit_minutes(rng: np.random.Generator) -> int:
    shares = [share for share, _, _ in DURATION_MIXTURE]
    _, low, high = DURATION_MIXTURE[int(rng.choice(len(DURATION_MIXTURE), p=shares))]
    return int(rng.integers(low, high + 1))


def plan_day(
    seed: int, day: date, traffic: TrafficSettings, tz, start_from: datetime | None = None
) -> list[Visit]:
    """Every visit of `day`, in entry order; the same (seed, day, start_from) always gives the same plan."""
    rng = np.random.default_rng([seed, day.toordinal()])
    counts = largest_remainder(daily_total(day, traffic, rng), SLOT_WEIGHTS[weekday_name(day)])
    if start_from is not None and start_from.date() == day:
        counts = prorate_from(counts, day, start_from)
    entries: list[tuple[datetime, Slot]] = []
    for count, slot in zip(counts, SLOTS, strict=True):
        begin, end = slot.bounds(day, tz)
        if start_from is not None and start_from > begin:
            begin = min(start_from, end)
        offsets = np.sort(rng.uniform(0, (end - begin).total_seconds(), size=count))
        entries += [(begin + timedelta(seconds=float(o)), slot) for o in offsets]
    visits = []
    for position, (entry, slot) in enumerate(entries):
        minutes = visit_minutes(rng)
        customer = stable_id("customer", seed, day.isoformat(), position)
        visits.append(
            Visit(
                position,
                customer,
                entry,
                entry + timedelta(minutes=minutes),
                minutes,
                weekday_name(day),
                slot.label,
            )
        )
    return visits
