"""Entry point: python -m kafka_components.connect_init

Registers every connector of smart_shelf.connect.configs (create or update: running it again changes
nothing), then waits until each connector and all its tasks are RUNNING. Exits non-zero, with the
worker's trace, when one fails or does not start in time.
"""

import logging
import sys

from smart_shelf.connect.client import ConnectClient, ConnectorFailed
from smart_shelf.connect.configs import connector_configs
from smart_shelf.service import start_service

log = logging.getLogger("connect-init")


def main() -> int:
    settings = start_service("connect-init")
    client = ConnectClient(settings.kafka_connect_url)
    client.wait_until_up(deadline_seconds=settings.connect_init_timeout_seconds)
    configs = connector_configs(settings)
    for name, config in configs.items():
        created = client.put_config(name, config)
        log.info("%-24s %s", name, "created" if created else "updated")
    try:
        client.wait_running(list(configs), deadline_seconds=settings.connect_init_timeout_seconds)
    except (ConnectorFailed, TimeoutError) as exc:
        log.error("%s", exc)
        return 1
    log.info("%d connectors RUNNING: %s", len(configs), ", ".join(configs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
