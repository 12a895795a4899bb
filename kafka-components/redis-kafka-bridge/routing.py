"""Pure routing of one Redis stream entry: to its topic (validated, keyed) or to the dead letters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from smart_shelf.contracts import (
    STREAM_DATA_FIELD,
    STREAM_KEY_FIELD,
    DeadLetter,
    Event,
    InvalidEvent,
    dead_letter_topic,
    key_of,
    parse_event,
    to_json,
    topic_contract,
)

# how much of a payload a dead letter keeps when Kafka refused the record (too large, most likely):
# far below the 1 MB a Kafka record may be by default, even in four-byte characters
REFUSED_RAW_CHARS = 64 * 1024


@dataclass(frozen=True)
class Route:
    stream: str
    topic: str
    model: type[Event]
    dead_letter_topic: str
    key_fields: tuple[str, ...] = ()


class Outgoing(NamedTuple):
    """One Kafka record to send for one stream entry (a plain tuple: it crosses a pipe, marshalled)."""

    stream: str
    entry_id: str
    topic: str
    key: str | None
    value: str
    dead_letter: bool


def parse_stream_topic_map(text: str) -> dict[str, str]:
    """'a=b,c:d=e' -> {'a': 'b', 'c:d': 'e'}; every pair must name a stream and a topic."""
    mapping = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        stream, sep, topic = pair.partition("=")
        if not sep or not stream.strip() or not topic.strip():
            raise ValueError(f"STREAM_TOPIC_MAP entry {pair!r} is not stream=topic")
        mapping[stream.strip()] = topic.strip()
    if not mapping:
        raise ValueError("STREAM_TOPIC_MAP is empty")
    return mapping


def routes_for(mapping: dict[str, str]) -> dict[str, Route]:
    """Routes for the contract topics named in the mapping (or `<namespace>.<topic>`); others are refused."""
    routes = {}
    for stream, topic in mapping.items():
        try:
            contract = topic_contract(topic)
        except KeyError:
            raise ValueError(f"STREAM_TOPIC_MAP names a topic with no contract: {topic!r}") from None
        routes[stream] = Route(stream, topic, contract.model, dead_letter_topic(topic), contract.key)
    return routes


def route_entry(route: Route, entry_id: str, fields: dict[str, str], now: datetime) -> Outgoing:
    """Validate an entry's `data` against its topic's contract; invalid entries become dead letters."""
    raw = fields.get(STREAM_DATA_FIELD)
    key = fields.get(STREAM_KEY_FIELD) or None
    try:
        if raw is None:
            raise InvalidEvent(f"entry has no '{STREAM_DATA_FIELD}' field (fields: {sorted(fields)})")
        event = parse_event(route.model, raw)
    except InvalidEvent as exc:
        letter = DeadLetter(
            source=route.stream,
            reason=exc.reason,
            raw=raw if raw is not None else json.dumps(fields),
            key=key,
            failed_at=now,
        )
        return Outgoing(route.stream, entry_id, route.dead_letter_topic, key, to_json(letter), True)
    key = key or key_of({f: getattr(event, f) for f in route.key_fields}, route.key_fields)
    return Outgoing(route.stream, entry_id, route.topic, key, raw, False)


def refused_by_kafka(route: Route, out: Outgoing, error: str, now: datetime) -> Outgoing | None:
    """A record Kafka refused for good (not an outage: e.g. larger than it takes) as a dead letter with
    the reason and the payload cut to REFUSED_RAW_CHARS; a refused dead letter is cut the same way.
    None for a dead letter already that short: there is nothing left to cut, Kafka refuses the topic."""
    before = json.loads(out.value) if out.dead_letter else None
    raw = before["raw"] if before else out.value
    if before and len(raw) <= REFUSED_RAW_CHARS:
        return None
    cut = raw[:REFUSED_RAW_CHARS]
    reason = f"Kafka refused the record ({error}); the first {len(cut):,} of its {len(raw):,} characters kept"
    letter = DeadLetter(
        source=route.stream,
        reason=f"{before['reason']}; then {reason}" if before else reason,
        raw=cut,
        key=out.key,
        failed_at=now,
    )
    return Outgoing(out.stream, out.entry_id, route.dead_letter_topic, out.key, to_json(letter), True)
