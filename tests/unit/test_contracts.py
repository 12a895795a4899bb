"""The contracts module: topic catalogue, payload validation and stable identifiers."""

import json

import pytest

from smart_shelf.contracts import (
    APPEND_ONLY,
    COMPACTED,
    DEAD_LETTER_TOPICS,
    TOPICS,
    FootTrafficSession,
    InvalidEvent,
    PosTransaction,
    ShelfEvent,
    key_of,
    parse_event,
    stable_id,
    to_json,
)

SESSION = {
    "event_id": "e-1",
    "event_type": "foot_traffic",
    "customer_id": "c-1",
    "entry_time": "2026-01-01T09:32:10+00:00",
    "exit_time": "2026-01-01T10:02:10+00:00",
    "trip_duration_minutes": 30,
    "weekday": "Thursday",
    "time_slot": "07:00–09:59",
}


def test_topic_catalogue_matches_the_specification():
    assert set(APPEND_ONLY) == {
        "foot_traffic",
        "foot_traffic_realistic",
        "shelf_events",
        "pos_transactions",
        "wh_events",
        "alerts",
        "removal_orders",
    }
    assert set(COMPACTED) == {
        "shelf_state",
        "wh_state",
        "shelf_batch_state",
        "wh_batch_state",
        "daily_discounts",
        "shelf_restock_plan",
        "wh_supplier_plan",
        "shelf_policies",
        "wh_policies",
        "batch_catalog",
        "shelf_profiles",
    }
    assert set(DEAD_LETTER_TOPICS) == {f"dlq.{name}" for name in APPEND_ONLY}


def test_every_event_stream_carries_an_event_id():
    # Dedup downstream relies on it; state topics are keyed instead.
    for name in APPEND_ONLY:
        model = TOPICS[name].model
        assert "event_id" in model.model_fields or "alert_id" in model.model_fields, name


@pytest.mark.parametrize(
    "payload, fields, expected",
    [
        ({"shelf_id": "A1"}, ("shelf_id",), "A1"),  # single key field
        ({"shelf_id": "A1", "batch_code": "B7"}, ("shelf_id", "batch_code"), "A1::B7"),  # composite
        ({"shelf_id": "A1"}, ("shelf_id", "batch_code"), None),  # a missing part gives no key
        ({"shelf_id": ""}, ("shelf_id",), None),  # an empty part is missing too
    ],
)
def test_key_of_joins_key_fields(payload, fields, expected):
    assert key_of(payload, fields) == expected


def test_stable_id_is_deterministic_and_distinguishes_parts():
    assert stable_id("foot_traffic", 42, "2026-01-01", 7) == stable_id("foot_traffic", 42, "2026-01-01", 7)
    assert stable_id("foot_traffic", 42, "2026-01-01", 7) != stable_id("foot_traffic", 42, "2026-01-01", 8)


def test_valid_session_round_trips_through_json():
    event = parse_event(FootTrafficSession, json.dumps(SESSION))
    again = parse_event(FootTrafficSession, to_json(event))
    assert again == event
    assert json.loads(to_json(event))["entry_time"] == "2026-01-01T09:32:10Z"


@pytest.mark.parametrize(
    "raw, reason_part",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({**SESSION, "entry_time": "2026-01-01T09:32:10"}), "entry_time"),  # no offset
        (json.dumps({k: v for k, v in SESSION.items() if k != "customer_id"}), "customer_id"),
        (json.dumps({**SESSION, "event_type": "pickup"}), "event_type"),
        (json.dumps({**SESSION, "exit_time": "2026-01-01T09:00:00+00:00"}), "exit_time is before"),
        (json.dumps({**SESSION, "surprise": 1}), "surprise"),  # unknown fields are refused
    ],
)
def test_invalid_sessions_are_refused_with_a_reason(raw, reason_part):
    with pytest.raises(InvalidEvent) as caught:
        parse_event(FootTrafficSession, raw)
    assert reason_part in caught.value.reason


@pytest.mark.parametrize(
    "payload, valid",
    [
        ({"event_type": "pickup", "quantity": 2, "weight": 0.5}, True),
        ({"event_type": "pickup", "weight": 0.5}, False),  # a pickup needs a quantity
        ({"event_type": "weight_change", "delta_weight": -1.0}, True),
        ({"event_type": "weight_change"}, False),  # a weight_change needs its delta
        ({"event_type": "pickup", "quantity": 0, "weight": 0.5}, False),  # at least one unit
    ],
)
def test_shelf_event_requires_the_fields_of_its_type(payload, valid):
    base = {"event_id": "e", "customer_id": "c", "item_id": "A1", "timestamp": "2026-01-01T10:00:00+00:00"}
    raw = json.dumps({**base, **payload})
    if valid:
        assert parse_event(ShelfEvent, raw).event_type == payload["event_type"]
    else:
        with pytest.raises(InvalidEvent):
            parse_event(ShelfEvent, raw)


def test_pos_transaction_validates_its_items():
    raw = {
        "event_id": "e",
        "event_type": "pos_transaction",
        "transaction_id": "t",
        "customer_id": "c",
        "timestamp": "2026-01-01T10:00:00+00:00",
        "items": [{"item_id": "A1", "quantity": 2, "unit_price": 3.5, "discount": 0.1, "total_price": 6.3}],
    }
    assert parse_event(PosTransaction, json.dumps(raw)).items[0].total_price == 6.3
    raw["items"][0]["discount"] = 1.5  # a discount above 100 % is impossible
    with pytest.raises(InvalidEvent, match="items.0.discount"):
        parse_event(PosTransaction, json.dumps(raw))


def test_the_one_open_alert_index_covers_exactly_the_condition_alerts():
    import re

    from smart_shelf.contracts import CONDITION_ALERTS
    from smart_shelf.paths import SQL_DIR

    ddl = (SQL_DIR / "03_state_ops_analytics.sql").read_text()
    listed = re.search(r"alerts_one_open_condition[^;]*event_type IN \(([^)]*)\)", ddl).group(1)
    assert tuple(v.strip(" '") for v in listed.split(",")) == CONDITION_ALERTS


def test_stable_id_is_uuid5_of_the_joined_parts():
    import uuid

    from smart_shelf.contracts import ID_NAMESPACE, stable_id

    for n in range(5000):
        parts = ("shelf_event", f"c-{n}", n, "pickup", "é" * (n % 3))
        assert stable_id(*parts) == str(uuid.uuid5(ID_NAMESPACE, ":".join(str(p) for p in parts)))
