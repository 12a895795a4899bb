"""Starting services side by side: each once everything it depends on is up, as compose does.

The runner's start-up waits mostly on other processes (a JVM to listen, a topic to exist, a one-shot
to finish); started one after the other, Kafka's, Postgres's and Kafka Connect's waits added up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from smart_shelf.runner.manifest import ServiceSpec

STARTING_THREADS = 4  # services starting at once (most of the time in each is a wait)


def start_when_ready(
    specs: list[ServiceSpec],
    start: Callable[[ServiceSpec], object],
    on_started: Callable[[ServiceSpec], None],
    aborted: threading.Event,
    threads: int = STARTING_THREADS,
) -> None:
    """Run `start` for each spec once every spec it depends on (among `specs`) has started, up to
    `threads` at a time, and `on_started` in this thread as each one ends. After a failure (or
    Ctrl-C) no other start begins and `aborted` is set, for the starts under way to give up their
    waits; once they have ended, the first failure is raised."""
    names = {s.name for s in specs}
    waiting = list(specs)
    done: set[str] = set()
    running: dict[Future, ServiceSpec] = {}
    failure: BaseException | None = None
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="start")
    try:
        while waiting or running:
            if failure is None:
                ready = [s for s in waiting if all(d in done or d not in names for d in s.depends_on)]
                for spec in ready:
                    waiting.remove(spec)
                    running[pool.submit(start, spec)] = spec
            if not running:
                break  # after a failure: nothing more will start
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                spec = running.pop(future)
                if future.exception() is not None:
                    failure = failure or future.exception()
                    aborted.set()
                    continue
                done.add(spec.name)
                on_started(spec)
    except BaseException as exc:  # Ctrl-C while waiting
        failure = failure or exc
    finally:
        if failure is not None:
            aborted.set()
        pool.shutdown(wait=True, cancel_futures=True)
    if failure is not None:
        raise failure
    if waiting:
        raise RuntimeError(f"never started (a dependency cycle?): {[s.name for s in waiting]}")
