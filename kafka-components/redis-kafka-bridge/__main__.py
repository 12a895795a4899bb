"""Entry point: python -m kafka_components.redis_kafka_bridge"""

import logging
import sys
import time

from kafka_components.redis_kafka_bridge.bridge import RedisKafkaBridge
from kafka_components.redis_kafka_bridge.reader import ReaderGone, ReaderProcess
from kafka_components.redis_kafka_bridge.routing import parse_stream_topic_map, routes_for
from smart_shelf.kafka_client import make_producer
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, outage_guard, run_until_up, start_service

log = logging.getLogger("redis-kafka-bridge")
REPORT_EVERY_SECONDS = 10.0


def main() -> int:
    settings = start_service("redis-kafka-bridge")
    routes = routes_for(parse_stream_topic_map(settings.stream_topic_map))
    # reading and validating in a process of its own, beside the producer (reader.py)
    feed = ReaderProcess(settings, routes)
    feed.start()
    bridge = RedisKafkaBridge.from_settings(
        settings,
        connect_redis(settings),
        # a send waits for a topic's metadata at most as long as for an acknowledgement (kafka-python's
        # default is a minute, in which the bridge would neither forward nor say Kafka is away)
        make_producer(settings, max_block_ms=int(settings.send_timeout_s * 1000)),
        routes,
        feed=feed,
    )
    stop = StopSignal()
    guard = outage_guard("redis-kafka-bridge", settings, stop)

    run_until_up(guard, stop, bridge.ensure_groups)  # the reader recovers and reclaims (its own log)
    last_report, last_count = time.monotonic(), 0

    def report() -> None:
        nonlocal last_report, last_count
        done = bridge.stats.forwarded + bridge.stats.dead_letters
        rate = (done - last_count) / (time.monotonic() - last_report)
        log.info(
            "%.0f entries/s, forwarded %d, dead letters %d, send failures %d, lag %s",
            rate,
            bridge.stats.forwarded,
            bridge.stats.dead_letters,
            bridge.stats.send_failures,
            bridge.lag(),
        )
        last_report, last_count = time.monotonic(), done

    try:
        while not stop.requested:
            guard.run(bridge.poll_once)
            # not while an outage lasts: the report succeeding would not mean Kafka is back
            if guard.down is None and time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
                guard.run(report)
    except ReaderGone as exc:
        if stop.requested:  # it stopped first, on the same signal
            return 0
        log.error("%s: stopping, so that the runner starts the bridge again", exc)
        return 1
    finally:
        bridge.producer.close(timeout=30)  # records still in flight stay pending in Redis if not stored
        feed.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
