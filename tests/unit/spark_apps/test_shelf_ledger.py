"""Shelf stock rules: counts move stock, the scale is checked, stock never goes negative."""

from datetime import UTC, datetime, timedelta

import pytest

from spark_apps.shelf_aggregator.rules import ShelfLedger, ShelfReading, weight_matches

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)


def _read(n, kind, qty=None, customer="c1", delta_weight=None):
    return ShelfReading(f"e{n}", kind, customer, T0 + timedelta(seconds=n), qty, delta_weight)


def _ledger(stock=10, weight=0.5):
    return ShelfLedger("S1", stock, weight, T0)


@pytest.mark.parametrize(
    ("readings", "stock"),
    [
        ([_read(1, "pickup", 3)], 7),  # a pickup takes units off
        ([_read(1, "pickup", 3), _read(2, "putback", 1)], 8),  # a customer's putback returns them
        ([_read(1, "putback", 24, customer="restock_bot")], 34),  # a restock arrives
        ([_read(1, "removal", 4, customer="removal_bot")], 6),  # expired units leave the shelf
        ([_read(1, "removal", 12, customer="removal_bot")], 0),  # a removal never takes it below zero
        ([_read(1, "weight_change", delta_weight=-1.5)], 10),  # a reading alone moves no stock
        ([_read(1, "pickup", 10), _read(2, "pickup", 1)], 0),  # never below zero
    ],
)
def test_counts_move_stock(readings, stock):
    ledger = _ledger()
    for r in readings:
        ledger.apply(r)
    assert ledger.current_stock == stock
    assert ledger.state().shelf_weight == pytest.approx(stock * 0.5)


def test_a_pickup_beyond_the_ledger_is_reported_not_applied_below_zero():
    ledger = _ledger(stock=2)
    (alert,) = ledger.apply(_read(1, "pickup", 5))
    assert (alert.event_type, alert.current_stock, ledger.current_stock) == ("stock_discrepancy", 0, 0)


@pytest.mark.parametrize(
    ("moves", "weighed", "mismatch"),
    [
        ([("pickup", 2)], -1.0, False),  # 2 units of 0.5 left: -1.0 exactly
        ([("pickup", 2)], -1.04, False),  # within 5 %
        ([("pickup", 2)], -2.0, True),  # 4 units weighed for 2 counted
        ([("pickup", 2)], 1.0, True),  # the wrong direction
        ([("pickup", 2), ("putback", 1)], -0.5, False),  # net of the customer's moves since the last reading
        ([], -0.5, True),  # a reading with no movement
    ],
)
def test_the_scale_must_agree_with_the_counts(moves, weighed, mismatch):
    ledger = _ledger()
    for n, (kind, qty) in enumerate(moves):
        assert ledger.apply(_read(n, kind, qty)) == []
    alerts = ledger.apply(_read(9, "weight_change", delta_weight=weighed))
    assert [a.event_type for a in alerts] == (["sensor_mismatch"] if mismatch else [])


def test_readings_pair_with_their_own_customer():
    ledger = _ledger()
    ledger.apply(_read(1, "pickup", 1, customer="a"))
    ledger.apply(_read(2, "pickup", 3, customer="b"))
    assert ledger.apply(_read(3, "weight_change", customer="a", delta_weight=-0.5)) == []
    assert ledger.apply(_read(4, "weight_change", customer="b", delta_weight=-1.5)) == []
    assert ledger.unweighed == {}


def test_the_same_cause_gives_the_same_alert_id():
    first = _ledger().apply(_read(1, "weight_change", delta_weight=3.0))
    again = _ledger().apply(_read(1, "weight_change", delta_weight=3.0))
    assert first[0].alert_id == again[0].alert_id


def test_last_update_is_the_latest_event_time_whatever_the_order():
    ledger = _ledger()
    ledger.apply(_read(5, "pickup", 1))
    ledger.apply(_read(2, "putback", 1))
    assert ledger.last_update_ts == T0 + timedelta(seconds=5)


def test_a_ledger_round_trips_through_its_stored_form():
    ledger = _ledger()
    ledger.apply(_read(1, "pickup", 2))
    assert ShelfLedger.loads(ledger.dumps()) == ledger


def test_weight_tolerance_has_a_floor_for_zero():
    assert weight_matches(0.0, 0.0005) and not weight_matches(0.0, 0.01)


def test_the_state_counts_the_units_restocked_and_only_those():
    ledger = _ledger()
    for r in (
        _read(1, "putback", 6, customer="restock_bot"),
        _read(2, "putback", 2),  # a customer's putback is no restock
        _read(3, "putback", 4, customer="restock_bot"),
    ):
        ledger.apply(r)
    assert ledger.state().restocked_units == 10
    assert ShelfLedger.loads(ledger.dumps()).restocked == 10
