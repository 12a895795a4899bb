"""The supplier calendar: the latest cutoff and delivery slot, and which delivery a cutoff feeds."""

from datetime import UTC, datetime, time

import pytest

from smart_shelf.store.calendar import SupplierCalendar, parse_weekdays

REFERENCE = SupplierCalendar((6, 1, 3), time(12), (0, 2, 4), time(8))


def _t(day, hour=0, minute=0):
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)  # 2026-01-01 is a Thursday


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_t(1, 12), _t(1, 12)),  # Thursday 12:00 is itself a cutoff
        (_t(1, 11, 59), datetime(2025, 12, 30, 12, tzinfo=UTC)),  # a minute before it: Tuesday's
        (_t(3, 9), _t(1, 12)),  # Saturday: Thursday's is still the latest
        (_t(4, 13), _t(4, 12)),  # Sunday afternoon: Sunday noon
        (_t(6, 12), _t(6, 12)),  # Tuesday noon
    ],
)
def test_latest_cutoff(now, expected):
    assert REFERENCE.latest_cutoff(now) == expected


@pytest.mark.parametrize(
    ("cutoff", "delivery"),
    [
        (_t(4, 12), _t(5, 8)),  # Sunday -> Monday 08:00
        (_t(6, 12), _t(7, 8)),  # Tuesday -> Wednesday
        (_t(1, 12), _t(2, 8)),  # Thursday -> Friday
    ],
)
def test_each_cutoff_feeds_the_next_delivery_slot(cutoff, delivery):
    assert REFERENCE.delivery_for(cutoff) == delivery


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (_t(2, 8), _t(2, 8)),  # Friday 08:00 exactly
        (_t(2, 7, 59), datetime(2025, 12, 31, 8, tzinfo=UTC)),  # a minute earlier: Wednesday's
        (_t(4, 23), _t(2, 8)),  # Sunday night: Friday's
    ],
)
def test_latest_delivery(now, expected):
    assert REFERENCE.latest_delivery(now) == expected


@pytest.mark.parametrize("text", ["", "7", "1,x", "-1"])
def test_parse_weekdays_refuses_what_is_not_a_weekday(text):
    with pytest.raises(ValueError):
        parse_weekdays(text)


def test_parse_weekdays_keeps_the_order_given():
    assert parse_weekdays("6,1,3") == (6, 1, 3)
