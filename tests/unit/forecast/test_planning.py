"""Orders at a cutoff from a forecaster: the days covered, stale panels refused, quantities by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smart_shelf.forecast.evaluate import covered_steps
from smart_shelf.forecast.ordering import poisson_quantile
from smart_shelf.forecast.planning import Position, StaleFeatures, propose, supplier_plan
from tests.unit.forecast.test_forecast import CALENDAR, FIRST, _panel


def _constant(value: float):
    return lambda panel, rows: np.full(len(rows), value)


def _cutoff_after(days: int) -> datetime:
    """The cutoff on the day after a panel of `days` closed days (the panel starts on a Thursday)."""
    return datetime.combine(FIRST + timedelta(days=days), CALENDAR.cutoff_at, UTC)


def _position(**kw) -> Position:
    fields = dict(shelf=2, warehouse=1, on_order=0, warehouse_capacity=100, batch_size=5, perishable=False)
    return Position(**{**fields, **kw})


def test_a_cutoff_covers_the_days_to_the_delivery_after_next():
    sunday, thursday = datetime(2026, 1, 4, 12, tzinfo=UTC), datetime(2026, 1, 8, 12, tzinfo=UTC)
    assert covered_steps(CALENDAR, sunday) == (1, 2, 3)  # Monday's delivery, then Wednesday's
    assert covered_steps(CALENDAR, thursday) == (1, 2, 3, 4)  # Friday's, then Monday's


def test_orders_bring_the_position_up_to_the_service_level_in_whole_batches():
    panel = _panel(days=45)  # day 45 is a Sunday: a cutoff
    cutoff = _cutoff_after(45)
    assert cutoff.strftime("%a") == "Sun"
    positions = {"A": _position(), "B": _position(shelf=30), "C": _position(warehouse=97)}
    proposals = {p.shelf_id: p for p in propose(panel, cutoff, CALENDAR, _constant(2.0), positions, 0.95)}
    level = poisson_quantile(6.0, 0.95)  # three covered days of 2 a day
    assert level == 10
    assert proposals["A"].daily_means == (2.0, 2.0, 2.0)
    assert proposals["A"].quantity == 10  # 10 - 3 on hand = 7 -> two batches of 5
    assert proposals["B"].quantity == 0  # 31 on hand already covers it
    assert proposals["C"].quantity == 0  # room for 3 units: not one batch
    assert proposals["A"].features_date == cutoff.date().isoformat()


def test_a_perishable_order_stops_at_what_sells_before_the_shortest_shelf_life():
    panel = _panel(days=42)  # day 42 is a Thursday: four days to cover
    cutoff = _cutoff_after(42)
    empty = {"shelf": 0, "warehouse": 0}
    keeps = propose(panel, cutoff, CALENDAR, _constant(8.0), {"A": _position(**empty)})[0]
    perishes = propose(panel, cutoff, CALENDAR, _constant(8.0), {"A": _position(**empty, perishable=True)})[0]
    assert len(keeps.daily_means) == 4 and poisson_quantile(32.0, 0.95) == 42
    assert keeps.quantity == 45  # 42 wanted -> nine batches of 5
    assert perishes.quantity == 40  # 5 days x 8 a day sell 40 before the shortest life ends: eight


def test_a_panel_that_does_not_reach_the_day_before_the_cutoff_is_refused():
    panel = _panel(days=44)  # the Saturday is missing
    with pytest.raises(StaleFeatures, match="ends on 2026-02-13.*needs it to end on 2026-02-14"):
        propose(panel, _cutoff_after(45), CALENDAR, _constant(1.0), {"A": _position()})


def test_a_proposal_becomes_one_pending_plan_per_product_and_cutoff():
    panel = _panel(days=45)
    cutoff = _cutoff_after(45)
    proposal = propose(panel, cutoff, CALENDAR, _constant(2.0), {"A": _position()})[0]
    made_at = cutoff - timedelta(minutes=5)
    plan = supplier_plan(proposal, cutoff, 5, made_at)
    again = supplier_plan(proposal, cutoff, 5, made_at + timedelta(minutes=1))
    assert plan.status == "pending" and plan.suggested_qty == 10 and plan.created_at == made_at
    assert plan.supplier_plan_id == again.supplier_plan_id  # a run repeated proposes the same plan
    next_cutoff = supplier_plan(proposal, cutoff + timedelta(days=2), 5, made_at)
    assert next_cutoff.supplier_plan_id != plan.supplier_plan_id
