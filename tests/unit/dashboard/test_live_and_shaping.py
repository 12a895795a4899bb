"""The pure readings behind the live KPIs and the pages' reshaping."""

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from dashboard.live import in_store, weighed
from dashboard.shaping import expected_per_slot, metrics_table
from kafka_components.kafka_producer_foot_traffic.arrival_model import AVERAGE_DAY_WEIGHT, SLOT_WEIGHTS
from smart_shelf.spark import query_progress

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _session(entry_min: int, exit_min: int) -> dict:
    return {
        "entry_time": (NOW + timedelta(minutes=entry_min)).isoformat(),
        "exit_time": (NOW + timedelta(minutes=exit_min)).isoformat(),
    }


def test_a_customer_is_in_the_store_from_entry_until_exit():
    sessions = [_session(-30, 10), _session(-30, 0), _session(0, 30), _session(5, 30), _session(-80, -5)]
    # in: entered before and leaves later; entering exactly now counts, leaving exactly now does not
    assert in_store(sessions, NOW) == 2


def test_weighed_shelves_are_the_readings_of_the_type_within_the_window():
    def event(minutes_ago, kind="weight_change", item="S1", shelf=None):
        e = {
            "event_type": kind,
            "item_id": item,
            "timestamp": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        }
        return e | ({"shelf_id": shelf} if shelf else {})

    events = [
        event(1),
        event(1, kind="pickup", item="S2"),
        event(10, item="S3"),
        event(0, item="x", shelf="S4"),
    ]
    assert weighed(events, NOW - timedelta(minutes=2), NOW, "weight_change") == {"S1", "S4"}


def test_expected_traffic_per_slot_is_the_arrival_models_mean_for_the_weekday():
    thursday = date(2026, 1, 1)
    expected = expected_per_slot(thursday, 1000)
    weights = SLOT_WEIGHTS["Thursday"]
    assert list(expected["customers"]) == [1000 * w / AVERAGE_DAY_WEIGHT for w in weights]
    assert expected["time_slot"].iloc[0] == "00:00–06:59"


def test_registry_metrics_flat_or_by_scorer_become_one_row_per_scorer():
    models = pd.DataFrame(
        {
            "model_name": ["demand", "demand"],
            "model_version": ["2", "1"],
            "metrics_json": [{"model": {"wape": 0.3}, "ma7": {"wape": 0.4}}, '{"wape": 0.5}'],
        }
    )
    table = metrics_table(models)
    assert table[["version", "scored", "wape"]].values.tolist() == [
        ["2", "model", 0.3],
        ["2", "ma7", 0.4],
        ["1", "model", 0.5],
    ]


def test_a_query_progress_summary_keeps_what_the_pipeline_page_shows():
    progress = {
        "batchId": 7,
        "timestamp": "2026-11-30T06:00:00.000Z",
        "numInputRows": 120,
        "processedRowsPerSecond": 33.333,
        "durationMs": {"triggerExecution": 2500},
    }
    assert query_progress.summary("shelf-aggregator-state", progress) == {
        "query": "shelf-aggregator-state",
        "batch_id": 7,
        "timestamp": "2026-11-30T06:00:00.000Z",
        "input_rows": 120,
        "rows_per_second": 33.3,
        "batch_seconds": 2.5,
    }
