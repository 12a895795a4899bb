"""sim-clock: publishes simulated time to Redis (sim:now, sim:today).

sim time = resume point + TIME_MULTIPLIER x real seconds elapsed, written every STEP_SECONDS of sim
time (at most 20 times a second). A restart resumes from the last published time; at SIM_START +
SIM_DAYS it publishes the end and exits 0. Entry point: python -m simulated_time
"""

import logging
import sys
import time
from datetime import datetime

from simulated_time.clock import SIM_NOW_KEY, SIM_OPENED_KEY, publish
from simulated_time.timeline import format_sim_time, resume_point, sim_end, sim_time_at, tick_seconds
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, outage_guard, start_service

log = logging.getLogger("sim-clock")
REPORT_EVERY_SECONDS = 30.0


def main() -> int:
    settings = start_service("sim-clock")
    if not settings.use_simulated_time:
        log.info("USE_SIMULATED_TIME is off: services use wall-clock time; nothing to publish")
        return 0
    client = connect_redis(settings)
    start, end = settings.sim_start, sim_end(settings.sim_start, settings.sim_days)
    saved = client.get(SIM_NOW_KEY)
    anchor = resume_point(datetime.fromisoformat(saved) if saved else None, start, end)
    client.set(SIM_OPENED_KEY, format_sim_time(anchor), nx=True)  # the first start only
    log.info(
        "simulated time %s at %.0fx until %s (%s)",
        anchor,
        settings.time_multiplier,
        end,
        "resumed" if saved and anchor != start else "from the start",
    )
    stop = StopSignal()
    guard = outage_guard("sim-clock", settings, stop)
    period = tick_seconds(settings.step_seconds, settings.time_multiplier)
    wall0 = last_report = time.monotonic()
    now = anchor
    while not stop.requested:
        moment = sim_time_at(anchor, time.monotonic() - wall0, settings.time_multiplier, end)
        if guard.run(lambda at=moment: publish(client, at, settings.time_multiplier) or True) is None:
            # Redis away: simulated time stops with it and goes on from the last moment published
            anchor, wall0 = now, time.monotonic()
            continue
        now = moment
        if now >= end:
            # stays up, idle, like a stopped clock on the wall: a supervisor that restarts services
            # which exit (compose, the runner's watchdog) must not start the simulation again
            log.info("reached the end of the simulation (%s); the clock stays there", end)
            while not stop.requested:
                time.sleep(1.0)
            return 0
        if time.monotonic() - last_report >= REPORT_EVERY_SECONDS:
            log.info("sim time %s", now.isoformat(timespec="seconds"))
            last_report = time.monotonic()
        time.sleep(period)
    log.info("stopped at %s", now.isoformat(timespec="seconds"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
