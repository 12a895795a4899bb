"""The bridge against real Redis and Kafka: forward, dead-letter, ack after Kafka, reclaim."""

import json
import time

import pytest

from kafka_components.redis_kafka_bridge.bridge import RedisKafkaBridge
from kafka_components.redis_kafka_bridge.routing import Route
from smart_shelf.contracts import ShelfEvent
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import connect_redis
from smart_shelf.retry import DependencyUnavailable
from tests.conftest import consume_all


def _pickup(n: int) -> dict:
    return {
        "event_id": f"e-{n}",
        "event_type": "pickup",
        "customer_id": f"c-{n % 3}",
        "item_id": "A12",
        "quantity": 1,
        "weight": 0.5,
        "timestamp": "2026-01-01T10:00:00+00:00",
    }


def _bridge(settings, route, consumer="bridge-1", producer_config=None, **kw):
    return RedisKafkaBridge(
        connect_redis(settings, deadline_seconds=30),
        make_producer(settings, deadline_seconds=30, **(producer_config or {})),
        {route.stream: route},
        group=f"g-{route.stream}",
        consumer=consumer,
        block_ms=200,
        **kw,
    )


def _shelf_bridge(settings, topic_factory, unique):
    """A bridge from a stream of the test's own to a shelf_events topic and its dead letters."""
    topic, dlq = topic_factory("shelf_events"), topic_factory("dlq")
    route = Route(f"test:{unique}:shelf", topic, ShelfEvent, dlq, ("customer_id",))
    bridge = _bridge(settings, route)
    bridge.ensure_groups()
    return topic, dlq, bridge


def test_valid_entries_reach_the_topic_and_invalid_ones_the_dead_letters(
    stack, settings, topic_factory, unique
):
    topic, dlq, bridge = _shelf_bridge(settings, topic_factory, unique)
    r, route = bridge.redis, next(iter(bridge.routes.values()))
    for n in range(5):
        r.xadd(route.stream, {"data": json.dumps(_pickup(n)), "key": f"c-{n % 3}"})
    r.xadd(route.stream, {"data": '{"event_type": "pickup"', "key": "c-x"})  # truncated JSON

    assert bridge.poll_once() == 6
    good = consume_all(settings, topic, 5)
    bad = consume_all(settings, dlq, 1)
    assert sorted(json.loads(m.value)["event_id"] for m in good) == [f"e-{n}" for n in range(5)]
    assert {m.key.decode() for m in good} == {"c-0", "c-1", "c-2"}
    letter = json.loads(bad[0].value)
    assert "not valid JSON" in letter["reason"] and letter["raw"] == '{"event_type": "pickup"'
    assert r.xpending(route.stream, bridge.group)["pending"] == 0  # everything acknowledged
    assert bridge.lag() == {route.stream: 0}
    r.delete(route.stream)


def test_entries_left_pending_by_a_dead_consumer_are_reclaimed(stack, settings, topic_factory, unique):
    topic, dlq = topic_factory("shelf_events"), topic_factory("dlq")
    route = Route(f"test:{unique}:shelf", topic, ShelfEvent, dlq, ("customer_id",))
    crashed = _bridge(settings, route, consumer="crashed")
    crashed.ensure_groups()
    for n in range(3):
        crashed.redis.xadd(route.stream, {"data": json.dumps(_pickup(n)), "key": ""})
    # The crashed consumer read the entries and died before forwarding them.
    crashed.redis.xreadgroup(crashed.group, "crashed", {route.stream: ">"}, count=10)
    assert crashed.redis.xpending(route.stream, crashed.group)["pending"] == 3

    survivor = _bridge(settings, route, consumer="survivor", claim_idle_ms=1000)
    import time

    time.sleep(1.2)
    assert survivor.reclaim_idle() == 3
    assert len(consume_all(settings, topic, 3)) == 3
    assert survivor.redis.xpending(route.stream, survivor.group)["pending"] == 0
    survivor.redis.delete(route.stream)


