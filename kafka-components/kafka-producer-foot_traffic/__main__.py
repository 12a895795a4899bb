"""Entry point: python -m kafka_components.kafka_producer_foot_traffic"""

import logging
import sys
import time

from kafka_components.kafka_producer_foot_traffic.arrival_model import traffic_from
from kafka_components.kafka_producer_foot_traffic.producer import FootTrafficProducer
from simulated_time.clock import make_clock, opened_at
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, outage_guard, run_until_up, start_service
from smart_shelf.settings import FootTrafficSettings

log = logging.getLogger("kafka-producer-foot_traffic")
POLL_SECONDS = 0.1


def main() -> int:
    settings = start_service("kafka-producer-foot_traffic", FootTrafficSettings)
    client = connect_redis(settings)
    clock = make_clock(settings, client)
    traffic = traffic_from(settings)
    producer = FootTrafficProducer(
        client,
        seed=settings.data_seed,
        traffic=traffic,
        sessions_stream=settings.redis_stream,
        realistic_stream=f"{settings.redis_stream}:realistic",
        maxlen=settings.stream_maxlen,
    )
    stop = StopSignal()
    guard = outage_guard("kafka-producer-foot_traffic", settings, stop)
    now = run_until_up(guard, stop, clock.wait_until_running)
    if settings.use_simulated_time:
        producer.opened = opened_at(client)
    last_day = None

    def step() -> None:
        # the checkpoint in Redis moves with the events it covers (one MULTI): a failed step is redone
        nonlocal now, last_day
        now = clock.now()
        emitted = producer.step(now)
        if now.date() != last_day:
            plan = producer.plan(now.date())
            log.info("[%s %s] planned %d customers", now.strftime("%A"), now.date(), len(plan))
            last_day = now.date()
        if emitted:
            log.debug("%s: %d events", now.isoformat(), emitted)

    while not stop.requested:
        guard.run(step)
        time.sleep(POLL_SECONDS)
    log.info("stopped at sim time %s; checkpoint saved", now.isoformat() if now else "-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
