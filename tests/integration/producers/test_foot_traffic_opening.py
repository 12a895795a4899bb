"""The foot traffic producer plans the first day from the moment the store opened, not from when the
process first ran: started late, it still sends the customers a history (or any other run) would."""

from datetime import UTC, datetime, timedelta

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings, plan_day
from kafka_components.kafka_producer_foot_traffic.producer import FootTrafficProducer
from smart_shelf.contracts import STREAM_DATA_FIELD, STREAM_KEY_FIELD
from smart_shelf.redis_client import connect_redis

SEED = 7
OPENED = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
TRAFFIC = TrafficSettings(daily_customers=600)


def _sessions(settings, unique, opened, first_step):
    client = connect_redis(settings, deadline_seconds=30)
    stream = f"test:{unique}:{first_step:%H%M}:{'opened' if opened else 'now'}:foot"
    producer = FootTrafficProducer(
        client,
        seed=SEED,
        traffic=TRAFFIC,
        sessions_stream=stream,
        realistic_stream=f"{stream}:realistic",
        checkpoint_key=f"{stream}:checkpoint",
        opened=opened,
    )
    producer.step(first_step)
    producer.step(OPENED + timedelta(hours=3))
    return [fields for _, fields in client.xrange(stream)]


def test_a_late_first_start_sends_the_customers_planned_from_the_opening(stack, settings, unique):
    late = OPENED + timedelta(minutes=25)
    planned = [
        v
        for v in plan_day(SEED, OPENED.date(), TRAFFIC, UTC, OPENED)
        if v.entry_time <= OPENED + timedelta(hours=3)
    ]
    sent = _sessions(settings, unique, OPENED, late)
    assert len(sent) == len(planned) > 0
    assert [v.customer_id for v in planned] == [s[STREAM_KEY_FIELD] for s in sent]
    # without the opening, the plan follows the process's start: other customers' times
    from_now = _sessions(settings, unique, None, late)
    assert [s[STREAM_DATA_FIELD] for s in from_now] != [s[STREAM_DATA_FIELD] for s in sent]
