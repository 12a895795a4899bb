"""Entry point: python -m kafka_components.kafka_init"""

import logging
import sys

from kafka_components.kafka_init.admin import ensure_topics
from kafka_components.kafka_init.topic_config import desired_topics
from smart_shelf.kafka_client import make_admin
from smart_shelf.service import start_service

log = logging.getLogger("kafka-init")


def main() -> int:
    settings = start_service("kafka-init")
    admin = make_admin(settings, deadline_seconds=300)
    try:
        specs = desired_topics(settings.topic_partitions, settings.topic_replication_factor)
        for topic, action in sorted(ensure_topics(admin, specs).items()):
            log.info("%-28s %s", topic, action)
    finally:
        admin.close()
    log.info("%d topics in place", len(specs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
