"""Entry point: python -m kafka_components.kafka_producer_foot_traffic"""

import logging
import signal
import sys
import time

from kafka_components.kafka_producer_foot_traffic.arrival_model import TrafficSettings
from kafka_components.kafka_producer_foot_traffic.producer import FootTrafficProducer
from simulated_time.clock import make_clock
from smart_shelf.logs import configure_logging
from smart_shelf.redis_client import connect_redis
from smart_shelf.settings import FootTrafficSettings, log_settings

log = logging.getLogger("kafka-producer-foot_traffic")
POLL_SECONDS = 0.1


def main() -> int:
    settings = FootTrafficSettings()
    configure_logging(settings.log_level)
    log_settings(settings, "kafka-producer-foot_traffic")
    client = connect_redis(settings)
    clock = make_clock(settings, client)
    traffic = TrafficSettings(
        base_daily_customers=settings.base_daily_customers or settings.default_daily_customers,
        daily_customers=settings.daily_customers,
        daily_variation_pct=settings.daily_variation_pct,
        disable_daily_variation=settings.disable_daily_variation,
    )
    producer = FootTrafficProducer(
        client,
        seed=settings.data_seed,
        traffic=traffic,
        sessions_stream=settings.redis_stream,
        realistic_stream=f"{settings.redis_stream}:realistic",
        maxlen=settings.stream_maxlen,
    )
    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    now = clock.wait_until_running() if hasattr(clock, "wait_until_running") else clock.now()
    last_day = None
    while not stopping:
        now = clock.now()
        emitted = producer.step(now)
        if now.date() != last_day:
            plan = producer.plan(now.date())
            log.info("[%s %s] planned %d customers", now.strftime("%A"), now.date(), len(plan))
            last_day = now.date()
        if emitted:
            log.debug("%s: %d events", now.isoformat(), emitted)
        time.sleep(POLL_SECONDS)
    log.info("stopped at sim time %s; checkpoint saved", now.isoformat())
    return 0


if __name__ == "__main__":
    sys.exit(main())
