"""The bridge loop: XREADGROUP a batch, send it through an idempotent producer, XACK what Kafka stored.

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

from kafka_components.redis_kafka_bridge.routing import Outgoing, Route, route_entry
from smart_shelf.retry import DependencyUnavailable, outage_of

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
    ):
        self.redis, self.producer, self.routes = client, producer, routes
        self.group, self.consumer = group, consumer
        self.batch_count, self.block_ms, self.claim_idle_ms = batch_count, block_ms, claim_idle_ms
        self.send_timeout_s = send_timeout_s
        self.now = now
        self.stats = BridgeStats()
        self._last_claim = 0.0
        self._in_flight: list[tuple[str, Outgoing, object]] = []  # sent, not yet settled
        self._to_ack: dict[str, list[str]] = {}  # stored by Kafka, not yet XACKed
        self._resend = False  # a send failed: re-read this consumer's pending entries

    def ensure_groups(self) -> None:
        """Create the consumer group on every stream (from the start, creating the stream if needed)."""
        for stream in self.routes:
            try:
                self.redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def recover_pending(self) -> int:
        """Forward entries this consumer read but never acknowledged (a previous crash)."""
        total = 0
        while True:
            response = self.redis.xreadgroup(
                self.group, self.consumer, {s: "0" for s in self.routes}, count=self.batch_count
            )
            entries = [(stream, e) for stream, items in response for e in items if e[1]]
            if not entries:
                return total
            total += self._forward(entries)

    def reclaim_idle(self) -> int:
        """Take over entries pending on other (dead) consumers for longer than claim_idle_ms."""
        claimed = 0
        for stream in self.routes:
            cursor = "0-0"
            while True:
                cursor, entries, *_ = self.redis.xautoclaim(
                    stream, self.group, self.consumer, self.claim_idle_ms, cursor, count=self.batch_count
                )
                live = [(stream, e) for e in entries if e and e[1]]
                if live:
                    claimed += self._forward(live)
                if cursor == "0-0":
                    break
        self.stats.reclaimed += claimed
        self._last_claim = time.monotonic()
        return claimed

    def poll_once(self) -> int:
        """One batch: read new entries, forward, acknowledge. Returns how many were acknowledged.
        After an outage, first finishes what it had started (records in flight, pending XACKs,
        entries whose send failed)."""
        if self._in_flight or self._to_ack:
            return self._settle()
        if self._resend:
            self._resend = False
            return self.recover_pending()
        if time.monotonic() - self._last_claim > self.claim_idle_ms / 1000:
            self.reclaim_idle()
        entries = self._read_new(self.block_ms)
        if not entries:
            return 0
        refused = self._send_all(entries)
        # a backlog: read the next batches while the producer sends these, then wait for Kafka once
        for _ in range(READS_PER_SETTLE - 1):
            if refused or len(entries) < self.batch_count:
                break
            entries = self._read_new(None)
            if not entries:
                break
            refused = self._send_all(entries)
        return self._settle()

    def _read_new(self, block_ms: int | None) -> list[tuple[str, tuple[str, dict]]]:
        response = self.redis.xreadgroup(
            self.group, self.consumer, {s: ">" for s in self.routes}, count=self.batch_count, block=block_ms
        )
        return [(stream, entry) for stream, items in response or [] for entry in items]

    def _forward(self, entries: list[tuple[str, tuple[str, dict]]]) -> int:
        self._send_all(entries)
        return self._settle()

    def _send_all(self, entries: list[tuple[str, tuple[str, dict]]]) -> bool:
        """Sends the entries' records; True when the producer refused one for want of metadata."""
        now = self.now()
        for stream, (entry_id, fields) in entries:
            out = route_entry(self.routes[stream], entry_id, fields, now)
            sent = self._send(out)
            self._in_flight.append((stream, out, sent))
            if isinstance(sent, KafkaTimeoutError):
                # no metadata for the topic: Kafka did not answer (an outage to `outage_of`); each
                # further send would wait as long, so the rest stay pending
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
        outage = None
        for stream, out, future in self._in_flight:
            error = future if isinstance(future, Exception) else future.exception
            if error is not None:  # the entry stays pending and is sent again
                self.stats.send_failures += 1
                self._resend = True
                outage = outage or (error if outage_of(error) else None)
                log.warning(
                    "send of %s %s to %s failed, left pending: %s", stream, out.entry_id, out.topic, error
                )
                continue
            if out.dead_letter:
                self.stats.dead_letters += 1
                log.warning("dead letter from %s entry %s -> %s", stream, out.entry_id, out.topic)
            else:
                self.stats.forwarded += 1
            self._to_ack.setdefault(stream, []).append(out.entry_id)
        self._in_flight = []
        acked = 0
        for stream in list(self._to_ack):
            ids = self._to_ack[stream]
            self.redis.xack(stream, self.group, *ids)  # Redis away: kept, acknowledged when it is back
            del self._to_ack[stream]
            acked += len(ids)
        if outage is not None:
            raise DependencyUnavailable("kafka", f"send failed: {outage}")
        return acked

    def _send(self, out: Outgoing):
        """The send's future, or the exception when the producer refused it outright (no metadata)."""
        try:
            return self.producer.send(out.topic, key=out.key, value=out.value)
        except Exception as exc:
            return exc

    def lag(self) -> dict[str, int]:
        """Entries not yet delivered to the group plus those delivered but not acknowledged, per stream."""
        out = {}
        for stream in self.routes:
            for info in self.redis.xinfo_groups(stream):
                if info["name"] == self.group:
                    out[stream] = int(info.get("lag") or 0) + int(info.get("pending") or 0)
        return out
