"""What an operations ledger (an alert engine, the restock manager) reads: one record of one of its
topics, already keyed to a shelf and ordered by event time. Spark (`smart_shelf.spark.ops`) and the
history engine both feed the same rules with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OpsReading:
    kind: str  # which feed: a state row, a plan, an event, a policy
    timestamp: datetime
    body: dict  # the record as its contract's JSON
