"""Simulated time arithmetic: multiplier, end of simulation, resume, time-of-day scheduling."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from simulated_time.clock import FakeClock
from simulated_time.timeline import (
    days_between,
    format_sim_time,
    next_occurrence,
    resume_point,
    sim_end,
    sim_time_at,
    tick_seconds,
)

START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
END = sim_end(START, 365)


@pytest.mark.parametrize(
    "elapsed, multiplier, expected",
    [
        (0.0, 60, START),
        (1.0, 60, START + timedelta(minutes=1)),  # 60x: a real second is a sim minute
        (24.0, 3600, START + timedelta(hours=24)),  # 3600x: a day in 24 real seconds
        (10**9, 3600, END),  # never past the end
    ],
)
def test_sim_time_is_the_anchor_plus_scaled_elapsed_time(elapsed, multiplier, expected):
    assert sim_time_at(START, elapsed, multiplier, END) == expected


def test_no_drift_from_many_small_steps():
    # Computing from the anchor: 1e6 steps of 1 ms at 3600x land exactly on 1000 s x 3600.
    assert sim_time_at(START, 1_000_000 * 0.001, 3600, END) == START + timedelta(seconds=3_600_000)


@pytest.mark.parametrize(
    "saved, expected, why",
    [
        (None, START, "first start"),
        (START + timedelta(days=3), START + timedelta(days=3), "a restart continues"),
        (START - timedelta(days=1), START, "a time from before the simulation is ignored"),
        (END + timedelta(days=1), START, "a time past the end is ignored"),
    ],
)
def test_resume_point(saved, expected, why):
    assert resume_point(saved, START, END) == expected, why


def test_tick_is_one_step_but_not_faster_than_the_floor():
    assert tick_seconds(5, 10) == 0.5
    assert tick_seconds(1, 3600) == 0.05


def test_format_has_an_offset_and_whole_seconds():
    assert format_sim_time(START + timedelta(microseconds=999)) == "2026-01-01T07:00:00+00:00"


@pytest.mark.parametrize(
    "now, at, weekdays, expected",
    [
        (START, time(12), None, datetime(2026, 1, 1, 12, tzinfo=UTC)),  # later today
        (datetime(2026, 1, 1, 13, tzinfo=UTC), time(12), None, datetime(2026, 1, 2, 12, tzinfo=UTC)),
        (
            datetime(2026, 1, 1, 12, tzinfo=UTC),
            time(12),
            None,
            datetime(2026, 1, 1, 12, tzinfo=UTC),
        ),  # at: now
        # supplier cutoffs Sun, Tue, Thu 12:00; 2026-01-01 is a Thursday
        (datetime(2026, 1, 1, 13, tzinfo=UTC), time(12), {6, 1, 3}, datetime(2026, 1, 4, 12, tzinfo=UTC)),
        # deliveries Mon, Wed, Fri 08:00
        (START, time(8), {0, 2, 4}, datetime(2026, 1, 2, 8, tzinfo=UTC)),
    ],
)
def test_next_occurrence(now, at, weekdays, expected):
    assert next_occurrence(now, at, weekdays) == expected


def test_next_occurrence_refuses_an_empty_week():
    with pytest.raises(ValueError):
        next_occurrence(START, time(8), set())


def test_days_between_is_inclusive():
    assert days_between(date(2026, 1, 30), date(2026, 2, 1)) == [
        date(2026, 1, 30),
        date(2026, 1, 31),
        date(2026, 2, 1),
    ]
    assert days_between(date(2026, 2, 1), date(2026, 1, 1)) == []


def test_fake_clock_is_frozen_until_advanced_and_sleeps_instantly():
    clock = FakeClock(START)
    assert clock.now() == START
    clock.advance(timedelta(hours=2))
    assert clock.now() == START + timedelta(hours=2)
    clock.sleep_until(START + timedelta(days=1))
    assert clock.today() == date(2026, 1, 2)
    clock.sleep_until(START)  # sleeping until the past does not go back
    assert clock.today() == date(2026, 1, 2)
    with pytest.raises(ValueError):
        FakeClock(datetime(2026, 1, 1))  # noqa: DTZ001 - a naive start must be refused
