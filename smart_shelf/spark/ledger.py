"""Ledgers kept in Structured Streaming state: exactly once, whatever is killed when.

    events (parsed, deduplicated by event_id)
      -> groupBy(ledger key).applyInPandasWithState      state store: one ledger document per key
      -> foreachBatch: publish the changed state rows to the compacted state topic (keyed by the
         state's keys) and the raised alerts to `alerts`
    state topic -> the state table's mirror query: MERGE the latest row per key into Delta
         (txnAppId/txnVersion = query/batch), on its own, slower trigger

The topic is the ledger's output and the Delta table follows it: a Delta MERGE costs seconds
whatever its size, so it is kept off the path from an event to its effect on the topic.

A ledger is a small pure object (a job's `rules.py`): `apply(reading) -> alerts`, `changed()` (the
state rows its readings moved), `dumps()`/`loads()`. The state store and the Kafka offsets commit
together at the end of a micro-batch; a batch replayed after a crash starts from the previous state
and yields the same rows, which Delta skips (same txn version) and the compacted topics absorb
(same value per key). A key's first ledger is opened from the opening balances (`open_ledger`), which
are published once, before the ledger's first micro-batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

from smart_shelf import delta_tables
from smart_shelf.contracts import Alert, Event, to_json, topic_contract
from smart_shelf.settings import Settings
from smart_shelf.spark.delta_io import upsert
from smart_shelf.spark.io import publish, read_topic, upsert_postgres
from smart_shelf.spark.schemas import struct_type
from smart_shelf.spark.session import checkpoint_path, delta_path, trigger

log = logging.getLogger(__name__)

OUTPUT_SCHEMA = "kind string, key string, value string"
STATE_SCHEMA = "ledger string"
# Within one micro-batch a key's readings are applied in event time, then Kafka order.
ORDER_COLUMNS = ["event_us", "partition", "offset"]


class Ledger(Protocol):
    def apply(self, reading: Any) -> list[Event]: ...  # alerts, and events for `events_topic`

    def changed(self) -> list[Event]: ...

    def dumps(self) -> str: ...

    @classmethod
    def loads(cls, text: str) -> Ledger: ...


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
    keys: tuple[str, ...]  # the state table's keys (the topic's key is its contract's)
    state_path: str
    state_topic: str
    alerts_topic: str
    events_topic: str | None = None  # where the non-alert events a ledger emits go (e.g. wh_events)
    pg_table: str | None = None  # the Postgres copy of the state table, upserted by the mirror
    pg_update_when: str | None = None


def open_copy(opening: Mapping[str, Ledger], key: str) -> Ledger | None:
    """The key's opening ledger as a copy (never the shared one), or None for a key the store lacks."""
    ledger = opening.get(key)
    return None if ledger is None else type(ledger).loads(ledger.dumps())


def present(value):
    """pandas gives NaN/NaT for a missing value: None instead."""
    return None if value is None or value != value else value


def ledger_sink(settings: Settings, job: str, table: str, state_topic: str) -> LedgerSink:
    """The sink of a ledger kept in delta/cleansed/<table>: its contract and keys from delta_tables."""
    spec = delta_tables.table("cleansed", table)
    return LedgerSink(
        job=job,
        query=table,
        model=spec.model,
        keys=spec.keys,
        state_path=delta_path(settings, "cleansed", table),
        state_topic=state_topic,
        alerts_topic=settings.topic_alerts,
    )


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
    frame = pd.concat(list(frames), ignore_index=True)
    order = np.lexsort([frame[c].to_numpy() for c in reversed(ORDER_COLUMNS)])
    rows = frame.iloc[order].itertuples(index=False, name="Reading")
    emitted = [e for row in rows for e in ledger.apply(rules.reading(row))]
    state.update((ledger.dumps(),))
    out = [("state", None, to_json(row)) for row in ledger.changed()]
    out += [
        ("alert", e.alert_id, to_json(e)) if isinstance(e, Alert) else ("event", None, to_json(e))
        for e in emitted
    ]
    if out:
        yield pd.DataFrame(out, columns=["kind", "key", "value"])


