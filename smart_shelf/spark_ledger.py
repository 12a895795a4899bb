"""Ledgers kept in Structured Streaming state: exactly once, whatever is killed when.

    events (parsed, deduplicated by event_id)
      -> groupBy(ledger key).applyInPandasWithState      state store: one ledger document per key
      -> foreachBatch: MERGE the changed state rows into Delta (txnAppId/txnVersion = query/batch),
         publish them to the compacted state topic and the raised alerts to `alerts`

A ledger is a small pure object (a job's `rules.py`): `apply(reading) -> alerts`, `changed()` (the
state rows its readings moved), `dumps()`/`loads()`. The state store and the Kafka offsets commit
together at the end of a micro-batch; a batch replayed after a crash starts from the previous state
and yields the same rows, which Delta skips (same txn version) and the compacted topics absorb
(same value per key). A key's first ledger is opened from the opening balances (`open_ledger`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Protocol

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

from smart_shelf.contracts import Alert, Event, to_json
from smart_shelf.delta_io import upsert
from smart_shelf.settings import Settings
from smart_shelf.spark import checkpoint_path, trigger
from smart_shelf.spark_io import append_delta, publish
from smart_shelf.spark_schemas import struct_type

log = logging.getLogger(__name__)

OUTPUT_SCHEMA = "kind string, key string, value string"
STATE_SCHEMA = "ledger string"
# Within one micro-batch a key's readings are applied in event time, then Kafka order.
ORDER_COLUMNS = ["event_us", "partition", "offset"]


class Ledger(Protocol):
    def apply(self, reading: Any) -> list[Alert]: ...

    def changed(self) -> list[Event]: ...

    def dumps(self) -> str: ...


@dataclass(frozen=True)
class LedgerRules:
    """What the state function needs on the executors (picklable: module functions and data)."""

    open_ledger: Callable[[str], Ledger | None]  # None: a key the store does not have
    load_ledger: Callable[[str], Ledger]
    reading: Callable[[Any], Any]  # a row of the input frame -> the rules' reading


@dataclass(frozen=True)
class LedgerSink:
    job: str
    query: str
    model: type[Event]  # the state rows' contract
    keys: tuple[str, ...]  # the state table's keys, also the topic key
    state_path: str
    state_topic: str
    alerts_topic: str


def event_time_us(column: str = "event.timestamp") -> F.Column:
    """Event time from the payload as microseconds since the epoch (the ordering column)."""
    return F.unix_micros(F.col(column))


def utc(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def update_ledger(
    rules: LedgerRules, key: tuple, frames: Iterator[pd.DataFrame], state: GroupState
) -> Iterator[pd.DataFrame]:
    """applyInPandasWithState's function: one key's new readings -> its changed rows and alerts."""
    ledger = rules.load_ledger(state.get[0]) if state.exists else rules.open_ledger(key[0])
    if ledger is None:
        return  # refused by the job's raw query ("unknown shelf"), which quarantines it
    readings = pd.concat(list(frames), ignore_index=True).sort_values(ORDER_COLUMNS, kind="stable")
    alerts = [a for row in readings.itertuples(index=False) for a in ledger.apply(rules.reading(row))]
    state.update((ledger.dumps(),))
    out = [("state", None, to_json(row)) for row in ledger.changed()]
    out += [("alert", a.alert_id, to_json(a)) for a in alerts]
    if out:
        yield pd.DataFrame(out, columns=["kind", "key", "value"])


def write_ledger_batch(sink: LedgerSink, settings: Settings, out: DataFrame, batch_id: int) -> None:
    """One micro-batch of ledger output to Delta (once per batch) and to the state and alert topics."""
    out = out.persist()
    states = out.where(F.col("kind") == "state")
    rows = states.select(F.from_json("value", struct_type(sink.model)).alias("r")).select("r.*")
    upsert(sink.state_path, rows, sink.keys, app_id=f"{sink.job}/{sink.query}", version=batch_id)
    key = F.concat_ws("::", *(F.col(f"r.{k}") for k in sink.keys))
    keyed = states.select(F.from_json("value", struct_type(sink.model)).alias("r"), "value")
    publish(keyed.select(key.alias("key"), "value"), settings, sink.state_topic)
    publish(out.where(F.col("kind") == "alert"), settings, sink.alerts_topic)
    out.unpersist()


def start_ledger_query(
    readings: DataFrame, key_column: str, rules: LedgerRules, sink: LedgerSink, settings: Settings
) -> StreamingQuery:
    """readings: deduplicated events with key_column and ORDER_COLUMNS, as `rules.reading` expects."""
    output = readings.groupBy(key_column).applyInPandasWithState(
        partial(update_ledger, rules),
        OUTPUT_SCHEMA,
        STATE_SCHEMA,
        "update",
        GroupStateTimeout.NoTimeout,
    )
    return (
        output.writeStream.outputMode("update")
        .foreachBatch(partial(write_ledger_batch, sink, settings))
        .option("checkpointLocation", checkpoint_path(settings, sink.job, sink.query))
        .trigger(**trigger(settings))
        .queryName(f"{sink.job}-{sink.query}")
        .start()
    )


def open_state(spark: SparkSession, sink: LedgerSink, settings: Settings, opening: Sequence[Event]) -> None:
    """An empty state table starts from the opening balances; then the whole table is published, so
    the compacted topic holds every key (also after a crash between the two)."""
    table = spark.read.format("delta").load(sink.state_path)
    if table.isEmpty() and opening:
        schema = struct_type(sink.model)
        rows = [tuple(row.model_dump()[f.name] for f in schema.fields) for row in opening]
        append_delta(spark.createDataFrame(rows, schema), sink.state_path, f"{sink.job}/opening", 0)
        log.info("%s: %d opening rows in %s", sink.job, len(rows), sink.state_path)
        table = spark.read.format("delta").load(sink.state_path)
    key = F.concat_ws("::", *(F.col(k) for k in sink.keys))
    value = F.to_json(F.struct(*table.columns))
    publish(table.select(key.alias("key"), value.alias("value")), settings, sink.state_topic)
