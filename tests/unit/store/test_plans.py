"""Plan rules: when a shelf or the warehouse needs stock, how much is asked, how a status moves."""

import pytest

from smart_shelf.store.plans import advances, needs_refill, refill_quantity, supplier_quantity


@pytest.mark.parametrize(
    ("stock", "capacity", "threshold", "min_qty", "expected"),
    [
        (29, 100, 30.0, 1, True),  # 29 % is below a 30 % threshold
        (30, 100, 30.0, 1, False),  # exactly at the threshold is not below it
        (0, 100, 30.0, 1, True),  # an empty shelf
        (3, 10, 20.0, 5, True),  # 30 % is above 20 %, but 3 is below the minimum quantity 5
        (5, 10, 20.0, 5, False),  # at the minimum quantity and above the threshold
    ],
)
def test_needs_refill_below_threshold_or_minimum(stock, capacity, threshold, min_qty, expected):
    assert needs_refill(stock, capacity, threshold, min_qty) is expected


@pytest.mark.parametrize(
    ("stock", "capacity", "target", "expected"),
    [
        (10, 100, 80.0, 70),  # up to 80 of 100
        (0, 33, 80.0, 27),  # 80 % of 33 is 26.4: rounded up to 27
        (90, 100, 80.0, 0),  # already above target: nothing
        (5, 10, 100.0, 5),  # a 100 % target fills the shelf exactly, never more
        (0, 10, 150.0, 10),  # a target above 100 % is capped at what the shelf holds
    ],
)
def test_refill_quantity_reaches_target_within_capacity(stock, capacity, target, expected):
    assert refill_quantity(stock, capacity, target) == expected


@pytest.mark.parametrize(
    ("stock", "capacity", "target", "batch", "expected"),
    [
        (10, 200, 100.0, 24, 168),  # 190 missing -> 8 batches of 24 (192) do not fit, 7 (168) do
        (0, 240, 100.0, 24, 240),  # an empty warehouse gets exactly its capacity in batches
        (0, 240, 50.0, 24, 120),  # up to half: 5 batches
        (100, 240, 50.0, 24, 24),  # 20 missing to 120 -> one whole batch
        (230, 240, 100.0, 24, 0),  # not one batch fits
        (120, 240, 50.0, 24, 0),  # at target: nothing
    ],
)
def test_supplier_quantity_orders_whole_batches_that_fit(stock, capacity, target, batch, expected):
    got = supplier_quantity(stock, capacity, target, batch)
    assert got == expected
    assert got % batch == 0 and stock + got <= capacity


def test_supplier_quantity_refuses_a_batch_size_of_zero():
    with pytest.raises(ValueError, match="batch_size"):
        supplier_quantity(0, 10, 100.0, 0)


@pytest.mark.parametrize(
    ("current", "proposed", "expected"),
    [
        ("pending", "issued", True),  # the normal step
        ("pending", "completed", True),  # may skip ahead (the pick and the refill in one batch)
        ("issued", "pending", False),  # never back: an issued plan is not re-planned
        ("issued", "issued", False),  # the same status again is no move
        ("completed", "partially_completed", False),  # final statuses stay
        ("partially_completed", "completed", False),
    ],
)
def test_plan_status_only_moves_forward(current, proposed, expected):
    assert advances(current, proposed) is expected