def write_ledger_batch(sink: LedgerSink, settings: Settings, out: DataFrame, batch_id: int) -> None:
    """One micro-batch of ledger output: state rows to the state topic, alerts to the alerts topic."""
    out = out.persist()
    kinds = {row["kind"]: row["count"] for row in out.groupBy("kind").count().collect()}
    # state rows first: a plan is on its topic before the picks that act on it
    if kinds.get("state"):
        publish(_keyed(out, "state", sink.model, sink.state_topic), settings, sink.state_topic)
    if kinds.get("alert"):
        publish(out.where(F.col("kind") == "alert"), settings, sink.alerts_topic)
    if kinds.get("event"):
        if sink.events_topic is None:
            raise ValueError(f"{sink.job}: the ledger emitted events but the sink has no events_topic")
        model = topic_contract(sink.events_topic).model
        publish(_keyed(out, "event", model, sink.events_topic), settings, sink.events_topic)
    out.unpersist()


def _keyed(out: DataFrame, kind: str, model: type[Event], topic: str) -> DataFrame:
    """The rows of one kind as (key, value), the key built from the payload's fields that key the
    topic in its contract."""
    keys = topic_contract(topic).key
    rows = out.where(F.col("kind") == kind).select(
        F.from_json("value", struct_type(model)).alias("r"), "value"
    )
    return rows.select(F.concat_ws("::", *(F.col(f"r.{k}") for k in keys)).alias("key"), "value")


def mirror_batch(sink: LedgerSink, settings: Settings, records: DataFrame, batch_id: int) -> None:
    """State topic records -> the latest row per table key -> MERGE into the Delta state table, once
    (and upsert into its Postgres copy). A row's records share a topic key, so one partition: the
    offset orders them."""
    parsed = records.select(F.from_json("value", struct_type(sink.model)).alias("r"), "partition", "offset")
    latest = Window.partitionBy(*(F.col(f"r.{k}") for k in sink.keys)).orderBy(
        F.col("partition").desc(), F.col("offset").desc()
    )
    rows = parsed.withColumn("_n", F.row_number().over(latest)).where("_n = 1").select("r.*").persist()
    upsert(sink.state_path, rows, sink.keys, app_id=f"{sink.job}/{sink.query}_table", version=batch_id)
    if sink.pg_table is not None:
        # oldest first: a plan is closed in Postgres before the next one of its shelf opens
        order = "created_at" if "created_at" in sink.model.model_fields else sink.keys[0]
        refused = []  # a row a constraint refuses stays in Delta; it must not stop the mirror
        upsert_postgres(
            rows.orderBy(order), settings, sink.pg_table, list(sink.keys), update_when=sink.pg_update_when,
            on_reject=lambda row, why: refused.append((row[0], why)),
        )  # fmt: skip
        if refused:
            log.error(
                "%s: %d rows refused by %s (kept in %s), first %s: %s",
                sink.job, len(refused), sink.pg_table, sink.state_path, *refused[0],
            )  # fmt: skip
    rows.unpersist()


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


def start_ledger(
    spark: SparkSession,
    settings: Settings,
    readings: DataFrame,
    key_column: str,
    rules: LedgerRules,
    sink: LedgerSink,
    opening: Sequence[Event],
) -> list[StreamingQuery]:
    """The ledger query and the state table's mirror query; before the ledger's first micro-batch
    the opening balances go to the state topic (and from there to the table)."""
    if not _committed_any(checkpoint_path(settings, sink.job, sink.query)):
        publish_rows(spark, settings, sink, opening)
        log.info("%s: %d opening rows published to %s", sink.job, len(opening), sink.state_topic)
    ledger = start_ledger_query(readings, key_column, rules, sink, settings)
    records = read_topic(spark, settings, sink.state_topic, starting_offsets="earliest")
    mirror = (
        records.writeStream.foreachBatch(partial(mirror_batch, sink, settings))
        .option("checkpointLocation", checkpoint_path(settings, sink.job, f"{sink.query}_table"))
        .trigger(**trigger(settings, settings.delta_trigger_seconds))
        .queryName(f"{sink.job}-{sink.query}_table")
        .start()
    )
    return [ledger, mirror]


def publish_rows(spark: SparkSession, settings: Settings, sink: LedgerSink, rows: Sequence[Event]) -> None:
    if not rows:
        return
    contract = topic_contract(sink.state_topic)
    values = [(contract.key_of(r.model_dump(mode="json")), to_json(r)) for r in rows]
    publish(spark.createDataFrame(values, "key string, value string"), settings, sink.state_topic)


def _committed_any(checkpoint: str) -> bool:
    commits = Path(checkpoint) / "commits"
    return commits.is_dir() and any(p.name.isdigit() for p in commits.iterdir())
