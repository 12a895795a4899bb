"""POS rules: cart arithmetic, checkout timing, line prices and transaction identity."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from kafka_components.kafka_producer_pos.checkout import (
    bill_short_cart,
    build_transaction,
    cart_change,
    cart_complete,
    checkout_due,
)
from smart_shelf.store.pricing import weekly_discounts_on

AT = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "event_type, quantity, expected",
    [("pickup", 2, 2), ("putback", 1, -1), ("weight_change", 0, 0), ("lost_sale", 3, 0)],
)
def test_cart_change(event_type, quantity, expected):
    assert cart_change(event_type, quantity) == expected


@pytest.mark.parametrize(
    "now, expected, why",
    [
        (AT, False, "still in the store"),
        (AT + timedelta(minutes=30), False, "left, but within the grace for late shelf events"),
        (AT + timedelta(minutes=31), True, "left and the grace passed"),
        (AT - timedelta(minutes=10) + timedelta(hours=3), True, "in the store longer than the maximum age"),
    ],
)
def test_checkout_due(now, expected, why):
    entry = AT - timedelta(minutes=10)
    assert (
        checkout_due(AT + timedelta(minutes=0), entry, now, timedelta(minutes=31), timedelta(hours=3))
        == expected
    ), why


def test_transaction_lines_price_the_cart_with_discounts():
    cart = {"B": 2, "A": 1, "C": 0}  # C was put back entirely: no line
    prices = {"A": 3.5, "B": 1.99, "C": 9.0}
    tx = build_transaction("cust-1", cart, AT, prices, {"B": 0.25})
    assert [(i.item_id, i.quantity, i.unit_price, i.discount, i.total_price) for i in tx.items] == [
        ("A", 1, 3.5, 0.0, 3.5),
        ("B", 2, 1.99, 0.25, 2.98),  # 2 x 1.99 x 0.75 = 2.985 -> 2.98 (round half to even on the float)
    ]
    assert tx.timestamp == AT and tx.customer_id == "cust-1"


def test_a_repeated_checkout_has_the_same_transaction_id():
    first = build_transaction("cust-9", {"A": 1}, AT, {"A": 1.0}, {})
    again = build_transaction("cust-9", {"A": 1}, AT + timedelta(seconds=5), {"A": 1.0}, {})
    assert first.transaction_id == again.transaction_id == first.event_id
    assert build_transaction("cust-8", {"A": 1}, AT, {"A": 1.0}, {}).transaction_id != first.transaction_id


def test_weekly_discounts_apply_within_their_week_inclusive():
    promos = pd.DataFrame(
        {
            "shelf_id": ["A", "B"],
            "week_start": pd.to_datetime(["2025-12-29", "2026-01-05"]),
            "week_end": pd.to_datetime(["2026-01-04", "2026-01-11"]),
            "discount": [0.2, 0.3],
        }
    )
    assert weekly_discounts_on(promos, date(2026, 1, 4)) == {"A": 0.2}  # the last day counts
    assert weekly_discounts_on(promos, date(2026, 1, 5)) == {"B": 0.3}


def test_a_cart_is_complete_when_the_shelf_producer_is_done_and_every_event_arrived():
    assert cart_complete(shelf_done=True, emitted=4, applied=4)
    assert cart_complete(shelf_done=True, emitted=0, applied=0)  # a visit with no pickup
    assert not cart_complete(shelf_done=True, emitted=4, applied=3)  # one still on its way (an outage)
    assert not cart_complete(shelf_done=False, emitted=4, applied=4)  # more actions to come


def test_a_short_cart_is_billed_only_after_max_age_with_no_shelf_event_unread():
    hours = timedelta(hours=1)
    asked = []

    def unread(answer):
        return lambda: asked.append(answer) or answer

    assert bill_short_cart(True, 3 * hours, 3 * hours, unread(False))
    # the till has not read the topic to its end: the missing events may be there
    assert not bill_short_cart(True, 4 * hours, 3 * hours, unread(True))
    assert not bill_short_cart(True, 2 * hours, 3 * hours, unread(False))  # not yet max_age
    assert not bill_short_cart(False, 4 * hours, 3 * hours, unread(False))  # more actions to come
    assert asked == [False, True]  # Kafka's client is asked only for a cart that could be billed
