"""shelf-aggregator rules on tiny inline DataFrames, compared exactly."""

from datetime import UTC, datetime

from pyspark.testing import assertDataFrameEqual

from smart_shelf.contracts import ShelfEvent, ShelfState
from smart_shelf.spark_schemas import struct_type
from spark_apps.shelf_aggregator.transforms import apply_movements, stock_movements, unknown_shelves

T0 = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 1, 10, 5, tzinfo=UTC)


def _events(spark, rows):
    # (event_id, event_type, customer_id, item_id, timestamp, quantity, weight, delta_weight, shelf_id, batch_code)
    return spark.createDataFrame(rows, struct_type(ShelfEvent))


def _state(spark, rows):
    return spark.createDataFrame(rows, struct_type(ShelfState))


def test_movements_net_pickups_and_putbacks_and_ignore_weight_changes(spark):
    events = _events(
        spark,
        [
            ("e1", "pickup", "c1", "A", T1, 2, 500.0, None, None, None),
            ("e2", "weight_change", "c1", "A", T1, None, None, -1000.0, None, None),  # counts nothing
            ("e3", "putback", "c1", "A", T2, 1, 500.0, None, None, None),
            ("e4", "pickup", "c2", "B", T1, 3, 100.0, None, None, None),
            ("e5", "putback", "restock_bot", "B", T2, 10, 100.0, None, "B", "SUP-1"),  # a refill
        ],
    )
    expected = spark.createDataFrame(
        [("A", -1, T2), ("B", 7, T2)], "shelf_id string, delta_qty long, last_event_ts timestamp"
    )
    assertDataFrameEqual(stock_movements(events), expected)


def test_apply_movements_updates_stock_weight_and_time_and_never_goes_negative(spark):
    state = _state(spark, [("A", 5, 500.0, 2500.0, T0), ("B", 1, 100.0, 100.0, T0), ("C", 9, 10.0, 90.0, T0)])
    movements = spark.createDataFrame(
        [("A", -2, T1), ("B", -3, T2)], "shelf_id string, delta_qty long, last_event_ts timestamp"
    )
    expected = spark.createDataFrame(
        [("A", 3, 500.0, 1500.0, T1, 0), ("B", 0, 100.0, 0.0, T2, 2)],  # B: 2 units more than it had
        "shelf_id string, current_stock long, item_weight double, shelf_weight double, "
        "last_update_ts timestamp, shortfall long",
    )
    assertDataFrameEqual(apply_movements(state, movements), expected)  # C did not move: not in the output


def test_events_of_unknown_shelves_are_singled_out(spark):
    state = _state(spark, [("A", 5, 500.0, 2500.0, T0)])
    events = _events(
        spark,
        [
            ("e1", "pickup", "c1", "A", T1, 1, 500.0, None, None, None),
            ("e2", "pickup", "c1", "ZZZ", T1, 1, 500.0, None, None, None),
        ],
    )
    assert [r.event_id for r in unknown_shelves(events, state).collect()] == ["e2"]
