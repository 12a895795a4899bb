"""The bridge loop: XREADGROUP a batch, send it through an idempotent producer, XACK what Kafka stored.
The reading (XREADGROUP, validation, routing) is reader.py's, in the service in a process of its own.

An entry is acknowledged only after Kafka acknowledged its record, so a crash at any point leaves
it pending; on start and every `claim_idle_ms` the bridge takes over entries left pending by any
consumer (XAUTOCLAIM). The duplicates this can cause downstream are dropped there by `event_id`.

Outages: when Kafka does not acknowledge a batch in `send_timeout_s`, its records stay in flight (the
producer retries them for ever, in order, under one idempotent sequence) and their entries pending;
`poll_once` raises `DependencyUnavailable` and, called again, first waits for those records before
reading anything new, so a record is never sent twice because Kafka was away. A send the producer
refuses because Kafka never told it where the topic is (Kafka went away before the bridge's first
record to it; the producer waits its `max_block_ms` for that) is an outage too: the batch's other
entries are not sent, they stay pending and go again after it. When Redis is away, entries Kafka
already stored are acknowledged once Redis is back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from kafka_components.redis_kafka_bridge.reader import EntryReader, ReaderProcess
from kafka_components.redis_kafka_bridge.routing import Outgoing, Route, refused_by_kafka
from smart_shelf.retry import DependencyUnavailable, outage_of
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)
# With a backlog, up to this many XREADGROUP batches are sent before waiting for Kafka's acks: each
# wait is a round trip in which the producer sends nothing.
READS_PER_SETTLE = 8


@dataclass
class BridgeStats:
    forwarded: int = 0
    dead_letters: int = 0
    send_failures: int = 0
    reclaimed: int = 0
    started: float = field(default_factory=time.monotonic)


class RedisKafkaBridge:
    """The sending half, reading through `reader` between sends, or taking what a `ReaderProcess`
    (`feed`) read and routed in a process of its own (the service)."""

    def __init__(
        self,
        client: redis.Redis,
        producer: KafkaProducer,
        routes: dict[str, Route],
        *,
        group: str,
        consumer: str,
        batch_count: int = 500,
        block_ms: int = 1000,
        claim_idle_ms: int = 60000,
        send_timeout_s: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        feed: ReaderProcess | None = None,
    ):
        self.redis, self.producer, self.routes = client, producer, routes
        self.group, self.consumer = group, consumer
        self.batch_count, self.block_ms = batch_count, block_ms
        self.send_timeout_s, self.now = send_timeout_s, now
        self.reader = EntryReader(
            client, routes, group=group, consumer=consumer, batch_count=batch_count,
            claim_idle_ms=claim_idle_ms, now=now,
        )  # fmt: skip
        self.feed = feed
        self.stats = BridgeStats()
        self._in_flight: list[tuple[Outgoing, object]] = []  # sent, not yet settled
        self._to_ack: dict[str, list[str]] = {}  # stored by Kafka, not yet XACKed
        # refused or failed, in their order: sent again before anything new (their entries pending)
        self._unsent: list[Outgoing] = []

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        client: redis.Redis,
        producer: KafkaProducer,
        routes: dict[str, Route],
        feed: ReaderProcess | None = None,
    ) -> RedisKafkaBridge:
        """The bridge with the group, consumer, batch size and timeouts of `settings`: the ones its
        reader process (`ReaderProcess(settings, routes)`) reads with."""
        return cls(
            client, producer, routes, group=settings.redis_group, consumer=settings.redis_consumer,
            batch_count=settings.batch_count, block_ms=settings.block_ms,
            claim_idle_ms=settings.claim_idle_ms, send_timeout_s=settings.send_timeout_s, feed=feed,
        )  # fmt: skip

    def ensure_groups(self) -> None:
        self.reader.ensure_groups()

    def recover_pending(self) -> int:
        """Forward entries this consumer read but never acknowledged (a previous crash)."""
        return sum(self._forward(page) for page in self.reader.pending())

    def reclaim_idle(self) -> int:
        """Take over entries pending on other (dead) consumers for longer than claim_idle_ms."""
        claimed = sum(self._forward(batch) for batch in self.reader.reclaim())
        self.stats.reclaimed += claimed
        return claimed

    def poll_once(self) -> int:
        """One batch: read new entries, forward, acknowledge. Returns how many were acknowledged.
        After an outage, first finishes what it had started (records in flight, pending XACKs,
        records Kafka refused)."""
        if self._in_flight or self._to_ack:
            return self._settle()
        if self._unsent:
            return self._forward(self._take_unsent())
        if self.feed is None and self.reader.claim_due():
            self.reclaim_idle()
        batch = self._take(self.block_ms)
        if not batch:
            return 0
        refused = self._send_all(batch)
        # a backlog: read the next batches while the producer sends these, then wait for Kafka once
        for _ in range(READS_PER_SETTLE - 1):
            if refused or len(batch) < self.batch_count:
                break
            batch = self._take(None)
            if not batch:
                break
            refused = self._send_all(batch)
        return self._settle()

    def _take(self, block_ms: int | None) -> list[Outgoing]:
        return self.feed.take(block_ms) if self.feed else self.reader.read_new(block_ms)

    def _take_unsent(self) -> list[Outgoing]:
        batch, self._unsent = self._unsent, []
        return batch

    def _forward(self, batch: list[Outgoing]) -> int:
        self._send_all(batch)
        return self._settle()

    def _send_all(self, batch: list[Outgoing]) -> bool:
        """Sends the batch's records; True when the producer refused one for want of the topic's
        metadata (Kafka did not answer: an outage to `outage_of`). Each further send would wait as
        long: the rest wait in `_unsent`."""
        send, in_flight = self.producer.send, self._in_flight
        for n, out in enumerate(batch):
            _, _, topic, key, value, _ = out  # a plain tuple when it came over the pipe
            try:
                in_flight.append((out, send(topic, key=key, value=value)))
            except Exception as exc:  # refused outright: settled as a failure
                in_flight.append((out, exc))
                if isinstance(exc, KafkaTimeoutError):
                    self._unsent += batch[n + 1 :]
                    return True
        return False

    def _settle(self) -> int:
        """Wait until Kafka has answered for every record in flight, then XACK what it stored."""
        if self._in_flight:
            try:
                self.producer.flush(timeout=self.send_timeout_s)
            except KafkaTimeoutError:
                raise DependencyUnavailable(
                    "kafka", f"{len(self._in_flight)} records not acknowledged in {self.send_timeout_s:.0f}s"
                ) from None
        outage, failed = None, []
        for out, future in self._in_flight:
            stream, entry_id, topic, _, _, dead_letter = out
            error = future if isinstance(future, Exception) else future.exception
            if error is not None:  # the entry stays pending and is sent again
                self.stats.send_failures += 1
                if outage_of(error):
                    log.warning(
                        "send of %s %s to %s failed, left pending: %s", stream, entry_id, topic, error
                    )
                    outage = outage or error
                    failed.append(out)
                else:  # refused for good: as a dead letter (a poison entry must not stop the bridge)
                    log.warning(
                        "Kafka refused %s %s to %s for good, a dead letter next: %s",
                        stream,
                        entry_id,
                        topic,
                        error,
                    )
                    failed.append(self._refused(out, error))
                continue
            if dead_letter:
                self.stats.dead_letters += 1
                log.warning("dead letter from %s entry %s -> %s", stream, entry_id, topic)
            else:
                self.stats.forwarded += 1
            self._to_ack.setdefault(stream, []).append(entry_id)
        self._in_flight = []
        self._unsent = failed + self._unsent
        acked = 0
        for stream in list(self._to_ack):
            ids = self._to_ack[stream]
            self.redis.xack(stream, self.group, *ids)  # Redis away: kept, acknowledged when it is back
            del self._to_ack[stream]
            acked += len(ids)
            if self.feed is not None:
                self.feed.acknowledged(len(ids))
        if outage is not None:
            raise DependencyUnavailable("kafka", f"send failed: {outage}")
        return acked

    def _refused(self, out: Outgoing, error: BaseException) -> Outgoing:
        letter = refused_by_kafka(
            self.routes[out[0]], Outgoing(*out), f"{type(error).__name__}: {error}", self.now()
        )
        if letter is None:
            raise RuntimeError(f"Kafka refuses even a short dead letter to {out[2]}: {error}")
        return letter

    def lag(self) -> dict[str, int]:
        """Entries not yet delivered to the group plus those delivered but not acknowledged, per stream."""
        out = {}
        for stream in self.routes:
            for info in self.redis.xinfo_groups(stream):
                if info["name"] == self.group:
                    out[stream] = int(info.get("lag") or 0) + int(info.get("pending") or 0)
        return out
