"""The native runner's watchdog on services of a private stack: a killed service and a killed Redis
are started again (Redis on its data: nothing acknowledged is lost), the service that depends on Redis
rides the outage out without a restart, one that keeps failing is marked failed with the last lines of
its log, and `down` stops everything with nothing started again."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
import redis

from simulated_time.clock import SIM_NOW_KEY
from smart_shelf.runner.manifest import ServiceSpec
from smart_shelf.runner.watch import Watchdog
from tests.integration.private_stack import PrivateStack
from tests.integration.spark_apps.ledger_harness import wait_for

APPS = [
    ServiceSpec("sim-clock", command=("python", "-m", "simulated_time"), depends_on=("redis",)),
    ServiceSpec("crasher", command=("python", "-c", "import sys; print('boom: a bad setting'); sys.exit(3)")),
]


@pytest.fixture
def watched(tmp_path):
    stack = PrivateStack(tmp_path, APPS, USE_SIMULATED_TIME="1", TIME_MULTIPLIER="600")
    stack.up("redis", "sim-clock")
    watchdog = Watchdog(stack.supervisor, window=120, limit=3, max_delay=2)
    stopping = threading.Event()
    thread = threading.Thread(target=watchdog.run, args=(stopping.is_set, 0.3), daemon=True)
    thread.start()
    yield stack
    stopping.set()
    thread.join(timeout=30)
    stack.down()


def _sim_now(client) -> datetime:
    return datetime.fromisoformat(client.get(SIM_NOW_KEY))


def test_the_watchdog_restarts_what_dies_and_gives_up_on_what_keeps_failing(watched):
    table, status = watched.supervisor.table, lambda: {s.name: s for s in watched.supervisor.status()}
    client = redis.Redis(port=watched.settings.redis_port, decode_responses=True)
    wait_for(lambda: client.get(SIM_NOW_KEY) is not None, 30, "the clock publishing")

    first = table.pid("sim-clock")
    watched.kill("sim-clock")
    wait_for(lambda: table.pid("sim-clock") not in (None, first), 30, "sim-clock started again")
    assert status()["sim-clock"].restarts == 1

    client.set("probe", "acknowledged before the kill")
    watched.kill("redis")
    wait_for(lambda: table.pid("redis") is not None, 30, "redis started again")
    wait_for(lambda: _ping(client), 30, "redis answering")
    assert client.get("probe") == "acknowledged before the kill"  # appendfsync always: nothing lost
    before = _sim_now(client)
    wait_for(lambda: _sim_now(client) > before, 30, "the clock going on after the outage")
    assert status()["redis"].restarts == 1
    assert status()["sim-clock"].restarts == 1  # it rode the outage out: no restart

    watched.up("crasher")
    wait_for(lambda: status()["crasher"].state == "failed", 90, "the crasher marked failed")
    record = watched.supervisor.restarts.load("crasher")
    assert record.restarts == 3 and any("boom: a bad setting" in line for line in record.last_lines)

    watched.down()
    time.sleep(3)  # several watchdog rounds
    assert all(table.pid(name) is None for name in ("redis", "sim-clock", "crasher"))


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except redis.exceptions.RedisError:
        return False
