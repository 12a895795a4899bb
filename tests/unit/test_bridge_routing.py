"""The bridge's pure routing: stream map parsing, validation, keys and dead letters."""

import json
from datetime import UTC, datetime

import pytest

from kafka_components.redis_kafka_bridge.routing import (
    REFUSED_RAW_CHARS,
    parse_stream_topic_map,
    refused_by_kafka,
    route_entry,
    routes_for,
)
from smart_shelf.settings import Settings

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
PICKUP = {
    "event_id": "e-1",
    "event_type": "pickup",
    "customer_id": "c-9",
    "item_id": "A12",
    "quantity": 2,
    "weight": 0.55,
    "timestamp": "2026-01-01T10:01:02+00:00",
}


def test_default_map_is_the_specification_mapping():
    assert parse_stream_topic_map(Settings(_env_file=None).stream_topic_map) == {
        "foot_traffic": "foot_traffic",
        "foot_traffic:realistic": "foot_traffic_realistic",
        "shelf_events": "shelf_events",
        "pos_transactions": "pos_transactions",
    }


@pytest.mark.parametrize("text", ["", "shelf_events", "=shelf_events", "shelf_events="])
def test_malformed_maps_are_refused(text):
    with pytest.raises(ValueError):
        parse_stream_topic_map(text)


def test_unknown_topics_are_refused():
    with pytest.raises(ValueError, match="no contract"):
        routes_for({"s": "not_a_topic"})


def test_valid_entry_goes_to_its_topic_unchanged_with_its_key():
    route = routes_for({"shelf_events": "shelf_events"})["shelf_events"]
    raw = json.dumps(PICKUP)
    out = route_entry(route, "1-0", {"data": raw, "key": "c-9"}, NOW)
    assert (out.topic, out.key, out.value, out.dead_letter) == ("shelf_events", "c-9", raw, False)


def test_missing_key_field_falls_back_to_the_topic_key():
    route = routes_for({"shelf_events": "shelf_events"})["shelf_events"]
    out = route_entry(route, "1-0", {"data": json.dumps(PICKUP), "key": ""}, NOW)
    assert out.key == "c-9"  # shelf_events are keyed by customer_id


@pytest.mark.parametrize(
    "fields, reason_part",
    [
        ({"data": "{oops"}, "not valid JSON"),
        ({"data": json.dumps({**PICKUP, "quantity": "two"})}, "quantity"),
        ({"payload": "x"}, "no 'data' field"),
    ],
)
def test_invalid_entries_become_dead_letters_with_reason_and_raw(fields, reason_part):
    route = routes_for({"shelf_events": "shelf_events"})["shelf_events"]
    out = route_entry(route, "7-0", fields, NOW)
    letter = json.loads(out.value)
    assert out.dead_letter and out.topic == "dlq.shelf_events"
    assert reason_part in letter["reason"]
    assert letter["source"] == "shelf_events" and letter["failed_at"] == "2026-01-01T12:00:00Z"
    assert letter["raw"] == fields.get("data", json.dumps(fields))


def test_a_record_kafka_refuses_for_good_becomes_a_short_dead_letter_with_the_reason():
    route = routes_for({"shelf_events": "shelf_events"})["shelf_events"]
    huge = json.dumps({**PICKUP, "customer_id": "c" * 2_000_000})
    out = route_entry(route, "1-0", {"data": huge, "key": "c-9"}, NOW)
    letter_out = refused_by_kafka(route, out, "MessageSizeTooLargeError: too large", NOW)
    assert (letter_out.topic, letter_out.key, letter_out.entry_id, letter_out.dead_letter) == (
        "dlq.shelf_events", "c-9", "1-0", True,
    )  # fmt: skip
    letter = json.loads(letter_out.value)
    assert letter["raw"] == huge[:REFUSED_RAW_CHARS]
    assert letter["reason"].startswith("Kafka refused the record (MessageSizeTooLargeError: too large)")
    assert f"of its {len(huge):,} characters" in letter["reason"]


def test_a_refused_dead_letter_is_cut_again_and_a_short_one_cannot_be():
    route = routes_for({"shelf_events": "shelf_events"})["shelf_events"]
    broken = "{" + "x" * 200_000
    out = route_entry(route, "2-0", {"data": broken}, NOW)
    assert out.dead_letter
    cut = refused_by_kafka(route, out, "MessageSizeTooLargeError: too large", NOW)
    letter = json.loads(cut.value)
    assert letter["raw"] == broken[:REFUSED_RAW_CHARS]
    assert "not valid JSON" in letter["reason"] and "then Kafka refused the record" in letter["reason"]
    assert refused_by_kafka(route, cut, "TopicAuthorizationFailedError", NOW) is None
