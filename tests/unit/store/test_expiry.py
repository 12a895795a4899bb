"""Expiry rules: near expiry, removal dates, a delivered batch's shelf life, daily discounts."""

import random
from datetime import date, timedelta

import pytest

from smart_shelf.store.expiry import (
    BatchStock,
    daily_discount,
    delivered_expiry,
    discount_options,
    is_due_for_removal,
    is_near_expiry,
    shelves_to_discount,
)

TODAY = date(2026, 1, 10)


@pytest.mark.parametrize(
    ("expiry", "days", "expected"),
    [
        (TODAY, 2, True),  # expires today
        (TODAY + timedelta(days=2), 2, True),  # at the edge of the window
        (TODAY + timedelta(days=3), 2, False),  # beyond it
        (TODAY - timedelta(days=1), 2, False),  # already expired: for removal, not a warning
        (TODAY, 0, True),  # a zero-day window still warns on the expiry day
    ],
)
def test_near_expiry_window(expiry, days, expected):
    assert is_near_expiry(expiry, TODAY, days) is expected


@pytest.mark.parametrize(
    ("expiry", "mode", "expected"),
    [
        (TODAY - timedelta(days=1), "next_day", True),  # expired yesterday: removed today
        (TODAY, "next_day", False),  # expires today: still sold today
        (TODAY, "same_day_evening", True),  # removed on its expiry day
        (TODAY + timedelta(days=1), "same_day_evening", False),
    ],
)
def test_removal_date_follows_the_mode(expiry, mode, expected):
    assert is_due_for_removal(expiry, TODAY, mode) is expected


def test_an_unknown_removal_mode_is_refused():
    with pytest.raises(ValueError, match="removal mode"):
        is_due_for_removal(TODAY, TODAY, "tomorrow")


@pytest.mark.parametrize(
    ("perishable", "low", "high"),
    [(True, 5, 15), (False, 365, 730)],  # perishables in days, the rest in one to two years
)
def test_delivered_batches_expire_as_their_product_does(perishable, low, high):
    rng = random.Random(1)
    lives = {(delivered_expiry(TODAY, perishable, rng) - TODAY).days for _ in range(300)}
    assert min(lives) >= low and max(lives) <= high
    assert len(lives) > 5  # drawn, not a constant


def test_discount_options_are_the_range_in_ten_point_steps():
    assert discount_options(0.30, 0.50) == [0.3, 0.4, 0.5]
    assert discount_options(0.2, 0.2) == [0.2]
    with pytest.raises(ValueError):
        discount_options(0.6, 0.5)


def test_a_days_discount_is_the_same_every_time_it_is_drawn():
    options = [0.3, 0.4, 0.5]
    first = daily_discount(42, "S1", TODAY, options)
    assert all(daily_discount(42, "S1", TODAY, options) == first for _ in range(5))
    assert first in options
    # across shelves and days the draws vary (the seed decides, not a constant)
    draws = {daily_discount(42, f"S{i}", TODAY + timedelta(days=i % 3), options) for i in range(60)}
    assert draws == set(options)


@pytest.mark.parametrize(
    ("batches", "expected"),
    [
        ([BatchStock("A", "b1", TODAY, 3)], ["A"]),  # expires today
        ([BatchStock("A", "b1", TODAY + timedelta(days=1), 3)], ["A"]),  # expires tomorrow
        ([BatchStock("A", "b1", TODAY + timedelta(days=2), 3)], []),  # not yet
        ([BatchStock("A", "b1", TODAY, 0)], []),  # nothing left of it on the shelf
        ([BatchStock("A", "b1", TODAY - timedelta(days=1), 3)], []),  # expired: removed, not discounted
        (
            [
                BatchStock("B", "b1", TODAY, 1),
                BatchStock("A", "b2", TODAY, 1),
                BatchStock("B", "b3", TODAY, 2),
            ],
            ["A", "B"],
        ),
    ],
)
def test_shelves_to_discount(batches, expected):
    assert shelves_to_discount(batches, TODAY) == expected
