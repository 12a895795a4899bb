"""Forecasting rules: features known at the origin only, metrics by hand, a split by date."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import numpy as np
import pandas as pd
import pytest

from smart_shelf.contracts import ShelfDay
from smart_shelf.forecast import metrics
from smart_shelf.forecast.evaluate import (
    ModelParams,
    cutoff_origins,
    demand_of,
    evaluate,
    training_rows,
)
from smart_shelf.forecast.features import FEATURES, MIN_HISTORY, feature_rows, features_at
from smart_shelf.forecast.panel import panel_from
from smart_shelf.store.calendar import SupplierCalendar

FIRST = date(2026, 1, 1)  # a Thursday
CALENDAR = SupplierCalendar((6, 1, 3), time(12), (0, 2, 4), time(8))
SHELVES = ("A", "B", "C")


def _panel(days: int = 70, seed: int = 3, more_shelves: int = 0):
    """Three shelves (and `more_shelves` like them) whose demand follows the weekday, a promotion on
    B and noise."""
    rng = np.random.default_rng(seed)
    shelves = SHELVES + tuple(f"M{n:03d}" for n in range(more_shelves))
    bases = (2.0, 6.0, 12.0) + tuple(float(rng.uniform(1, 15)) for _ in range(more_shelves))
    weekday_factor = [0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.2]
    rows, customers = [], {}
    for n in range(days):
        day = FIRST + timedelta(days=n)
        customers[day] = int(1000 * weekday_factor[day.weekday()])
        for base, shelf in zip(bases, shelves, strict=True):
            promoted = 1.5 if shelf == "B" and 14 <= n % 28 < 21 else 1.0
            demand = int(rng.poisson(base * weekday_factor[day.weekday()] * promoted))
            lost = min(demand, int(rng.random() < 0.1))
            rows.append(
                ShelfDay(
                    shelf_id=shelf,
                    day=day,
                    stock_open=20,
                    stock_close=10,
                    units_taken=demand - lost,
                    units_sold=demand - lost,
                    revenue=0.0,
                    lost_sale_units=lost,
                    refill_units=0,
                    removed_units=0,
                    discount=0.0,
                )
            )
    inventory = pd.DataFrame(
        {
            "shelf_id": shelves,
            "item_category": ["X", "Y"] * (len(shelves) // 2) + ["X"] * (len(shelves) % 2),
            "item_visibility": [0.1 * (1 + n % 3) for n in range(len(shelves))],
            "item_price": [1.0 + n % 3 for n in range(len(shelves))],
            "maximum_stock": [20 + 10 * (n % 3) for n in range(len(shelves))],
        }
    )
    weekly = pd.DataFrame(
        [
            {
                "shelf_id": "B",
                "week_start": FIRST + timedelta(days=w),
                "week_end": FIRST + timedelta(days=w + 6),
                "discount": 0.3,
            }
            for w in range(14, days + 7, 28)
        ]
    )
    return panel_from(rows, customers, inventory, weekly)


def test_demand_is_what_was_sold_plus_what_could_not_be_found():
    panel = _panel(days=35)
    shelf_b = panel.shelves.index("B")
    assert panel.demand.shape == (3, 35 + 7)  # a week after the data: only the promotions known
    assert panel.observed == 35
    assert np.all(panel.demand[:, 35:] == 0)
    assert panel.weekly_discount[shelf_b, 14] == 0.3 and panel.weekly_discount[shelf_b, 13] == 0.0
    assert np.all(panel.lost <= panel.demand)


def test_features_at_an_origin_do_not_change_whatever_happens_from_its_day_on():
    panel = _panel()
    origin = 40
    before = features_at(panel, origin, (1, 2, 3, 4))
    rng = np.random.default_rng(0)
    later = np.s_[:, origin:]
    perturbed = dataclasses.replace(
        panel,
        demand=panel.demand.copy(),
        lost=panel.lost.copy(),
        stock_close=panel.stock_close.copy(),
        traffic=panel.traffic.copy(),
    )
    perturbed.demand[later] = rng.integers(0, 100, perturbed.demand[later].shape)
    perturbed.lost[later] = rng.integers(0, 100, perturbed.lost[later].shape)
    perturbed.stock_close[later] = rng.integers(0, 100, perturbed.stock_close[later].shape)
    perturbed.traffic[origin:] = rng.integers(0, 5000, len(perturbed.traffic) - origin)
    pd.testing.assert_frame_equal(before, features_at(perturbed, origin, (1, 2, 3, 4)))
    # and they do change with the past: the guard is not just an empty frame
    perturbed.demand[:, origin - 1] += 50
    assert not before.equals(features_at(perturbed, origin, (1, 2, 3, 4)))


def test_features_read_the_promotion_of_the_target_day_which_is_published_ahead():
    panel = _panel()
    rows = features_at(panel, 41, (1,))  # target day 42: B promoted (days 42..48)
    assert rows.loc[rows["shelf_id"] == "B", "weekly_discount"].item() == 0.3
    assert list(rows.columns[: len(FEATURES)]) == list(FEATURES)


def test_an_origin_needs_four_weeks_of_past_and_a_step_within_a_week():
    panel = _panel()
    with pytest.raises(ValueError, match="28 days"):
        features_at(panel, MIN_HISTORY - 1, (1,))
    with pytest.raises(ValueError, match="step 8"):
        features_at(panel, 40, (8,))


def test_each_cutoff_covers_the_days_to_the_delivery_after_next():
    panel = _panel()
    origins = cutoff_origins(panel, CALENDAR, 28, 70)
    weekdays = {panel.days[o.index].strftime("%a"): o.steps for o in origins}
    # Sunday -> Wednesday's delivery: Mon..Wed; Tuesday -> Friday; Thursday -> the next Monday
    assert weekdays == {"Sun": (1, 2, 3), "Tue": (1, 2, 3), "Thu": (1, 2, 3, 4)}
    assert all(o.index + max(o.steps) < 70 for o in origins)


def test_the_rolling_origin_split_never_trains_on_a_day_at_or_after_its_origin():
    panel = _panel()
    cache = {}
    for origin in cutoff_origins(panel, CALENDAR, 42, 70):
        rows = training_rows(panel, origin.index, cache)
        assert len(rows) > 0
        assert rows["target"].max() < origin.index
        assert rows["origin"].max() < origin.index


@pytest.mark.parametrize(
    "actual, forecast, history, expected",
    [
        # naive one-step MSE on history [1, 3, 1, 3]: 4; forecast MSE: (1 + 1) / 2 = 1 -> sqrt(1/4)
        ([2, 2], [1, 3], [1, 3, 1, 3], 0.5),
        # leading zeros before the first sale are not scaled over: [0, 0, 2, 4] -> diffs [2] -> 4
        ([4, 4], [2, 2], [0, 0, 2, 4], 1.0),
    ],
)
def test_rmsse_by_hand(actual, forecast, history, expected):
    assert metrics.rmsse(
        np.array(actual), np.array(forecast), np.array(history, dtype=float)
    ) == pytest.approx(expected)


def test_mase_wape_bias_and_pinball_by_hand():
    actual, forecast = np.array([4.0, 0.0, 6.0]), np.array([3.0, 1.0, 8.0])
    history = np.array([1.0] * 7 + [3.0] * 7)  # seasonal naive in-sample MAE: |3 - 1| = 2
    assert metrics.mase(actual, forecast, history) == pytest.approx((1 + 1 + 2) / 3 / 2)
    assert metrics.wape(actual, forecast) == pytest.approx(4 / 10)
    assert metrics.bias(actual, forecast) == pytest.approx(2 / 10)
    # tau 0.9: under by 1 costs 0.9; over by 1 and 2 cost 0.1 and 0.2
    assert metrics.pinball(actual, forecast, 0.9) == pytest.approx((0.9 + 0.1 + 0.2) / 3)


def test_the_model_learns_the_weekday_and_the_promotion_better_than_a_moving_average():
    panel = _panel(days=84, more_shelves=60)
    params = ModelParams(n_estimators=300, max_depth=4, threads=1)
    result = evaluate(panel, CALENDAR, first_holdout=63, observed=84, params=params)
    assert len(result.origins) == 8  # nine cutoffs in three weeks; the last one's cover runs past the data
    model, ma = result.scores["model"], result.scores["moving average 28"]
    assert model.rmsse < ma.rmsse
    assert abs(model.bias) < 0.05
    # the baselines are what they say: a 7-day seasonal naive reads the demand a week before the target
    rows = features_at(panel, 70, (1,))
    assert np.array_equal(rows["same_weekday_1"].to_numpy(), panel.demand[:, 64])
    assert np.array_equal(demand_of(panel, rows), panel.demand[:, 71])


def test_feature_rows_are_the_features_as_contract_rows_one_per_shelf_and_target_day():
    panel = _panel()
    rows = feature_rows(panel, 40)
    frame = features_at(panel, 40, (1, 2, 3, 4))
    assert len(rows) == len(frame) == 4 * len(SHELVES)
    first = rows[0]
    assert first.feature_date == panel.days[40] and first.target_date == panel.days[41] and first.step == 1
    assert [getattr(first, name) for name in FEATURES] == pytest.approx(
        [frame.iloc[0][name] for name in FEATURES]
    )
