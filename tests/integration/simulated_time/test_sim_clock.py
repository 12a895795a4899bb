"""The sim-clock service against real Redis: advances at the multiplier, resumes after a restart, ends.

Each test uses a Redis database of its own, so the running demo's clock is untouched.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
import redis

from simulated_time.clock import SIM_NOW_KEY, SIM_TODAY_KEY, RedisClock
from tests.integration.spark_apps.ledger_harness import wait_for

TEST_DB = 13
START = "2026-01-01T07:00:00+00:00"


@pytest.fixture
def clock_db(stack, settings):
    client = redis.Redis(
        host=settings.redis_host, port=settings.redis_port, db=TEST_DB, decode_responses=True
    )
    client.flushdb()
    yield client
    client.flushdb()


def _start(settings, multiplier: float, days: int = 365) -> subprocess.Popen:
    env = {
        **os.environ,
        "REDIS_DB": str(TEST_DB),
        "USE_SIMULATED_TIME": "1",
        "TIME_MULTIPLIER": str(multiplier),
        "STEP_SECONDS": "1",
        "SIM_DAYS": str(days),
        "SIM_START": START,
    }
    return subprocess.Popen([sys.executable, "-m", "simulated_time"], env=env)


def _wait_for_key(client, timeout_s=15.0) -> datetime:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.get(SIM_NOW_KEY):
            return datetime.fromisoformat(client.get(SIM_NOW_KEY))
        time.sleep(0.05)
    raise AssertionError("sim-clock never published sim:now")


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0


def test_clock_advances_at_the_multiplier_and_resumes_after_restart(settings, clock_db):
    proc = _start(settings, multiplier=3600)
    try:
        first = _wait_for_key(clock_db)
        t0 = time.monotonic()
        time.sleep(2.0)
        second = datetime.fromisoformat(clock_db.get(SIM_NOW_KEY))
        elapsed = time.monotonic() - t0
    finally:
        _stop(proc)
    advanced = (second - first).total_seconds()
    # 3600x: ~2 real seconds are ~2 sim hours (loose bounds: it is a rate, measured on a busy machine)
    assert 0.6 * 3600 * elapsed < advanced < 1.4 * 3600 * elapsed
    assert clock_db.get(SIM_TODAY_KEY) == second.date().isoformat()

    stopped_raw = clock_db.get(SIM_NOW_KEY)
    stopped_at = datetime.fromisoformat(stopped_raw)
    proc = _start(settings, multiplier=3600)
    try:
        # the restarted clock's first tick (its start, imports included, can take seconds on a busy machine)
        wait_for(
            lambda: clock_db.get(SIM_NOW_KEY) != stopped_raw, 30, "the restarted clock's first tick", 0.05
        )
        resumed = datetime.fromisoformat(clock_db.get(SIM_NOW_KEY))
    finally:
        _stop(proc)
    assert resumed > stopped_at  # continues, does not start over
    assert resumed - stopped_at < timedelta(hours=2)


def test_clock_stays_at_the_end_of_the_simulation_and_stops_cleanly(settings, clock_db):
    proc = _start(settings, multiplier=86400 * 4, days=1)  # a sim day in a quarter of a second
    try:
        _wait_for_key(clock_db)
        deadline = time.monotonic() + 30
        while clock_db.get(SIM_NOW_KEY) != "2026-01-02T07:00:00+00:00" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert clock_db.get(SIM_NOW_KEY) == "2026-01-02T07:00:00+00:00"
        assert clock_db.get(SIM_TODAY_KEY) == "2026-01-02"
        time.sleep(1.5)
        assert proc.poll() is None  # idle, not exited: a watchdog would start the day again
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_redis_clock_client_reads_and_sleeps_in_sim_time(settings, clock_db):
    proc = _start(settings, multiplier=3600)
    try:
        clock = RedisClock(clock_db, multiplier=3600)
        now = clock.wait_until_running()
        target = now + timedelta(minutes=30)  # half a real second at 3600x
        clock.sleep_until(target)
        assert clock.now() >= target
        assert clock.now() - target < timedelta(minutes=10)
    finally:
        _stop(proc)
