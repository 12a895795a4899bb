"""Parity of a streaming day and a history day: what timing explains, and what it cannot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smart_shelf.contracts import FootTrafficSession, PosItem, PosTransaction, ShelfEvent
from smart_shelf.history.parity import DayRecord, compare

START = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def _visit(customer: str) -> FootTrafficSession:
    return FootTrafficSession(
        event_id=f"v-{customer}",
        event_type="foot_traffic",
        customer_id=customer,
        entry_time=START,
        exit_time=_at(600),
        trip_duration_minutes=600,
        weekday="Thursday",
        time_slot="07:00-09:59",
    )


def _act(customer: str, minute: float, shelf: str, units: int = 1, kind: str = "pickup") -> ShelfEvent:
    return ShelfEvent(
        event_id=f"{customer}-{minute}-{kind}",
        event_type=kind,
        customer_id=customer,
        item_id=shelf,
        quantity=units,
        weight=100.0,
        timestamp=_at(minute),
    )


def _refill(shelf: str, minute: float) -> ShelfEvent:
    return ShelfEvent(
        event_id=f"refill-{shelf}-{minute}",
        event_type="putback",
        customer_id="restock_bot",
        item_id=shelf,
        shelf_id=shelf,
        quantity=5,
        weight=100.0,
        timestamp=_at(minute),
    )


def _paid(customer: str, items: dict[str, int]) -> PosTransaction:
    return PosTransaction(
        event_id=f"t-{customer}",
        event_type="pos_transaction",
        transaction_id=f"t-{customer}",
        customer_id=customer,
        timestamp=_at(700),
        items=[
            PosItem(item_id=s, quantity=q, unit_price=1.0, discount=0.0, total_price=float(q))
            for s, q in items.items()
        ],
    )


def _day(events, transactions, lost=None) -> DayRecord:
    customers = sorted({e.customer_id for e in events if not e.customer_id.endswith("_bot")})
    return DayRecord([_visit(c) for c in customers], events, transactions, lost or {}, [], [])


BOTH = [_act("a", 90, "S1"), _act("a", 95, "S2"), _act("b", 100, "S3")]
PAID = [_paid("a", {"S1": 1, "S2": 1}), _paid("b", {"S3": 1})]


def test_the_same_day_in_both_stores_is_exact():
    report = compare(_day(BOTH, PAID), _day(BOTH, PAID), START)
    assert report.exact
    assert (report.customers, report.same_customers, report.divergences) == (2, 2, [])
    assert report.undisturbed_shelves == 3
    assert report.totals["units sold"] == (3, 3)


def test_differences_after_a_refill_and_their_knock_on_are_explained_and_the_rest_are_not():
    # streaming: S1's refill came later, so customer c found it short (1 unit instead of 2) and
    # took one unit from S4 instead; d then found S4 short. e differs at S5, which nothing reached.
    streaming = [
        _refill("S1", 200),
        _act("c", 150, "S1", 1),
        _act("c", 160, "S4", 1),
        _act("d", 170, "S4", 1),
        _act("e", 180, "S5", 1),
        _act("f", 190, "S6", 2),
    ]
    history = [
        _refill("S1", 120),
        _act("c", 150, "S1", 2),
        _act("c", 165, "S2", 1),
        _act("d", 170, "S4", 2),
        _act("e", 180, "S5", 3),
        _act("f", 190, "S6", 2),
    ]
    report = compare(_day(streaming, []), _day(history, []), START)
    causes = {d.customer_id: d.cause for d in report.divergences}
    assert causes == {"c": "refill", "d": "cascade", "e": None}
    assert [d.customer_id for d in report.unexplained] == ["e"]
    assert not report.exact
    assert report.same_customers == 1  # f
    # S6 was reached by no difference: it must agree, and does
    assert report.undisturbed_mismatches == []


def test_a_difference_in_the_discounts_first_hour_is_put_down_to_them():
    report = compare(_day([_act("a", 30, "S1", 1)], []), _day([_act("a", 30, "S2", 1)], []), START)
    assert [d.cause for d in report.divergences] == ["discounts"]
    assert report.exact


def test_a_shelf_no_difference_reached_must_sell_and_lose_the_same():
    report = compare(
        _day(BOTH, [_paid("a", {"S1": 1, "S2": 1})], lost={"S3": 2}),
        _day(BOTH, PAID, lost={"S3": 1}),
        START,
    )
    assert sorted(report.undisturbed_mismatches) == [("S3", "lost", 2, 1), ("S3", "sold", 0, 1)]
    assert not report.exact


def test_customers_only_in_one_store_are_named():
    report = compare(_day(BOTH, PAID), _day(BOTH[:2], PAID[:1]), START)
    assert (report.only_streaming, report.only_history) == (["b"], [])
    assert not report.exact


def test_a_record_survives_its_json():
    day = _day(BOTH + [_refill("S1", 10)], PAID, lost={"S2": 3})
    again = DayRecord.from_json(day.to_json())
    assert again == day
