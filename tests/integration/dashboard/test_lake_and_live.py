"""The dashboard's Delta reads on small Delta tables (written here without a JVM, in the schemas the
Spark jobs write), and its stream reads against the real Redis."""

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import redis
from deltalake import write_deltalake

from dashboard import lake, live
from smart_shelf.contracts import STREAM_DATA_FIELD

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
TS = pa.timestamp("us", tz="UTC")


def _shelf_events(path, rows):
    schema = pa.schema(
        [("event_id", pa.string()), ("event_type", pa.string()), ("customer_id", pa.string()),
         ("item_id", pa.string()), ("timestamp", TS), ("quantity", pa.int64()), ("weight", pa.float64()),
         ("delta_weight", pa.float64()), ("shelf_id", pa.string()), ("batch_code", pa.string()),
         ("received_date", pa.date32()), ("expiry_date", pa.date32()), ("plan_id", pa.string())]
    )  # fmt: skip
    columns = {name: [] for name in schema.names}
    for n, (kind, item, minutes, qty) in enumerate(rows):
        values = {"event_id": f"e{n}", "event_type": kind, "customer_id": "c", "item_id": item,
                  "timestamp": T0 + timedelta(minutes=minutes), "quantity": qty,
                  "delta_weight": -1.0 if kind == "weight_change" else None}  # fmt: skip
        for name in schema.names:
            columns[name].append(values.get(name))
    write_deltalake(str(path), pa.table(columns, schema=schema), mode="append")


def test_one_shelfs_moves_and_events_in_a_window(tmp_path):
    path = tmp_path / "raw" / "shelf_events"
    _shelf_events(path, [("pickup", "S1", 0, 2), ("weight_change", "S1", 0, None), ("pickup", "S2", 1, 5)])
    _shelf_events(path, [("putback", "S1", 5, 1), ("removal", "S1", 30, 3), ("pickup", "S1", 90, 1)])
    moves = lake.shelf_unit_moves(path, "S1", T0 + timedelta(minutes=60))
    assert moves["units"].tolist() == [-2, 1, -3]
    events = lake.shelf_events(path, "S1", T0 + timedelta(minutes=1), T0 + timedelta(minutes=100))
    assert events["event_type"].tolist() == ["putback", "removal", "pickup"]


def test_a_table_not_created_yet_says_what_creates_it(tmp_path):
    with pytest.raises(lake.TableMissing, match="spark-init-delta"):
        lake.shelf_unit_moves(tmp_path / "raw" / "shelf_events", "S1", T0)


def test_sessions_of_a_day_and_quarantine_reasons(tmp_path):
    sessions = pa.table(
        {"event_id": ["a", "b", "c"], "event_type": ["foot_traffic"] * 3, "customer_id": ["1", "2", "3"],
         "entry_time": pa.array([T0, T0 + timedelta(hours=3), T0 + timedelta(days=1)], TS),
         "exit_time": pa.array([T0 + timedelta(minutes=20)] * 3, TS), "trip_duration_minutes": [20, 20, 20],
         "weekday": ["Thursday"] * 3, "time_slot": ["07:00–09:59", "10:00–13:59", "07:00–09:59"]}
    )  # fmt: skip
    write_deltalake(str(tmp_path / "raw" / "foot_traffic"), sessions)
    day = lake.sessions(
        tmp_path / "raw" / "foot_traffic", T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1)
    )
    assert sorted(day["customer_id"]) == ["1", "2"]

    refused = pa.table(
        {"source": ["shelf_events"] * 3, "reason": ["bad json", "bad json", "missing field"],
         "raw": ["x", "y", "z"], "key": pa.array([None] * 3, pa.string()), "failed_at": pa.array([T0] * 3, TS)}
    )  # fmt: skip
    write_deltalake(str(tmp_path / "quarantine" / "shelf_events"), refused)
    table = lake.quarantined(tmp_path, ["shelf_events", "pos_transactions"])
    assert table[["source", "reason", "records"]].values.tolist() == [
        ["shelf_events", "bad json", 2],
        ["shelf_events", "missing field", 1],
    ]


@pytest.fixture
def redis_client(stack, settings):
    client = redis.Redis(
        host=settings.redis_host, port=settings.redis_port, db=settings.redis_db, decode_responses=True
    )
    yield client
    client.close()


def test_stream_reads_walk_back_only_as_far_as_needed(redis_client, unique):
    stream = f"test:{unique}:foot_traffic"
    now = T0 + timedelta(hours=5)
    try:
        for minutes in range(0, 300, 1):  # a session entering every minute, staying 30 minutes
            entry = T0 + timedelta(minutes=minutes)
            payload = {
                "entry_time": entry.isoformat(),
                "exit_time": (entry + timedelta(minutes=30)).isoformat(),
            }
            redis_client.xadd(stream, {STREAM_DATA_FIELD: json.dumps(payload)})
        recent = list(live.newest_first(redis_client, stream, now - live.LONGEST_VISIT, "entry_time"))
        assert len(recent) == 75  # entries of the last 75 minutes, newest first, nothing older read
        assert recent[0]["entry_time"] == (T0 + timedelta(minutes=299)).isoformat()
        assert live.in_store(recent, now) == 29  # entered 13:31..13:59; 13:30 leaves at 14:00 sharp
    finally:
        redis_client.delete(stream)


def test_supplier_orders_by_cutoff_and_plans_per_day(tmp_path):
    cutoff = T0.replace(hour=12)
    orders = pa.table(
        {"order_id": ["o1", "o2", "o3"], "supplier_plan_id": ["p1", "p2", "p3"], "shelf_id": ["A", "B", "B"],
         "ordered_qty": pa.array([24, 12, 6], pa.int64()), "cutoff_ts": pa.array([cutoff] * 3, TS),
         "delivery_date": pa.array([T0.date() + timedelta(days=1)] * 3, pa.date32()),
         "status": ["ordered", "ordered", "delivered"], "created_at": pa.array([cutoff] * 3, TS),
         "updated_at": pa.array([cutoff] * 3, TS)}
    )  # fmt: skip
    write_deltalake(str(tmp_path / "orders"), orders)
    by_cutoff = lake.orders_by_cutoff(tmp_path / "orders").set_index("status")
    assert by_cutoff[["orders", "units"]].to_dict("index") == {
        "delivered": {"orders": 1, "units": 6},
        "ordered": {"orders": 2, "units": 36},
    }
    plans = pa.table(
        {"supplier_plan_id": ["p1", "p2", "p3"], "shelf_id": ["A", "B", "C"],
         "suggested_qty": pa.array([24, 12, 6], pa.int64()), "standard_batch_size": pa.array([12, 6, 6], pa.int64()),
         "status": ["issued", "issued", "pending"],
         "created_at": pa.array([T0, T0, T0 + timedelta(days=1)], TS), "updated_at": pa.array([T0] * 3, TS),
         "order_id": pa.array([None] * 3, pa.string()), "received_qty": pa.array([None] * 3, pa.int64())}
    )  # fmt: skip
    write_deltalake(str(tmp_path / "plans"), plans)
    per_day = lake.supplier_plans_per_day(tmp_path / "plans")
    assert per_day[["status", "plans", "units"]].values.tolist() == [["issued", 2, 36], ["pending", 1, 6]]
