"""make history refuses what it cannot do, at once, naming the setting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smart_shelf.contracts import ShelfEvent
from smart_shelf.history.__main__ import HistoryError, check_days, check_start, main
from smart_shelf.history.record import Lake
from tests.unit.history.store import START


def _event(at) -> ShelfEvent:
    return ShelfEvent(
        event_id="e1",
        event_type="pickup",
        customer_id="c1",
        item_id="A",
        quantity=1,
        weight=1.0,
        timestamp=at,
    )


@pytest.mark.parametrize("days", [0, -3])
def test_days_below_one_is_refused(tmp_path, days):
    with pytest.raises(HistoryError, match="DAYS must be at least 1"):
        check_days(days)


def test_a_start_in_the_past_of_the_lake_is_refused_and_a_later_one_accepted(tmp_path):
    lake = Lake(tmp_path)
    check_start(START, lake)  # an empty lake
    lake.append_events({"shelf_events": [_event(START + timedelta(days=2))]})
    with pytest.raises(HistoryError, match="SIM_START 2026-01-01T07:00:00\\+00:00 is in the past"):
        check_start(START, lake)
    check_start(START + timedelta(days=2, seconds=1), lake)


def test_the_command_exits_with_the_message_and_status_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DELTA_ROOT", str(tmp_path))
    assert main(["--days", "0"]) == 2
    assert "make history: DAYS must be at least 1 (got 0)" in capsys.readouterr().err


def test_a_history_as_long_as_the_simulation_is_refused(tmp_path):
    with pytest.raises(HistoryError, match="DAYS \\(30\\) must leave some of SIM_DAYS \\(30\\)"):
        check_days(30, sim_days=30)


def test_a_start_before_the_end_of_the_last_history_is_refused(tmp_path):
    with pytest.raises(HistoryError, match="is before the end of the last history"):
        check_start(START, Lake(tmp_path), handed_at=START + timedelta(days=1))
    check_start(START + timedelta(days=1), Lake(tmp_path), handed_at=START + timedelta(days=1))


def test_the_day_writer_writes_in_order_and_hands_a_failure_back():
    from smart_shelf.history.__main__ import DayWriter

    written = []
    writer = DayWriter(written.append)
    for day in range(5):
        writer.put({"day": day})
    writer.close()
    assert written == [{"day": d} for d in range(5)]

    def refuse(_events):
        raise OSError("disk full")

    failing = DayWriter(refuse)
    failing.put({"day": 0})
    with pytest.raises(RuntimeError, match="writing the history failed: disk full"):
        for day in range(1, 50):
            failing.put({"day": day})
        failing.close()
