"""Entry point: python -m kafka_components.kafka_producer_shelf

Reads sessions from Kafka `foot_traffic` (and restock putbacks from `shelf_events`), acts for each
customer at their scheduled sim times, and writes pickups, putbacks and weight changes to the
Redis stream `shelf_events`. Kafka offsets are committed after the schedules are stored in Redis.
"""

import logging
import signal
import sys
import time
from datetime import timedelta

from kafka_components.kafka_producer_shelf.producer import (
    RESTOCK_CUSTOMER,
    ShelfProducer,
    catalogue_from_inventory,
)
from simulated_time.clock import make_clock
from smart_shelf.contracts import FootTrafficSession, InvalidEvent, ShelfEvent, parse_event
from smart_shelf.kafka_client import make_consumer
from smart_shelf.logs import configure_logging
from smart_shelf.redis_client import connect_redis
from smart_shelf.settings import ShelfProducerSettings, log_settings
from smart_shelf.store.pricing import effective_discounts, weekly_discounts_on
from smart_shelf.store.sources import load_daily_discounts, load_inventory, load_weekly_discounts

log = logging.getLogger("kafka-producer-shelf")
REPORT_EVERY_SECONDS = 30.0


def main() -> int:
    settings = ShelfProducerSettings()
    configure_logging(settings.log_level)
    log_settings(settings, "kafka-producer-shelf")
    catalogue, snapshot = catalogue_from_inventory(
        load_inventory(settings, settings.store_file_retry_seconds)
    )
    weekly = load_weekly_discounts(settings)
    client = connect_redis(settings)
    clock = make_clock(settings, client)
    producer = ShelfProducer(
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
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if hasattr(clock, "wait_until_running"):
        clock.wait_until_running()
    day, last_report = None, time.monotonic()
    while not stopping:
        batch = sessions.poll(timeout_ms=0, max_records=500)
        for records in batch.values():
            for record in records:
                try:
                    producer.admit(parse_event(FootTrafficSession, record.value))
                except InvalidEvent as exc:  # the bridge validated it; log and move on
                    log.error("skipping invalid session at offset %d: %s", record.offset, exc.reason)
        if batch:
            sessions.commit()  # after the schedules are in Redis
        batch = restocks.poll(timeout_ms=0, max_records=500)
        for records in batch.values():
            for record in records:
                try:
                    event = parse_event(ShelfEvent, record.value)
                except InvalidEvent:
                    continue
                if event.customer_id == RESTOCK_CUSTOMER and event.event_type == "putback":
                    producer.apply_restock(event.event_id, event.shelf_id or event.item_id, event.quantity)
        if batch:
            restocks.commit()
        now = clock.now()
        if now.date() != day:
            day = now.date()
            producer.set_discounts(
                effective_discounts(weekly_discounts_on(weekly, day), load_daily_discounts(settings, day))
            )
            producer.forget_customers_before(now - timedelta(days=2))
            log.info("%s: %d products discounted", day, len(producer.discounts))
        if not producer.run_due(now):
            time.sleep(settings.shelf_idle_sleep)
        if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
            log.info(
                "sim %s: %s, %d shoppers in store",
                now.isoformat(timespec="seconds"),
                producer.stats,
                len(producer.shoppers),
            )
            last_report = time.monotonic()
    sessions.close()
    restocks.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
