"""The state function that wires a ledger into applyInPandasWithState: order, state, output rows."""

import json
from datetime import UTC, datetime
from functools import partial

import pandas as pd

from smart_shelf.spark.ledger import LedgerRules, open_copy, update_ledger
from spark_apps.shelf_aggregator.job import reading
from spark_apps.shelf_aggregator.rules import ShelfLedger

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
US = int(T0.timestamp() * 1_000_000)


class State:
    """What update_ledger uses of Spark's GroupState: exists, get, update."""

    def __init__(self, value=None):
        self.value = value

    @property
    def exists(self):
        return self.value is not None

    @property
    def get(self):
        return self.value

    def update(self, value):
        self.value = value


def _rows(*events):
    columns = [
        "event_id",
        "event_type",
        "customer_id",
        "quantity",
        "delta_weight",
        "event_us",
        "partition",
        "offset",
    ]
    return pd.DataFrame([dict(zip(columns, e, strict=True)) for e in events])


RULES = LedgerRules(partial(open_copy, {"S1": ShelfLedger("S1", 3, 0.5, T0)}), ShelfLedger.loads, reading)


def _run(key, frames, state):
    return pd.concat(list(update_ledger(RULES, (key,), iter(frames), state)), ignore_index=True)


def test_readings_apply_in_event_time_across_frames_and_the_state_is_kept():
    state = State()
    # the putback happened first but arrives in a later frame: applied first, so the pickup of 4 fits
    frames = [
        _rows(("e2", "pickup", "c", 4, None, US + 2, 0, 7)),
        _rows(("e1", "putback", "c", 1, None, US + 1, 1, 3)),
    ]
    out = _run("S1", frames, state)
    assert list(out.kind) == ["state"]
    assert json.loads(out.value[0])["current_stock"] == 0
    assert ShelfLedger.loads(state.get[0]).current_stock == 0
    # the next micro-batch starts from the stored ledger, not from the opening stock
    out = _run("S1", [_rows(("e3", "putback", "c", 2, None, US + 3, 0, 8))], state)
    assert json.loads(out.value[0])["current_stock"] == 2


def test_alerts_come_out_beside_the_state_row():
    out = _run("S1", [_rows(("e1", "weight_change", "c", None, 9.0, US, 0, 1))], State())
    assert sorted(out.kind) == ["alert", "state"]
    assert json.loads(out[out.kind == "alert"].value.iloc[0])["event_type"] == "sensor_mismatch"


def test_a_key_the_store_does_not_have_yields_nothing_and_keeps_no_state():
    state = State()
    assert (
        list(update_ledger(RULES, ("NOPE",), iter([_rows(("e1", "pickup", "c", 1, None, US, 0, 1))]), state))
        == []
    )
    assert not state.exists
