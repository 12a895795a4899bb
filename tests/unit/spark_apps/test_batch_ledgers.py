"""Store and warehouse batch rules, and warehouse stock."""

from datetime import UTC, date, datetime, timedelta

import pytest

from smart_shelf.store.batches import Batches
from spark_apps.batch_state_updater.rules import BatchReading, StoreBatchLedger
from spark_apps.wh_aggregator.rules import WarehouseLedger, WarehouseReading
from spark_apps.wh_batch_state_updater.rules import WarehouseBatchLedger

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
RECEIVED = date(2025, 12, 30)


def _store(prob_earliest=1.0, **batches):
    """batches: code=(expiry day of January, quantity)."""
    b = Batches()
    for code, (day, qty) in batches.items():
        b.add(code, qty, RECEIVED, date(2026, 1, day))
    return StoreBatchLedger("S1", b, T0, prob_earliest)


def _sale(n, qty, tx="tx"):
    return BatchReading(f"e{n}", "sale", T0 + timedelta(seconds=n), qty, transaction_id=tx)


def _quantities(ledger):
    return {code: b.quantity for code, b in ledger.batches.by_code.items()}


def test_a_sale_takes_from_the_earliest_expiry_batch():
    ledger = _store(A=(10, 5), B=(3, 2))
    assert ledger.apply(_sale(1, 3)) == []
    assert _quantities(ledger) == {"A": 4, "B": 0}
    assert sorted(r.batch_code for r in ledger.changed()) == ["A", "B"]


def test_a_sale_beyond_every_batch_is_reported_and_nothing_goes_negative():
    ledger = _store(A=(10, 1))
    (alert,) = ledger.apply(_sale(1, 3))
    assert (alert.event_type, alert.suggested_qty, _quantities(ledger)) == ("batch_shortfall", 2, {"A": 0})


def test_the_same_transaction_is_allocated_the_same_way_in_any_ledger():
    one, two = _store(0.5, A=(3, 4), B=(4, 4), C=(5, 4)), _store(0.5, A=(3, 4), B=(4, 4), C=(5, 4))
    one.apply(_sale(1, 5, tx="t-9"))
    two.apply(_sale(1, 5, tx="t-9"))
    assert _quantities(one) == _quantities(two)


def test_a_restock_opens_its_batch_with_the_warehouse_dates():
    ledger = _store(A=(10, 1))
    restock = BatchReading(
        "r1", "restock", T0, 12, batch_code="W1", received_date=RECEIVED, expiry_date=date(2026, 2, 1)
    )
    assert ledger.apply(restock) == []
    (row,) = ledger.changed()
    assert (row.batch_code, row.batch_quantity_store, row.expiry_date) == ("W1", 12, date(2026, 2, 1))


@pytest.mark.parametrize(
    ("code", "expiry", "alerted"),
    [
        (None, None, True),  # no batch at all: nothing to add it to
        ("NEW", None, True),  # a new batch without an expiry is kept, expiring at once, and reported
        ("A", None, False),  # a known batch keeps its own dates
    ],
)
def test_restocks_missing_batch_details_are_reported(code, expiry, alerted):
    ledger = _store(A=(10, 1))
    alerts = ledger.apply(BatchReading("r1", "restock", T0, 2, batch_code=code, expiry_date=expiry))
    assert [a.event_type for a in alerts] == (["batch_unknown"] if alerted else [])


def test_a_store_ledger_round_trips_without_its_touched_set():
    ledger = _store(A=(10, 5))
    ledger.apply(_sale(1, 1))
    restored = StoreBatchLedger.loads(ledger.dumps())
    assert _quantities(restored) == _quantities(ledger) and restored.touched == set()


def _wh(event_type, qty, code="W1", n=1, expiry=date(2026, 3, 1)):
    return WarehouseReading(f"w{n}", event_type, T0 + timedelta(seconds=n), qty, code, RECEIVED, expiry)


@pytest.mark.parametrize(
    ("events", "stock", "alerts"),
    [
        ([_wh("wh_in", 48)], 58, []),  # a delivery adds
        ([_wh("wh_out", 4)], 6, []),  # a pick takes
        ([_wh("wh_out", 14)], 0, ["stock_discrepancy"]),  # more than there is: zero, and reported
    ],
)
def test_warehouse_stock(events, stock, alerts):
    ledger = WarehouseLedger("S1", 10, T0)
    raised = [a.event_type for e in events for a in ledger.apply(e)]
    assert (ledger.wh_current_stock, raised) == (stock, alerts)
    assert WarehouseLedger.loads(ledger.dumps()) == ledger
    # the state counts the units suppliers delivered, so a reader knows which deliveries it includes
    assert ledger.state().received_units == sum(e.qty for e in events if e.event_type == "wh_in")


def test_warehouse_batches_follow_deliveries_and_picks():
    ledger = WarehouseBatchLedger("S1", Batches(), T0)
    ledger.apply(_wh("wh_in", 48, n=1))
    ledger.apply(_wh("wh_out", 20, n=2))
    (row,) = ledger.changed()
    assert (row.batch_quantity_warehouse, row.batch_quantity_store, row.expiry_date) == (
        28,
        20,
        date(2026, 3, 1),
    )


def test_a_pick_from_a_batch_that_holds_too_little_is_partial_and_reported():
    ledger = WarehouseBatchLedger("S1", Batches(), T0)
    ledger.apply(_wh("wh_in", 5, n=1))
    (alert,) = ledger.apply(_wh("wh_out", 8, n=2))
    assert (alert.event_type, alert.suggested_qty) == ("batch_shortfall", 3)
    assert ledger.batches.by_code["W1"].quantity == 0 and ledger.sent_to_store == {"W1": 5}
    (missing,) = ledger.apply(_wh("wh_out", 1, code="NOPE", n=3))
    assert missing.batch_code == "NOPE" and [r.batch_code for r in ledger.changed()] == ["W1"]
