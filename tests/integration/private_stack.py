"""A Redis and a Kafka of a test's own, started by the runner's launchers on free ports and their own
data directories: a test may SIGKILL and restart them without touching the shared stack."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from smart_shelf.runner.manifest import ServiceSpec
from smart_shelf.runner.supervisor import Supervisor
from smart_shelf.settings import Settings
from tests.conftest import free_port
from tests.integration.spark_apps.ledger_harness import wait_for

INFRA = [ServiceSpec("redis", infra="redis"), ServiceSpec("kafka", infra="kafka")]


class PrivateStack:
    """Redis and Kafka on ports and data directories of their own, through the runner's launchers."""

    def __init__(self, root: Path, apps: list[ServiceSpec] = ()):
        kafka_port = free_port()
        self.settings = Settings(
            redis_port=free_port(),
            kafka_broker=f"127.0.0.1:{kafka_port}",
            kafka_controller_port=free_port(),
            run_dir=root / "var",
            log_dir=root / "logs",
            topic_partitions=1,
        )
        self.supervisor = Supervisor(self.settings, [*INFRA, *apps])
        self.env = {
            **os.environ,
            "REDIS_PORT": str(self.settings.redis_port),
            "KAFKA_BROKER": self.settings.kafka_broker,
            "RETRY_MAX_SECONDS": "2",
        }

    def up(self, *names: str) -> None:
        self.supervisor.up(list(names))

    def kill(self, name: str) -> None:
        pid = self.supervisor.table.pid(name)
        assert pid, f"{name} is not running"
        os.killpg(pid, signal.SIGKILL)  # the whole process group, as the OOM killer or kill -9 would
        wait_for(lambda: self.supervisor.table.pid(name) is None, 30, f"{name} gone")

    def down(self) -> None:
        self.supervisor.down()
