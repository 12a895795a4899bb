"""Daily discounts (deterministic, never compounding) and removals of expired batches (an order per
batch for the shelf, one alert per shelf with the units; the ledgers apply what the shelf did)."""

from datetime import UTC, date, datetime, timedelta

from smart_shelf.store.batches import Batches
from smart_shelf.store.expiry import BatchStock
from spark_apps.batch_state_updater.rules import BatchReading, StoreBatchLedger
from spark_apps.daily_discount_manager.rules import discounts_for
from spark_apps.removal_scheduler.rules import expired, removal_alerts, removal_order

NOW = datetime(2026, 1, 10, 0, 0, 5, tzinfo=UTC)
TODAY = NOW.date()


def test_discounts_of_a_day_are_the_same_when_run_twice():
    batches = [BatchStock("A", "b1", TODAY, 2), BatchStock("B", "b2", TODAY + timedelta(days=1), 1)]
    first = discounts_for(batches, TODAY, 42, 0.30, 0.50, NOW)
    second = discounts_for(batches, TODAY, 42, 0.30, 0.50, NOW + timedelta(hours=1))
    assert [(d.shelf_id, d.discount_date) for d in first] == [("A", TODAY), ("B", TODAY)]
    assert [d.discount for d in first] == [d.discount for d in second]  # no compounding
    assert all(d.discount in (0.3, 0.4, 0.5) for d in first)


def test_expired_batches_go_the_day_after_their_expiry():
    batches = [
        BatchStock("A", "old", TODAY - timedelta(days=1), 3),
        BatchStock("A", "older", TODAY - timedelta(days=4), 2),
        BatchStock("A", "today", TODAY, 5),  # still sold today
        BatchStock("B", "gone", TODAY - timedelta(days=1), 0),  # nothing left to remove
    ]
    due = expired(batches, TODAY, "next_day")
    assert [(b.shelf_id, b.batch_code) for b in due] == [("A", "old"), ("A", "older")]
    (one,) = removal_alerts(due, NOW)
    assert (one.event_type, one.shelf_id, one.quantity) == ("expired_removal", "A", 5)
    assert removal_alerts(due, NOW)[0].alert_id == one.alert_id  # the same day gives the same alert


def test_a_removal_order_names_the_batch_its_units_and_their_weight_once_a_day():
    batch = BatchStock("A", "old", TODAY - timedelta(days=1), 3)
    order = removal_order(batch, 200.0, NOW)
    assert (order.shelf_id, order.batch_code, order.expiry_date, order.quantity, order.weight) == (
        "A",
        "old",
        TODAY - timedelta(days=1),
        3,
        200.0,
    )
    assert removal_order(batch, 200.0, NOW + timedelta(hours=3)).event_id == order.event_id  # a rerun
    assert removal_order(batch, 200.0, NOW + timedelta(days=1)).event_id != order.event_id  # next day


def _store(*batches):
    found = Batches()
    for code, expiry, qty in batches:
        found.add(code, qty, date(2026, 1, 1), expiry)
    return StoreBatchLedger("A", found, NOW, 1.0)


def _removal(code, qty):
    return BatchReading("r1", "removal", NOW, qty, batch_code=code)


def test_the_batch_ledger_removes_the_named_batch():
    ledger = _store(("old", date(2026, 1, 9), 3), ("new", date(2026, 2, 1), 10))
    assert ledger.apply(_removal("old", 3)) == []
    assert {b.batch_code: b.batch_quantity_store for b in ledger.changed()} == {"old": 0}


def test_units_the_named_batch_no_longer_holds_come_from_the_earliest_others():
    # the removal was planned on 3 units; one of them was sold meanwhile
    ledger = _store(
        ("old", date(2026, 1, 9), 2), ("new", date(2026, 2, 1), 10), ("later", date(2026, 3, 1), 5)
    )
    ledger.apply(_removal("old", 3))
    assert {b.batch_code: b.batch_quantity_store for b in ledger.rows()} == {"old": 0, "new": 9, "later": 5}


def test_a_removal_beyond_every_batch_is_reported():
    ledger = _store(("old", date(2026, 1, 9), 1))
    (alert,) = ledger.apply(_removal("old", 4))
    assert (alert.event_type, alert.suggested_qty) == ("batch_shortfall", 3)
