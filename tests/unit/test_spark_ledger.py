"""A ledger query's micro-batch on the driver: order, state across batches, output rows."""

from datetime import UTC, datetime
from functools import partial

import pandas as pd

from smart_shelf.contracts import Alert
from smart_shelf.spark.ledger import (
    LedgerBatches,
    LedgerRules,
    apply_batch,
    close_running,
    first_sightings,
    open_copy,
    track_running,
)
from spark_apps.shelf_aggregator.job import reading
from spark_apps.shelf_aggregator.rules import ShelfLedger

T0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
US = int(T0.timestamp() * 1_000_000)
OPENING = {"S1": ShelfLedger("S1", 3, 0.5, T0), "S2": ShelfLedger("S2", 5, 0.5, T0)}
RULES = LedgerRules(partial(open_copy, OPENING), ShelfLedger.loads, reading)
COLUMNS = [
    "shelf_id",
    "event_id",
    "event_type",
    "customer_id",
    "quantity",
    "delta_weight",
    "event_us",
    "partition",
    "offset",
]


def _rows(*events):
    return pd.DataFrame([dict(zip(COLUMNS, e, strict=True)) for e in events])


def test_readings_apply_in_event_time_and_the_next_batch_starts_from_the_saved_ledger():
    # the putback happened first but comes later in the batch: applied first, so the pickup of 4 fits
    batch = _rows(
        ("S1", "e2", "pickup", "c", 4, None, US + 2, 0, 7),
        ("S1", "e1", "putback", "c", 1, None, US + 1, 1, 3),
    )
    documents, states, emitted = apply_batch(RULES, {}, batch, "shelf_id")
    assert [s.current_stock for s in states] == [0] and emitted == []
    assert ShelfLedger.loads(documents["S1"]).current_stock == 0
    # the next micro-batch starts from the saved document, not from the opening stock
    _, states, _ = apply_batch(
        RULES, documents, _rows(("S1", "e3", "putback", "c", 2, None, US + 3, 0, 8)), "shelf_id"
    )
    assert [s.current_stock for s in states] == [2]


def test_equal_event_times_apply_in_kafka_order_and_each_key_only_its_own_readings():
    batch = _rows(
        ("S2", "e2", "pickup", "c", 5, None, US, 0, 2),
        ("S1", "e9", "pickup", "c", 1, None, US, 2, 1),
        ("S2", "e1", "putback", "c", 1, None, US, 0, 1),
    )
    documents, states, _ = apply_batch(RULES, {}, batch, "shelf_id")
    assert {s.shelf_id: s.current_stock for s in states} == {"S1": 2, "S2": 1}
    assert set(documents) == {"S1", "S2"}
    assert OPENING["S2"].current_stock == 5  # the opening ledgers are copied, never moved


def test_alerts_come_out_beside_the_state_row():
    _, states, emitted = apply_batch(
        RULES, {}, _rows(("S1", "e1", "weight_change", "c", None, 9.0, US, 0, 1)), "shelf_id"
    )
    assert len(states) == 1
    assert [type(e) for e in emitted] == [Alert] and emitted[0].event_type == "sensor_mismatch"


def test_a_key_the_store_does_not_have_yields_nothing_and_keeps_no_document():
    documents, states, emitted = apply_batch(
        RULES,
        {},
        _rows(
            ("NOPE", "e1", "pickup", "c", 1, None, US, 0, 1), ("NOPE", "e2", "pickup", "c", 1, None, US, 0, 2)
        ),
        "shelf_id",
    )
    assert (documents, states, emitted) == ({}, [], [])


def _records(*rows):
    """(reading, dedupe_id, partition, offset, kafka_us) -> a frame of what first_sightings reads."""
    columns = ["reading", "dedupe_id", "partition", "offset", "kafka_us"]
    return pd.DataFrame(list(rows), columns=columns)


def test_a_record_applied_before_or_a_copy_in_the_same_batch_is_dropped():
    batch = _records(
        ("old", "t/e0", 0, 1, 100),  # applied by an earlier batch
        ("copy", "t/e1", 1, 9, 300),  # a re-sent copy of the record below
        ("line 1", "t/e1", 0, 5, 200),  # one record, two readings (a checkout's lines): both kept
        ("line 2", "t/e1", 0, 5, 200),
        ("policy", None, 0, 6, 250),  # no id: always applied
        ("new", "t/e2", 1, 2, 260),
    )
    kept, sighted = first_sightings(batch, {"t/e0": 100})
    assert sorted(kept["reading"]) == ["line 1", "line 2", "new", "policy"]
    assert sighted == {"t/e1": 200, "t/e2": 260}


def test_the_same_batch_gives_the_same_readings_whatever_its_row_order():
    rows = [("a", "t/e1", 1, 9, 300), ("b", "t/e1", 0, 5, 200), ("c", "t/e3", 0, 7, 220)]
    first, _ = first_sightings(_records(*rows), {})
    again, _ = first_sightings(_records(*reversed(rows)), {})
    assert sorted(first["reading"]) == sorted(again["reading"]) == ["b", "c"]


def test_an_empty_batch_sights_nothing():
    kept, sighted = first_sightings(_records(), {"t/e0": 1})
    assert kept.empty and sighted == {}


class _Producer:
    closed = False

    def close(self, timeout=None):
        self.closed = True


def _batches(job: str, query: str, producer) -> LedgerBatches:
    sink = type("Sink", (), {"job": job, "query": query})()
    return LedgerBatches(
        rules=None, key_column="shelf_id", sink=sink, settings=None, store=None, producer=producer
    )


def test_a_ledger_started_again_closes_the_producer_of_the_one_it_replaces_and_no_other():
    first, other, again = _Producer(), _Producer(), _Producer()
    track_running(_batches("job-a", "ledger", first))
    track_running(_batches("job-b", "ledger", other))
    track_running(_batches("job-a", "ledger", again))
    assert (first.closed, other.closed, again.closed) == (True, False, False)


def test_closing_the_running_ledgers_closes_each_producer_once_and_forgets_them():
    producers = [_Producer(), _Producer()]
    for n, producer in enumerate(producers):
        track_running(_batches(f"job-{n}", "ledger", producer))
    close_running()
    close_running()  # nothing left: a second call closes nothing
    assert [p.closed for p in producers] == [True, True]
