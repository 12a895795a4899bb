"""A Redis and a Kafka of a test's own, started by the runner's launchers on free ports and their own
data directories: a test may SIGKILL and restart them without touching the shared stack."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from smart_shelf.runner.manifest import ServiceSpec
from smart_shelf.runner.supervisor import Supervisor
from smart_shelf.settings import Settings
from tests.conftest import free_port
from tests.integration.spark_apps.ledger_harness import wait_for

INFRA = [ServiceSpec("redis", infra="redis"), ServiceSpec("kafka", infra="kafka")]
# what makes a whole stack's store day happen, started once the pipeline runs its queries
STORE = ["sim-clock", "kafka-producer-foot_traffic", "kafka-producer-shelf", "kafka-producer-pos"]
QUERIES_RUNNING = 20  # of the Spark application's 25: its jobs start four at a time


class PrivateStack:
    """Redis and Kafka on ports and data directories of their own, through the runner's launchers."""

    def __init__(
        self, root: Path, apps: list[ServiceSpec] = (), infra: list[ServiceSpec] = INFRA, **env: str
    ):
        """`env`: more settings for every service of this stack (e.g. TIME_MULTIPLIER="600")."""
        own = {
            "REDIS_PORT": str(free_port()),
            "KAFKA_BROKER": f"127.0.0.1:{free_port()}",
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "PG_PORT": str(free_port()),
            "KAFKA_CONNECT_URL": f"http://127.0.0.1:{free_port()}",
            "RUN_DIR": str(root / "var"),
            "LOG_DIR": str(root / "logs"),
            "DELTA_ROOT": str(root / "delta"),
            "TOPIC_PARTITIONS": "1",
            "RETRY_MAX_SECONDS": "2",
            **env,
        }
        self.settings = Settings(**{k.lower(): v for k, v in own.items()})
        self.supervisor = Supervisor(self.settings, [*infra, *apps], env=own)
        self.env = {**os.environ, **own}

    def up(self, *names: str) -> None:
        self.supervisor.up(list(names))

    def kill(self, name: str) -> None:
        pid = self.supervisor.table.pid(name)
        assert pid, f"{name} is not running"
        os.killpg(pid, signal.SIGKILL)  # the whole process group, as the OOM killer or kill -9 would
        wait_for(lambda: self.supervisor.table.pid(name) is None, 30, f"{name} gone")

    def down(self) -> None:
        self.supervisor.down()

    def log_tails(self, *names: str, lines: int = 30) -> str:
        """The last lines of these services' logs: what a failing test prints, since its stack's
        directory is gone once the run ends (on CI, with it the only account of what happened)."""
        tails = []
        for name in names:
            path = self.settings.log_dir / f"{name}.log"
            text = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else ["(no log)"]
            tails.append(f"--- {path}\n" + "\n".join(text))
        return "\n".join(tails)


def history_stack(root: Path, *more: str) -> PrivateStack:
    """Postgres initialised with a store of its own, and Redis, started: what `make history` needs;
    and `more` services of the manifest (e.g. kafka, kafka-init)."""
    from smart_shelf.runner.manifest import load_manifest

    wanted = ("postgres", "redis", "data-generator", "postgres-init", *more)
    stack = PrivateStack(root, [s for s in load_manifest() if s.name in wanted], infra=[])
    stack.up("postgres-init", "redis", *more)
    return stack


def whole_stack(root: Path, **env: str) -> PrivateStack:
    """Every service of the manifest but the dashboard (docker-compose.yml's), on ports and data of its own."""
    from smart_shelf.runner.manifest import load_manifest

    return PrivateStack(root, [s for s in load_manifest() if s.name != "dashboard"], infra=[], **env)


def pipeline(stack: PrivateStack) -> list[str]:
    """A whole stack's services but the store's: infrastructure, bridge, Spark, inference."""
    return [s.name for s in stack.supervisor.manifest if s.name not in STORE]


def queries_running(client) -> bool:
    """Whether the stack's Spark application runs its queries (they report progress to its Redis)."""
    from smart_shelf.spark import query_progress

    return len(client.hgetall(query_progress.PROGRESS_KEY)) >= QUERIES_RUNNING


def sim_now(client) -> datetime:
    """The stack's simulated clock (Redis `sim:now`); the earliest moment while it has not started or
    its Redis is restarting."""
    from simulated_time.clock import SIM_NOW_KEY

    try:
        raw = client.get(SIM_NOW_KEY)
    except Exception:  # noqa: BLE001  (a Redis killed or restarting answers nothing for a while)
        raw = None
    return datetime.fromisoformat(raw) if raw else datetime.min.replace(tzinfo=UTC)