def test_entries_stay_pending_when_kafka_refuses_them(stack, settings, unique):
    # A topic that does not exist (auto-creation is off): sends fail, nothing is acknowledged.
    route = Route(f"test:{unique}:shelf", f"test.{unique}.missing", ShelfEvent, f"test.{unique}.missing-dlq")
    bridge = RedisKafkaBridge(
        connect_redis(settings),
        make_producer(settings, max_block_ms=1500),
        {route.stream: route},
        group="g",
        consumer="c",
        block_ms=100,
        send_timeout_s=3,
    )
    bridge.ensure_groups()
    bridge.redis.xadd(route.stream, {"data": json.dumps(_pickup(1)), "key": "c-1"})
    with pytest.raises(DependencyUnavailable, match="kafka"):  # the service's guard backs off and retries
        bridge.poll_once()
    assert bridge.stats.send_failures == 1
    assert bridge.redis.xpending(route.stream, "g")["pending"] == 1
    bridge.redis.delete(route.stream)


def test_a_topic_kafka_cannot_place_is_an_outage_and_its_entries_wait_pending(
    stack, settings, topic_factory, unique
):
    # Kafka gone before the bridge's first record to a topic looks like this: the producer has no
    # metadata for it and waits max_block_ms; a topic not created yet gives the same wait
    dlq = topic_factory("dlq")
    topic = f"test.{unique}.later"
    route = Route(f"test:{unique}:later", topic, ShelfEvent, dlq, ("customer_id",))
    bridge = _bridge(settings, route, producer_config={"max_block_ms": 2000}, send_timeout_s=5)
    bridge.ensure_groups()
    r = bridge.redis
    for n in range(20):
        r.xadd(route.stream, {"data": json.dumps(_pickup(n)), "key": f"c-{n % 3}"})

    began = time.monotonic()
    with pytest.raises(DependencyUnavailable) as away:
        bridge.poll_once()
    assert away.value.dependency == "kafka"
    assert time.monotonic() - began < 30, "one wait for the topic's metadata, not one per entry"
    assert bridge.stats.send_failures == 1 and bridge.stats.forwarded == 0
    assert r.xpending(route.stream, bridge.group)["pending"] == 20  # nothing acknowledged

    assert topic_factory("later") == topic
    deadline = time.monotonic() + 120
    while r.xpending(route.stream, bridge.group)["pending"]:
        assert time.monotonic() < deadline, "the pending entries were not sent once Kafka could place them"
        try:
            bridge.poll_once()  # as the bridge's outage guard calls it again
        except DependencyUnavailable:
            time.sleep(1)
    records = consume_all(settings, topic, 20)
    assert sorted(json.loads(m.value)["event_id"] for m in records) == sorted(f"e-{n}" for n in range(20))


def test_an_entry_kafka_refuses_for_good_becomes_a_dead_letter_and_the_rest_flows(
    stack, settings, topic_factory, unique
):
    topic, dlq, bridge = _shelf_bridge(settings, topic_factory, unique)
    r, route = bridge.redis, next(iter(bridge.routes.values()))
    huge = "{" + "x" * 2_000_000  # not JSON, and its dead letter larger than a Kafka record may be
    for n in range(3):
        r.xadd(route.stream, {"data": json.dumps(_pickup(n)), "key": ""})
    r.xadd(route.stream, {"data": huge, "key": "c-x"})
    for n in range(3, 6):
        r.xadd(route.stream, {"data": json.dumps(_pickup(n)), "key": ""})

    polls = 0  # a bridge stuck on the entry resends it at once, for ever: count the rounds, not seconds
    while r.xpending(route.stream, bridge.group)["pending"] or bridge.lag()[route.stream]:
        assert polls < 20, "the bridge is stuck on the entry Kafka refuses"
        bridge.poll_once()
        polls += 1
    good = consume_all(settings, topic, 6)
    assert sorted(json.loads(m.value)["event_id"] for m in good) == [f"e-{n}" for n in range(6)]
    (bad,) = consume_all(settings, dlq, 1)
    letter = json.loads(bad.value)
    assert letter["raw"] == huge[:65536]
    assert "not valid JSON" in letter["reason"] and "MessageSizeTooLargeError" in letter["reason"]
    assert bridge.stats.dead_letters == 1
    r.delete(route.stream)
