"""The bridge's reading half: XREADGROUP, validate and route each entry (routing.py).

`EntryReader` reads for one consumer of the group. In the service it runs in a process of its own
(`ReaderProcess`) and hands the routed batches to the sending half over a pipe, so that reading and
validating take nothing from the Kafka producer: in one process they share one GIL with it, and the
bridge made 0.55-0.65 x the producer's own rate (docs/benchmarks.md).

The sending half answers with how many entries it acknowledged. The reader stays at most `ahead`
entries in front of it, and takes over the idle entries of dead consumers (XAUTOCLAIM) only when
every entry it handed over is acknowledged: XAUTOCLAIM would otherwise take back this consumer's own
entries still on their way to Kafka (idle through a long Kafka outage), and send them twice.
"""

from __future__ import annotations

import ctypes
import logging
import marshal
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import redis

from kafka_components.redis_kafka_bridge.routing import Outgoing, Route, route_entry
from smart_shelf.logs import configure_logging
from smart_shelf.redis_client import connect_redis
from smart_shelf.service import StopSignal, outage_guard, run_until_up
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class ReaderGone(RuntimeError):
    """The reader process exited: the bridge stops, and its supervisor starts both again."""


class EntryReader:
    def __init__(
        self,
        client: redis.Redis,
        routes: dict[str, Route],
        *,
        group: str,
        consumer: str,
        batch_count: int = 500,
        claim_idle_ms: int = 60000,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.redis, self.routes, self.group, self.consumer = client, routes, group, consumer
        self.batch_count, self.claim_idle_ms, self.now = batch_count, claim_idle_ms, now
        self._last_claim = 0.0  # the first claim is due at once: a consumer may have died before us

    def ensure_groups(self) -> None:
        """Create the consumer group on every stream (from the start, creating the stream if needed)."""
        for stream in self.routes:
            try:
                self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def read_new(self, block_ms: int | None) -> list[Outgoing]:
        response = self.redis.xreadgroup(
            self.group, self.consumer, {s: ">" for s in self.routes}, count=self.batch_count, block=block_ms
        )
        now = self.now()
        return [self._route(stream, entry, now) for stream, items in response or [] for entry in items]

    def pending(self) -> Iterator[list[Outgoing]]:
        """This consumer's entries read before and never acknowledged (a previous run's), a page at a
        time: each page starts after the last one, acknowledged or not."""
        after = dict.fromkeys(self.routes, "0")
        while after:
            response = self.redis.xreadgroup(self.group, self.consumer, after, count=self.batch_count)
            answered = dict(response or [])
            now, page = self.now(), []
            for stream in list(after):
                items = answered.get(stream) or []
                if len(items) < self.batch_count:
                    del after[stream]
                else:
                    after[stream] = items[-1][0]
                page += [self._route(stream, entry, now) for entry in items if entry[1]]  # not trimmed
            if page:
                yield page

    def claim_due(self) -> bool:
        return time.monotonic() - self._last_claim > self.claim_idle_ms / 1000

    def reclaim(self) -> Iterator[list[Outgoing]]:
        """Take over entries pending on other (dead) consumers for longer than claim_idle_ms."""
        for stream in self.routes:
            cursor = "0-0"
            while True:
                cursor, entries, *_ = self.redis.xautoclaim(
                    stream, self.group, self.consumer, self.claim_idle_ms, cursor, count=self.batch_count
                )
                now = self.now()
                live = [self._route(stream, entry, now) for entry in entries if entry and entry[1]]
                if live:
                    yield live
                if cursor == "0-0":
                    break
        self._last_claim = time.monotonic()

    def _route(self, stream: str, entry: tuple[str, dict], now: datetime) -> Outgoing:
        return route_entry(self.routes[stream], entry[0], entry[1], now)


class ReaderProcess:
    """An `EntryReader` in a process of its own, as the sending half sees it: `take` the next routed
    batch, tell it what was `acknowledged`."""

    def __init__(self, settings: Settings, routes: dict[str, Route], *, ahead: int | None = None):
        self.settings, self.routes = settings, routes
        # enough to keep the producer busy while the next batches are read; little to send again
        # after a crash (what was handed over stays pending in Redis until acknowledged)
        self.ahead = ahead or 8 * settings.batch_count
        self._conn = None
        self._process: multiprocessing.Process | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # nothing of this process's threads copied
        ours, theirs = context.Pipe(duplex=True)
        self._process = context.Process(
            target=serve,
            args=(self.settings, self.routes, theirs, self.ahead, os.getpid()),
            name="redis-kafka-bridge-reader",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._conn = ours

    def wait_started(self, timeout: float = 60.0) -> None:
        """Until the reader has imported its modules and connected to Redis (its first message)."""
        if not self._conn.poll(timeout) or self.take(0) != []:
            raise ReaderGone(f"the reader process did not start in {timeout:.0f}s ({self._reaped()})")

    def take(self, block_ms: int | None) -> list[Outgoing]:
        """The next routed batch (plain tuples in `Outgoing`'s order), or [] after `block_ms`."""
        try:
            if not self._conn.poll((block_ms or 0) / 1000):
                return []
            return marshal.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            raise ReaderGone(f"the reader process exited ({self._reaped()})") from None

    def acknowledged(self, count: int) -> None:
        try:
            self._conn.send_bytes(marshal.dumps(count))
        except OSError:
            raise ReaderGone(f"the reader process exited ({self._reaped()})") from None

    def _reaped(self) -> str:
        """Its exit code, once it has exited: its end of the pipe closes a moment before."""
        if self._process is not None:
            self._process.join(5)
        if self._process is None or self._process.exitcode is None:
            return "still running"
        return f"exit code {self._process.exitcode}"

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        self._conn.close()  # it stops at its next look at the pipe
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()


class _Handover:
    """The reader's end of the pipe: what it handed over and the sending half has not acknowledged."""

    def __init__(self, conn, ahead: int, stopping: Callable[[], bool]):
        self.conn, self.ahead, self.stopping = conn, ahead, stopping
        self.outstanding = 0

    def hear(self, timeout: float) -> None:
        """Count the acknowledgements that arrived, waiting up to `timeout` for the first."""
        while self.conn.poll(timeout):
            self.outstanding -= marshal.loads(self.conn.recv_bytes())  # EOFError: the bridge is gone
            timeout = 0

    def ship(self, batch: list[Outgoing]) -> None:
        while self.outstanding >= self.ahead:
            if self.stopping():
                return  # not handed over: pending in Redis, recovered at the next start
            self.hear(0.5)
        self.conn.send_bytes(marshal.dumps([tuple(out) for out in batch]))
        self.outstanding += len(batch)


def serve(settings: Settings, routes: dict[str, Route], conn, ahead: int, parent: int) -> None:
    """The reader process: recover this consumer's pending entries, then read new ones, reclaiming
    dead consumers' entries every claim_idle_ms; through Redis outages, until stopped or orphaned."""
    _die_with(parent)
    configure_logging(settings.log_level)
    stop = StopSignal()
    guard = outage_guard("redis-kafka-bridge reader", settings, stop)
    reader = EntryReader(
        connect_redis(settings),
        routes,
        group=settings.redis_group,
        consumer=settings.redis_consumer,
        batch_count=settings.batch_count,
        claim_idle_ms=settings.claim_idle_ms,
    )
    handover = _Handover(conn, ahead, lambda: stop.requested)
    try:
        conn.send_bytes(marshal.dumps([]))  # started (`ReaderProcess.wait_started`)
        recovered = run_until_up(guard, stop, lambda: (reader.ensure_groups(), list(reader.pending()))[1])
        for page in recovered or []:
            handover.ship(page)
        log.info("recovered %d pending entries", sum(map(len, recovered or [])))
        while not stop.requested:
            handover.hear(0)
            if handover.outstanding >= ahead:
                handover.hear(0.5)
            elif reader.claim_due():
                if handover.outstanding:  # every entry handed over acknowledged first (module docstring)
                    handover.hear(0.5)
                    continue
                claimed = guard.run(lambda: list(reader.reclaim())) or []
                for batch in claimed:
                    handover.ship(batch)
                if claimed:
                    log.info("reclaimed %d entries of dead consumers", sum(map(len, claimed)))
            else:
                batch = guard.run(lambda: reader.read_new(settings.block_ms))
                if batch:
                    handover.ship(batch)
    except (EOFError, BrokenPipeError):
        log.info("the bridge has gone: the reader stops (what it handed over stays pending)")
    finally:
        conn.close()


def _die_with(parent: int) -> None:
    """SIGKILL this process when its parent dies, however it dies (Linux); elsewhere the closed pipe
    tells it at its next read."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        log.debug("no prctl here: the reader stops when it finds the pipe closed")
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)
