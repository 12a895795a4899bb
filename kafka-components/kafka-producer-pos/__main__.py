"""Entry point: python -m kafka_components.kafka_producer_pos

Reads `foot_traffic` and `shelf_events` from Kafka, keeps carts in Redis, and when a customer's exit
time passes (plus a grace for late shelf events) sends one transaction to Kafka `pos_transactions`.
Kafka offsets are committed after the cart changes are stored.
"""

import logging
import sys
import time
from datetime import timedelta

from kafka_components.kafka_producer_pos.producer import PosProducer
from simulated_time.clock import make_clock
from smart_shelf.contracts import FootTrafficSession, ShelfEvent
from smart_shelf.kafka_client import has_unread, make_consumer, make_producer
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, consume, outage_guard, run_until_up, start_service
from smart_shelf.settings import PosProducerSettings
from smart_shelf.store.pricing import discounts_stale
from smart_shelf.store.sources import load_inventory, load_weekly_discounts, todays_discounts

log = logging.getLogger("kafka-producer-pos")
LOOP_SECONDS = 0.1
GRACE_REAL_SECONDS = 3.0  # how long, in real time, to wait for a leaving customer's last shelf events
REPORT_EVERY_SECONDS = 30.0


def main() -> int:
    settings = start_service("kafka-producer-pos", PosProducerSettings)
    inventory = load_inventory(settings)
    prices = dict(zip(inventory["shelf_id"], inventory["item_price"].astype(float), strict=True))
    weekly = load_weekly_discounts(settings)
    client = connect_redis(settings)
    clock = make_clock(settings, client)
    multiplier = settings.time_multiplier if settings.use_simulated_time else 1.0
    pos = PosProducer(
        client,
        make_producer(settings),
        prices,
        topic=settings.pos_topic,
        grace=timedelta(seconds=max(60.0, GRACE_REAL_SECONDS * multiplier)),
        max_age=timedelta(seconds=settings.max_session_age_sec),
        force_if_empty=settings.force_checkout_if_empty,
    )
    sessions = make_consumer(settings, settings.foot_topic, group_id=settings.group_id_foot)
    shelf = make_consumer(settings, settings.shelf_topic, group_id=settings.group_id_shelf)
    stop = StopSignal()
    guard = outage_guard("kafka-producer-pos", settings, stop)
    run_until_up(guard, stop, clock.wait_until_running)
    day, refreshed_at, last_report = None, None, time.monotonic()

    def step() -> None:
        # carts and checkouts live in Redis, offsets commit after them: a failed step is redone
        nonlocal day, refreshed_at, last_report
        consume(sessions, FootTrafficSession, pos.on_session)
        consume(shelf, ShelfEvent, pos.on_shelf_event)
        now = clock.now()
        if discounts_stale(now, refreshed_at):
            refreshed_at = now
            fresh = todays_discounts(settings, weekly, now.date())
            if fresh is not None:  # Postgres away: keep the day's discounts so far
                pos.discounts = fresh
        if now.date() != day:
            day = now.date()
            pos.forget_customers_before(now - timedelta(days=2))
        # a cart short of events is billed short only once this till has read every shelf event
        pos.checkout_due_customers(now, unread_events=lambda: has_unread(shelf))
        if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
            log.info("sim %s: %s", now.isoformat(timespec="seconds"), pos.stats)
            last_report = time.monotonic()

    while not stop.requested:
        guard.run(step)
        time.sleep(LOOP_SECONDS)
    pos.producer.close(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
