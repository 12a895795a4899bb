"""When the producers read the discounts again: each new day, and every hour of it (the day's
near-expiry discounts are written shortly after midnight, after the producers' first read)."""

from datetime import UTC, datetime, timedelta

import pytest

from smart_shelf.store.pricing import discounts_stale

MIDNIGHT = datetime(2026, 1, 2, 0, 0, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "refreshed_at", "expected"),
    [
        (MIDNIGHT, None, True),  # never read
        (MIDNIGHT + timedelta(minutes=30), MIDNIGHT, False),  # read half an hour ago
        (MIDNIGHT + timedelta(hours=1), MIDNIGHT, True),  # an hour later
        (MIDNIGHT, MIDNIGHT - timedelta(minutes=1), True),  # read yesterday, a minute ago
    ],
)
def test_discounts_are_read_again_each_day_and_hour(now, refreshed_at, expected):
    assert discounts_stale(now, refreshed_at) is expected
