"""Order-up-to from a forecast: the Poisson quantile, whole batches, warehouse room, shelf life."""

from __future__ import annotations

import math

import pytest

from smart_shelf.forecast.ordering import OrderInputs, order_quantity, poisson_quantile


@pytest.mark.parametrize(
    "mean, level, expected",
    [
        (0.0, 0.95, 0),
        # Poisson(2): P(<=4) = 0.947, P(<=5) = 0.983
        (2.0, 0.95, 5),
        (2.0, 0.90, 4),
        # Poisson(10): P(<=15) = 0.951
        (10.0, 0.95, 15),
    ],
)
def test_poisson_quantile_by_hand(mean, level, expected):
    assert poisson_quantile(mean, level) == expected


def test_poisson_quantile_far_out_agrees_with_the_normal_approximation():
    assert abs(poisson_quantile(10_000.0, 0.95) - (10_000 + 1.645 * 100)) <= 2


def test_a_service_level_outside_zero_and_one_is_refused():
    with pytest.raises(ValueError, match="service level"):
        poisson_quantile(3.0, 1.0)


def _order(**overrides) -> int:
    inputs = dict(daily_means=[4.0, 3.0, 3.0], position=6, batch_size=6, warehouse_room=100)
    return order_quantity(OrderInputs(**{**inputs, **overrides}))


def test_the_order_brings_the_position_up_to_the_quantile_in_whole_batches():
    # demand over the cover ~ Poisson(10): S = 15; 15 - 6 = 9 units -> 2 batches of 6
    assert _order() == 12
    assert _order(position=15) == 0  # already at the level
    assert _order(position=20) == 0


def test_the_warehouse_room_caps_the_order_in_whole_batches():
    assert _order(warehouse_room=11) == 6
    assert _order(warehouse_room=5) == 0


def test_no_more_than_can_sell_before_it_expires():
    # 10/3 a day for 4 days: 13.3 units sell; 6 on hand leave 7.3: one batch of 6, not two
    assert _order(shelf_life_days=4) == 6
    assert _order(shelf_life_days=2) == 0  # 6.7 sell: what is on hand already covers it
    assert _order(shelf_life_days=365) == 12


def test_the_order_never_forces_a_batch_the_cap_forbids():
    assert _order(position=0, batch_size=48, shelf_life_days=3) == 0  # 10 sell in 3 days: not 48
    assert math.isclose(_order(position=0, batch_size=1), 15)
