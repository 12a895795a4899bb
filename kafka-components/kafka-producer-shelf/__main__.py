"""Entry point: python -m kafka_components.kafka_producer_shelf

Reads sessions from Kafka `foot_traffic` (restock putbacks from `shelf_events`, removal orders from
`removal_orders`), acts for each customer at their scheduled sim times, and writes pickups, putbacks,
removals and weight changes to the Redis stream `shelf_events`. Kafka offsets are committed after
the schedules are stored in Redis.
"""

import logging
import sys
import time
from datetime import timedelta

from kafka_components.kafka_producer_shelf.producer import (
    ShelfProducer,
    catalogue_from_inventory,
    handed_over_stock,
)
from simulated_time.clock import make_clock
from smart_shelf.contracts import RESTOCK_CUSTOMER, FootTrafficSession, RemovalOrder, ShelfEvent
from smart_shelf.kafka_client import make_consumer
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, consume, outage_guard, run_until_up, start_service
from smart_shelf.settings import ShelfProducerSettings
from smart_shelf.store.pricing import discounts_stale
from smart_shelf.store.sources import load_inventory, load_weekly_discounts, todays_discounts

log = logging.getLogger("kafka-producer-shelf")
REPORT_EVERY_SECONDS = 30.0


def main() -> int:
    settings = start_service("kafka-producer-shelf", ShelfProducerSettings)
    catalogue, snapshot = catalogue_from_inventory(
        load_inventory(settings, settings.store_file_retry_seconds)
    )
    snapshot.update(handed_over_stock(settings))  # where a history left the shelves, if one ran
    weekly = load_weekly_discounts(settings)
    client = connect_redis(settings)
    clock = make_clock(settings, client)

    def load_producer() -> ShelfProducer:
        """The producer as Redis holds it: stock, shoppers and their next actions."""
        return ShelfProducer(
            client,
            catalogue,
            snapshot,
            seed=settings.data_seed,
            putback_prob=settings.putback_prob,
            stream=settings.redis_stream,
            maxlen=settings.stream_maxlen,
        )

    sessions = make_consumer(settings, settings.kafka_topic_foot, group_id=settings.group_id_foot)
    restocks = make_consumer(settings, settings.kafka_topic_shelf, group_id=settings.group_id_restock)
    removals = make_consumer(
        settings, settings.kafka_topic_removal_orders, group_id=settings.group_id_removal
    )

    producer: ShelfProducer | None = None
    discounts: dict[str, float] = {}

    def on_shelf_event(event: ShelfEvent) -> None:
        if event.customer_id == RESTOCK_CUSTOMER and event.event_type == "putback":
            producer.apply_restock(event.event_id, event.shelf_id or event.item_id, event.quantity)

    stop = StopSignal()
    guard = outage_guard("kafka-producer-shelf", settings, stop)
    run_until_up(guard, stop, clock.wait_until_running)
    day, refreshed_at, last_report = None, None, time.monotonic()

    def step() -> None:
        nonlocal producer, discounts, day, refreshed_at, last_report
        if producer is None:
            producer = load_producer()
            producer.set_discounts(discounts)
        try:
            act()
        except Exception:
            # memory may be ahead of what reached Redis: start again from Redis, as after a restart
            producer = None
            raise

    def act() -> None:
        nonlocal discounts, day, refreshed_at, last_report
        consume(sessions, FootTrafficSession, producer.admit, max_records=500)  # commits after Redis has them
        consume(restocks, ShelfEvent, on_shelf_event, max_records=500)
        now = clock.now()
        if discounts_stale(now, refreshed_at):
            refreshed_at = now
            fresh = todays_discounts(settings, weekly, now.date())
            if fresh is not None:  # Postgres away: keep the day's discounts so far
                discounts = fresh
                producer.set_discounts(discounts)
        if now.date() != day:
            day = now.date()
            producer.forget_customers_before(now - timedelta(days=2))
            log.info("%s: %d products discounted", day, len(producer.discounts))
        acted = producer.run_due(now)
        # after the actions due by `now`, so each removal follows every pickup stamped before it
        consume(removals, RemovalOrder, lambda order: producer.carry_out_removal(order, now), max_records=500)
        if not acted:
            time.sleep(settings.shelf_idle_sleep)
        if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
            log.info(
                "sim %s: %s, %d shoppers in store",
                now.isoformat(timespec="seconds"),
                producer.stats,
                len(producer.shoppers),
            )
            last_report = time.monotonic()

    while not stop.requested:
        guard.run(step)
    sessions.close()
    restocks.close()
    removals.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
