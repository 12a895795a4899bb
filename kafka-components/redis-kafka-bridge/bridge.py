"""The bridge loop: XREADGROUP a batch, send it through an idempotent producer, XACK what Kafka stored.

An entry is acknowledged only after Kafka acknowledged its record, so a crash at any point leaves
it pending; on start and every `claim_idle_ms` the bridge takes over entries left pending by any
consumer (XAUTOCLAIM). The duplicates this can cause downstream are dropped there by `event_id`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from kafka import KafkaProducer

from kafka_components.redis_kafka_bridge.routing import Outgoing, Route, route_entry

log = logging.getLogger(__name__)


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
        """One batch: read new entries, forward, acknowledge. Returns how many were acknowledged."""
        if time.monotonic() - self._last_claim > self.claim_idle_ms / 1000:
            self.reclaim_idle()
        response = self.redis.xreadgroup(
            self.group,
            self.consumer,
            {s: ">" for s in self.routes},
            count=self.batch_count,
            block=self.block_ms,
        )
        entries = [(stream, entry) for stream, items in response or [] for entry in items]
        return self._forward(entries) if entries else 0

    def _forward(self, entries: list[tuple[str, tuple[str, dict]]]) -> int:
        now = self.now()
        outgoing: list[tuple[str, Outgoing]] = [
            (stream, route_entry(self.routes[stream], entry_id, fields, now))
            for stream, (entry_id, fields) in entries
        ]
        sent = [(stream, out, self._send(out)) for stream, out in outgoing]
        self.producer.flush(timeout=self.send_timeout_s)
        acked: dict[str, list[str]] = {}
        for stream, out, future in sent:
            try:
                if isinstance(future, Exception):
                    raise future
                future.get(timeout=self.send_timeout_s)
            except Exception as exc:  # stays pending: retried by recover_pending / reclaim_idle
                self.stats.send_failures += 1
                log.warning(
                    "send of %s %s to %s failed, left pending: %s", stream, out.entry_id, out.topic, exc
                )
                continue
            if out.dead_letter:
                self.stats.dead_letters += 1
                log.warning("dead letter from %s entry %s -> %s", stream, out.entry_id, out.topic)
            else:
                self.stats.forwarded += 1
            acked.setdefault(stream, []).append(out.entry_id)
        for stream, ids in acked.items():
            self.redis.xack(stream, self.group, *ids)
        return sum(len(ids) for ids in acked.values())

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
