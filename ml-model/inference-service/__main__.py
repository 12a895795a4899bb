"""Entry point: python -m ml_model.inference_service (long-running, on the simulated clock)."""

from __future__ import annotations

import logging
import sys
import time
from functools import partial

from ml_model.inference_service.service import calendar, check_run_time, next_cutoff, run, run_time
from simulated_time.clock import ClockNotRunning, make_clock
from smart_shelf.kafka_client import make_producer, send_events
from smart_shelf.service import StopSignal, outage_guard, run_until_up, start_service
from smart_shelf.settings import InferenceSettings

log = logging.getLogger("inference-service")
POLL_SECONDS = 2.0  # real seconds between looks at the simulated clock


def main() -> int:
    settings = start_service("inference-service", InferenceSettings)
    cal = calendar()
    try:
        check_run_time(settings, cal)
    except ValueError as exc:
        print(f"inference-service: {exc}", file=sys.stderr)
        return 2
    stop = StopSignal()
    guard = outage_guard("inference-service", settings, stop)
    clock = make_clock(settings)
    producer = run_until_up(guard, stop, lambda: make_producer(settings))
    if producer is None:
        return 0

    def send(plans) -> None:
        send_events(producer, settings.topic_wh_supplier_plan, plans)

    def sim_now():
        try:
            return clock.now()
        except ClockNotRunning as exc:  # sim-clock not started yet, or the data reset: wait for it
            log.warning("%s; waiting", exc)
            time.sleep(POLL_SECONDS)
            return None

    done, heartbeat = None, 0.0
    while not stop.requested:
        now = guard.run(sim_now)
        if now is None:
            continue
        cutoff = next_cutoff(now, cal)
        due = run_time(settings, cutoff)
        if now >= due and cutoff != done:
            if guard.run(partial(run, settings, cutoff, now, send, cal)) is not None:
                done = cutoff
            continue
        if time.monotonic() - heartbeat >= settings.heartbeat_seconds:
            heartbeat = time.monotonic()
            log.info(
                "sim time %s: next run %s, for the cutoff at %s",
                now.isoformat(),
                due.isoformat(),
                cutoff.isoformat(),
            )
        time.sleep(POLL_SECONDS)
    producer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
