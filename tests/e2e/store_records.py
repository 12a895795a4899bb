"""What a simulated day left on its topics, read the same way by every end-to-end test: each valid
record once, and per customer what was taken off the shelves and what was paid for."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from smart_shelf.contracts import (
    REMOVAL_CUSTOMER,
    RESTOCK_CUSTOMER,
    InvalidEvent,
    PosTransaction,
    ShelfEvent,
    parse_event,
)
from tests.conftest import read_to_end

BOTS = {RESTOCK_CUSTOMER, REMOVAL_CUSTOMER}


def valid_records(settings, topic: str, model, id_field: str) -> list:
    """Every valid record of the topic, once per id (poison left out)."""
    valid = {}
    for record in read_to_end(settings, topic):
        try:
            event = parse_event(model, record.value)
        except InvalidEvent:
            continue
        valid[getattr(event, id_field)] = event
    return list(valid.values())


def taken(events: Iterable[ShelfEvent]) -> dict[str, Counter]:
    """Per customer (the bots left out), units picked up less units put back, per item."""
    net: dict[str, Counter] = defaultdict(Counter)
    for e in events:
        if e.customer_id not in BOTS and e.event_type in ("pickup", "putback"):
            net[e.customer_id][e.item_id] += e.quantity * (1 if e.event_type == "pickup" else -1)
    return net


def paid(transactions: Iterable[PosTransaction]) -> dict[str, Counter]:
    """Per customer, units paid for, per item."""
    bought: dict[str, Counter] = defaultdict(Counter)
    for t in transactions:
        for item in t.items:
            bought[t.customer_id][item.item_id] += item.quantity
    return bought


def gone_by(sessions: Iterable[dict], moment: datetime) -> set[str]:
    """Customers whose visit ended by `moment` (foot_traffic sessions)."""
    return {s["customer_id"] for s in sessions if datetime.fromisoformat(s["exit_time"]) <= moment}


def kept_and_paid(
    taken_: dict[str, Counter], paid_: dict[str, Counter], customers: set[str]
) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Of these customers, what each kept (taken and not put back; those who kept nothing left out)
    and what each was billed (everyone with a transaction, so a bill for nothing shows as one):
    equal when every one was billed as they took."""
    kept = {c: +items for c, items in taken_.items() if +items and c in customers}
    return kept, {c: +items for c, items in paid_.items() if c in customers}
