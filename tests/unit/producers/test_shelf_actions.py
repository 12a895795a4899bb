"""The shelf producer's rules: action times, pick frequencies, stock never below zero, putbacks."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from kafka_components.kafka_producer_shelf.actions import (
    Catalogue,
    Shopper,
    action_times,
    apply,
    cumulative,
    decide,
    draw,
    removal_events,
)
from smart_shelf.contracts import RemovalOrder, stable_id
from smart_shelf.store.pricing import combine_discounts, effective_discounts, pick_score

ENTRY = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
EXIT = ENTRY + timedelta(minutes=30)


def _customer(n: int) -> str:
    return stable_id("customer", n)


def test_actions_fall_inside_the_visit_window_and_are_sorted():
    for n in range(200):
        times = action_times(42, _customer(n), ENTRY, EXIT)
        assert 3 <= len(times) <= 30
        assert times == sorted(times)
        assert all(ENTRY + timedelta(seconds=60) <= t <= EXIT - timedelta(seconds=30) for t in times)


def test_action_counts_follow_the_mixture():
    counts = np.array([len(action_times(42, _customer(n), ENTRY, EXIT)) for n in range(3000)])
    assert abs((counts <= 6).mean() - 0.20) < 0.03
    assert abs(((counts >= 7) & (counts <= 15)).mean() - 0.50) < 0.03
    assert abs((counts >= 16).mean() - 0.30) < 0.03


def test_a_visit_too_short_for_the_window_has_no_actions():
    assert action_times(42, _customer(1), ENTRY, ENTRY + timedelta(seconds=80)) == []


def test_the_same_customer_always_gets_the_same_schedule():
    assert action_times(42, _customer(5), ENTRY, EXIT) == action_times(42, _customer(5), ENTRY, EXIT)


CATALOGUE = Catalogue(("A", "B", "C"), {"A": 500.0, "B": 250.0, "C": 100.0}, np.array([0.05, 0.10, 0.20]))


def test_draw_is_numpys_choice_from_the_same_generator_state():
    # the shelf producer's picks must not change with how they are drawn: same seed, same customers
    p = np.random.default_rng(5).random(1142)
    p /= p.sum()
    cdf = cumulative(p)
    by_choice, by_draw = np.random.default_rng(7), np.random.default_rng(7)
    for _ in range(20_000):
        assert int(by_choice.choice(len(p), p=p)) == draw(by_draw, cdf)
        assert int(by_choice.choice(3, p=(0.6, 0.3, 0.1))) == draw(by_draw, cumulative((0.6, 0.3, 0.1)))


def test_pick_frequencies_follow_pick_score():
    pick_cdf = CATALOGUE.pick_cdf({"A": 0.5})
    stock = {"A": 10**9, "B": 10**9, "C": 10**9}
    picks = Counter()
    for n in range(6000):
        outcome = decide(42, Shopper(_customer(n), [ENTRY]), CATALOGUE, pick_cdf, stock, putback_prob=0.0)
        picks[outcome.shelf_id] += 1
    scores = {"A": pick_score(0.05, 0.5), "B": pick_score(0.10, 0), "C": pick_score(0.20, 0)}
    for shelf, score in scores.items():
        assert abs(picks[shelf] / 6000 - score / sum(scores.values())) < 0.02


@pytest.mark.parametrize(
    "stock, expected_kind, expected_max",
    [
        ({"A": 0, "B": 0, "C": 0}, "lost_sale", 0),  # nothing on any shelf: every pickup is a lost sale
        ({"A": 1, "B": 1, "C": 1}, "pickup", 1),  # a short shelf gives what it has
    ],
)
def test_nobody_takes_what_is_not_on_the_shelf(stock, expected_kind, expected_max):
    pick_cdf = CATALOGUE.pick_cdf({})
    for n in range(300):
        outcome = decide(
            42, Shopper(_customer(n), [ENTRY]), CATALOGUE, pick_cdf, dict(stock), putback_prob=0.0
        )
        assert outcome.kind == expected_kind and outcome.quantity <= expected_max


def test_stock_is_conserved_through_a_shopping_trip():
    pick_cdf = CATALOGUE.pick_cdf({})
    stock = {"A": 5, "B": 3, "C": 2}
    initial = sum(stock.values())
    shoppers = [Shopper(_customer(n), [ENTRY] * 20) for n in range(30)]
    for shopper in shoppers:
        while not shopper.done:
            apply(decide(42, shopper, CATALOGUE, pick_cdf, stock, putback_prob=0.3), shopper, stock)
            assert min(stock.values()) >= 0
            assert all(q > 0 for q in shopper.hands.values())
    in_hands = sum(sum(s.hands.values()) for s in shoppers)
    assert sum(stock.values()) + in_hands == initial  # what left a shelf is in a cart


def test_a_putback_returns_only_what_is_in_hand():
    shopper = Shopper(_customer(3), [ENTRY] * 50, hands={"B": 2})
    stock = {"A": 0, "B": 0, "C": 0}
    while shopper.hands:
        outcome = decide(42, shopper, CATALOGUE, CATALOGUE.pick_cdf({}), stock, putback_prob=1.0)
        assert outcome.kind == "putback" and outcome.shelf_id == "B"
        assert 1 <= outcome.quantity <= shopper.hands["B"]
        apply(outcome, shopper, stock)
    assert stock["B"] == 2
    # with empty hands a putback is impossible: the action becomes a pickup (here a lost sale for A/C)
    assert decide(42, shopper, CATALOGUE, CATALOGUE.pick_cdf({}), stock, putback_prob=1.0).kind != "putback"


@pytest.mark.parametrize(
    "weekly, daily, expected",
    [(0.0, 0.0, 0.0), (0.2, 0.0, 0.2), (0.2, 0.5, 0.6), (0.9, 0.9, 0.95)],  # stacked, capped at 95 %
)
def test_discounts_combine_multiplicatively(weekly, daily, expected):
    assert combine_discounts(weekly, daily) == pytest.approx(expected)


def test_effective_discounts_cover_either_source():
    assert effective_discounts({"A": 0.1}, {"B": 0.3, "A": 0.5}) == pytest.approx({"A": 0.55, "B": 0.3})


ORDER = RemovalOrder(
    event_id="order-1",
    shelf_id="A",
    batch_code="old",
    expiry_date=ENTRY.date() - timedelta(days=1),
    quantity=3,
    weight=200.0,
    created_at=ENTRY,
)


@pytest.mark.parametrize(
    "on_shelf, removed",
    [
        (10, 3),  # the order's units
        (2, 2),  # customers took some since the batch ledger's view: what is left goes
        (0, None),  # nothing on the shelf: nothing to carry out
    ],
)
def test_staff_remove_the_ordered_units_still_on_the_shelf(on_shelf, removed):
    at = ENTRY + timedelta(minutes=5)
    events = removal_events(ORDER, on_shelf, at)
    if removed is None:
        assert events == []
        return
    removal, weight = events
    assert (removal.event_type, removal.customer_id, removal.item_id, removal.batch_code) == (
        "removal",
        "removal_bot",
        "A",
        "old",
    )
    assert (removal.quantity, removal.expiry_date, removal.timestamp) == (removed, ORDER.expiry_date, at)
    assert (weight.event_type, weight.delta_weight, weight.timestamp) == (
        "weight_change",
        -200.0 * removed,
        at,
    )
    # carried out again (after a crash), the same ids: the ledgers drop the repeat
    assert [e.event_id for e in removal_events(ORDER, on_shelf, at)] == [removal.event_id, weight.event_id]
