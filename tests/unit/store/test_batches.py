"""Batch picking rules: earliest expiry first, partial picks, the customer's seeded choice."""

import random
from datetime import date

import pytest

from smart_shelf.store.batches import (
    Batches,
    Take,
    batches_from_dict,
    batches_to_dict,
    customer_choice,
    earliest_expiry_first,
    transaction_rng,
)


def _batches(*specs):
    """specs: (code, expiry day of January, quantity); received the day before 1 January."""
    b = Batches()
    for code, day, qty in specs:
        b.add(code, qty, date(2025, 12, 31), date(2026, 1, day))
    return b


@pytest.mark.parametrize(
    ("specs", "qty", "takes", "short"),
    [
        # the batch that expires first goes first, whatever the insertion order
        ([("LATE", 20, 5), ("SOON", 3, 5)], 3, [Take("SOON", 3)], 0),
        # a pick larger than the first batch spills into the next
        ([("A", 3, 2), ("B", 4, 5)], 4, [Take("A", 2), Take("B", 2)], 0),
        # more than everything: a partial pick, the rest reported as short
        ([("A", 3, 2), ("B", 4, 1)], 5, [Take("A", 2), Take("B", 1)], 2),
        # empty batches are skipped
        ([("EMPTY", 1, 0), ("B", 4, 3)], 1, [Take("B", 1)], 0),
        # nothing to pick from
        ([], 2, [], 2),
        # same expiry: the code breaks the tie, so the order is total
        ([("Z", 5, 1), ("Y", 5, 1)], 1, [Take("Y", 1)], 0),
    ],
)
def test_earliest_expiry_first(specs, qty, takes, short):
    assert earliest_expiry_first(_batches(*specs), qty) == (takes, short)


def test_a_customer_always_taking_the_earliest_follows_expiry_order():
    batches = _batches(("LATE", 20, 5), ("SOON", 3, 2))
    assert customer_choice(batches, 4, random.Random(1), 1.0) == ([Take("SOON", 2), Take("LATE", 2)], 0)


def test_a_customer_never_taking_the_earliest_takes_a_later_batch_first():
    batches = _batches(("SOON", 3, 5), ("LATE", 20, 5))
    takes, short = customer_choice(batches, 2, random.Random(1), 0.0)
    assert takes == [Take("LATE", 2)] and short == 0


def test_customer_choice_never_takes_more_than_there_is():
    batches = _batches(("A", 3, 1), ("B", 4, 1), ("C", 5, 1))
    takes, short = customer_choice(batches, 5, random.Random(7), 0.5)
    assert sorted(takes, key=lambda t: t.batch_code) == [Take("A", 1), Take("B", 1), Take("C", 1)]
    assert short == 2


def test_the_share_of_earliest_choices_follows_the_probability():
    batches = _batches(("SOON", 3, 1000), ("LATE", 20, 1000))
    rng = random.Random(42)
    earliest = sum(customer_choice(batches, 1, rng, 0.8)[0][0].batch_code == "SOON" for _ in range(5000))
    assert 0.77 < earliest / 5000 < 0.83


def test_the_same_transaction_draws_the_same_allocation():
    batches = _batches(("A", 3, 4), ("B", 4, 4), ("C", 5, 4))
    first = customer_choice(batches, 6, transaction_rng("tx-1", "S1"), 0.5)
    assert all(customer_choice(batches, 6, transaction_rng("tx-1", "S1"), 0.5) == first for _ in range(10))


def test_batches_round_trip_through_their_stored_form():
    batches = _batches(("A", 3, 4), ("B", 4, 0))
    assert batches_from_dict(batches_to_dict(batches)) == batches


def test_adding_to_a_known_batch_keeps_its_dates():
    batches = _batches(("A", 3, 4))
    batches.add("A", 2, date(2026, 2, 1), date(2026, 3, 1))
    assert batches.by_code["A"].quantity == 6 and batches.by_code["A"].expiry_date == date(2026, 1, 3)
