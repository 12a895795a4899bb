"""The foot-traffic arrival model (seed 004), as pure functions."""

from collections import Counter
from datetime import UTC, date, datetime

import numpy as np
import pytest

from kafka_components.kafka_producer_foot_traffic.arrival_model import (
    AVERAGE_DAY_WEIGHT,
    SLOT_WEIGHTS,
    SLOTS,
    TrafficSettings,
    daily_total,
    largest_remainder,
    plan_day,
    prorate_from,
    visit_minutes,
)

THURSDAY = date(2026, 1, 1)
FIXED = TrafficSettings(daily_customers=500)


@pytest.mark.parametrize(
    "total, weights, expected",
    [
        (10, (1, 1, 1), [4, 3, 3]),  # remainders tie: the earlier slot wins
        (100, (16, 17, 20, 17, 13, 10), [17, 18, 22, 18, 14, 11]),
        (7, (0, 1, 0), [0, 7, 0]),
        (0, (1, 2), [0, 0]),
    ],
)
def test_largest_remainder_allocation(total, weights, expected):
    assert largest_remainder(total, weights) == expected


@pytest.mark.parametrize("total", [1, 13, 999, 1000, 1234])
def test_largest_remainder_sums_exactly_to_the_total(total):
    for weights in SLOT_WEIGHTS.values():
        assert sum(largest_remainder(total, weights)) == total


def test_daily_total_scales_with_the_weekday_and_is_fixed_when_asked():
    rng = np.random.default_rng(0)
    no_noise = TrafficSettings(base_daily_customers=1000, disable_daily_variation=True)
    saturday, tuesday = date(2026, 1, 3), date(2026, 1, 6)
    assert daily_total(saturday, no_noise, rng) == round(1000 * 133 / AVERAGE_DAY_WEIGHT)
    assert daily_total(tuesday, no_noise, rng) == round(1000 * 88 / AVERAGE_DAY_WEIGHT)
    assert daily_total(tuesday, FIXED, rng) == 500
    noisy = TrafficSettings(base_daily_customers=1000, daily_variation_pct=0.10)
    mean = 1000 * 96 / AVERAGE_DAY_WEIGHT
    assert all(0.9 * mean - 1 <= daily_total(THURSDAY, noisy, rng) <= 1.1 * mean + 1 for _ in range(200))


def test_mid_day_start_drops_past_slots_and_prorates_the_current_one():
    counts = [10, 30, 40, 30, 20, 10]
    start = datetime(2026, 1, 1, 11, 0, tzinfo=UTC)  # 1 of the 4 hours of 10:00-14:00 gone
    assert prorate_from(counts, THURSDAY, start) == [0, 0, 30, 30, 20, 10]
    assert prorate_from(counts, THURSDAY, datetime(2026, 1, 1, tzinfo=UTC)) == counts


def test_entries_are_sorted_and_inside_their_slot():
    visits = plan_day(42, THURSDAY, FIXED, UTC)
    assert len(visits) == 500
    assert [v.entry_time for v in visits] == sorted(v.entry_time for v in visits)
    labels = {slot.label: slot for slot in SLOTS}
    for visit in visits:
        begin, end = labels[visit.time_slot].bounds(THURSDAY, UTC)
        assert begin <= visit.entry_time <= end
        assert visit.exit_time > visit.entry_time
        assert (visit.exit_time - visit.entry_time).total_seconds() == visit.duration_minutes * 60
    assert Counter(v.time_slot for v in visits) == dict(
        zip([s.label for s in SLOTS], largest_remainder(500, SLOT_WEIGHTS["Thursday"]), strict=True)
    )


def test_slot_labels_match_the_specification():
    assert [s.label for s in SLOTS] == [
        "00:00–06:59",
        "07:00–09:59",
        "10:00–13:59",
        "14:00–16:59",
        "17:00–19:59",
        "20:00–23:59",
    ]


def test_duration_mixture_shares():
    rng = np.random.default_rng(7)
    minutes = np.array([visit_minutes(rng) for _ in range(20_000)])
    assert minutes.min() >= 10 and minutes.max() <= 75
    # within 1.5 points of 35 / 39 / 26 % over 20,000 draws (about 4 standard deviations)
    assert abs((minutes <= 29).mean() - 0.35) < 0.015
    assert abs(((minutes >= 30) & (minutes <= 44)).mean() - 0.39) < 0.015
    assert abs((minutes >= 45).mean() - 0.26) < 0.015


def test_same_seed_same_day_and_customers_are_distinct():
    first, again = plan_day(42, THURSDAY, FIXED, UTC), plan_day(42, THURSDAY, FIXED, UTC)
    assert first == again
    assert len({v.customer_id for v in first}) == len(first)
    assert plan_day(43, THURSDAY, FIXED, UTC) != first
    # another day gets other customers
    assert not {v.customer_id for v in first} & {
        v.customer_id for v in plan_day(42, date(2026, 1, 2), FIXED, UTC)
    }


def test_a_mid_day_plan_only_has_entries_after_its_start():
    start = datetime(2026, 1, 1, 15, 30, tzinfo=UTC)
    visits = plan_day(42, THURSDAY, FIXED, UTC, start)
    assert visits and all(v.entry_time >= start for v in visits)
    assert len(visits) < 500
