"""Ledgers: exactly once, whatever is killed when.

    events (parsed; each record with its dedupe id and Kafka append time)
      -> foreachBatch on the driver: the records not applied before (`first_sightings`: a copy a
         producer re-sent is dropped), their readings in event time then Kafka order, applied to
         one ledger per key (smart_shelf.spark.ledger_store keeps them and the ids it has applied,
         saved with each batch)
      -> the changed state rows to the compacted state topic (keyed by the state's keys), then the
         raised alerts to `alerts` and other events to the sink's events topic
    state topic -> the state table's mirror query: MERGE the latest row per key into Delta (a
         replayed batch MERGEs the same rows again), on its own, slower trigger

The topic is the ledger's output and the Delta table follows it: a Delta MERGE costs seconds
whatever its size, so it is kept off the path from an event to its effect on the topic. The ledgers
are a thousand small documents, so they live on the driver rather than in Spark's state store, and
so do the ids that deduplicate their input: applying a batch costs one Spark job with no shuffle
and no state store (read, parse) and plain Python.

A ledger is a small pure object (a job's `rules.py`): `apply(reading) -> alerts`, `changed()` (the
state rows its readings moved), `dumps()`/`loads()`. A batch run again after a crash starts from the
ledgers saved after the batch before it and yields the same rows, which the compacted topics absorb
(same value per key) and the alert consumers drop (same alert id, same payload). A key's first
ledger is opened from the opening balances (`open_ledger`), which are published once, before the
ledger's first micro-batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
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

from smart_shelf import delta_tables
from smart_shelf.contracts import Alert, Event
from smart_shelf.kafka_client import make_producer, send_events
from smart_shelf.settings import Settings
from smart_shelf.spark.delta_io import upsert
from smart_shelf.spark.io import read_topic, start_batch_query, upsert_postgres
from smart_shelf.spark.ledger_store import LedgerStore
from smart_shelf.spark.schemas import struct_type
from smart_shelf.spark.session import LEDGERS, checkpoint_path, delta_path

log = logging.getLogger(__name__)

# Within one micro-batch a key's readings are applied in event time, then Kafka order.
ORDER_COLUMNS = ["event_us", "partition", "offset"]
# Which record a reading came from: its dedupe id (null: never deduplicated) and Kafka append time.
DEDUPE_COLUMNS = ["dedupe_id", "kafka_us"]


class Ledger(Protocol):
    def apply(self, reading: Any) -> list[Event]: ...  # alerts, and events for `events_topic`

    def changed(self) -> list[Event]: ...

    def dumps(self) -> str: ...

    @classmethod
    def loads(cls, text: str) -> Ledger: ...


@dataclass(frozen=True)
class LedgerRules:
    """How a job's ledgers open, load and read (module functions and data)."""

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


def kafka_time_us() -> F.Column:
    """The record's Kafka append time as microseconds since the epoch (how long its id is kept)."""
    return event_time_us("kafka_ts")


def record_columns() -> list:
    """The columns of a reading that say which record it came from: partition, offset (ORDER_COLUMNS)
    and DEDUPE_COLUMNS, over a stream of `parsed_stream(..., dedupe=False)`. The dedupe id is
    prefixed with the topic: a ledger may read several, and only a copy on the same topic is one."""
    dedupe_id = F.concat(F.col("topic"), F.lit("/"), F.col("dedupe_id"))
    return ["partition", "offset", dedupe_id.alias("dedupe_id"), kafka_time_us().alias("kafka_us")]


def first_sightings(frame: pd.DataFrame, seen: Mapping[str, int]) -> tuple[pd.DataFrame, dict[str, int]]:
    """The readings of records applied for the first time, and their ids (-> Kafka append time).

    A record whose id is in `seen` was applied by an earlier batch: dropped. Within the batch, the
    readings of an id's first record (lowest partition, then offset) are kept, the copies' dropped;
    one record may give several readings (a checkout's lines). Readings without an id are kept."""
    ids = frame["dedupe_id"]
    identified = ids.notna().to_numpy()
    fresh = identified & ~np.fromiter((i in seen for i in ids), bool, len(ids))
    candidates = frame[fresh]
    record = candidates["partition"].to_numpy(np.int64) * 2**40 + candidates["offset"].to_numpy(np.int64)
    first = pd.Series(record, index=candidates.index).groupby(candidates["dedupe_id"]).transform("min")
    kept = candidates[record == first.to_numpy()]
    firsts = kept.drop_duplicates("dedupe_id")
    sighted = dict(zip(firsts["dedupe_id"], firsts["kafka_us"].astype(int), strict=True))
    return pd.concat([frame[~identified], kept]), sighted


def utc(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def apply_batch(
    rules: LedgerRules, documents: Mapping[str, str], frame: pd.DataFrame, key_column: str
) -> tuple[dict[str, str], list[Event], list[Event]]:
    """One micro-batch's readings -> (the documents of the ledgers it touched, their changed state
    rows, the events they emitted). Readings apply in event time, then Kafka order; a key the store
    does not have (open_ledger gives None) is skipped: the job's raw query quarantines it."""
    order = np.lexsort([frame[c].to_numpy() for c in reversed(ORDER_COLUMNS)])
    ledgers: dict[str, Ledger] = {}
    unknown: set[str] = set()
    emitted: list[Event] = []
    for row in frame.iloc[order].itertuples(index=False, name="Reading"):
        key = getattr(row, key_column)
        ledger = ledgers.get(key)
        if ledger is None:
            if key in unknown:
                continue
            document = documents.get(key)
            ledger = rules.load_ledger(document) if document is not None else rules.open_ledger(key)
            if ledger is None:
                unknown.add(key)
                continue
            ledgers[key] = ledger
        emitted.extend(ledger.apply(rules.reading(row)))
    changed = [state for ledger in ledgers.values() for state in ledger.changed()]
    return {key: ledger.dumps() for key, ledger in ledgers.items()}, changed, emitted


@dataclass
class LedgerBatches:
    """foreachBatch of a ledger query: its ledgers (a LedgerStore), and a producer for its output."""

    rules: LedgerRules
    key_column: str
    sink: LedgerSink
    settings: Settings
    store: LedgerStore
    producer: Any = None

    def __call__(self, readings: DataFrame, batch_id: int) -> None:
        t0 = time.perf_counter()
        documents = self.store.before(batch_id)
        frame = readings.toPandas()
        t1 = time.perf_counter()
        if frame.empty:
            self.store.commit(batch_id, {})
            return
        frame, sighted = first_sightings(frame, self.store.seen)
        changed, states, emitted = apply_batch(self.rules, documents, frame, self.key_column)
        t2 = time.perf_counter()
        self._publish(states, emitted)
        t3 = time.perf_counter()
        self.store.commit(batch_id, changed, sighted)
        t4 = time.perf_counter()
        # where a slow batch's time went, in the log; every batch's at DEBUG
        log.log(
            logging.INFO if t4 - t0 > self.settings.ledger_seconds else logging.DEBUG,
            "%s-%s batch %d: %d readings read in %.2f s, applied in %.2f s, %d rows published in %.2f s, saved in %.2f s",
            self.sink.job, self.sink.query, batch_id, len(frame), t1 - t0, t2 - t1, len(states) + len(emitted), t3 - t2, t4 - t3,
        )  # fmt: skip

    def _publish(self, states: list[Event], emitted: list[Event]) -> None:
        alerts = [e for e in emitted if isinstance(e, Alert)]
        events = [e for e in emitted if not isinstance(e, Alert)]
        if events and self.sink.events_topic is None:
            raise ValueError(f"{self.sink.job}: the ledger emitted events but the sink has no events_topic")
        if self.producer is None:
            self.producer = make_producer(self.settings, deadline_seconds=60)
        try:
            # state rows first, acknowledged: a plan is on its topic before the picks that act on it
            send_events(self.producer, self.sink.state_topic, states)
            send_events(self.producer, self.sink.alerts_topic, alerts)
            if events:
                send_events(self.producer, self.sink.events_topic, events)
        except Exception:
            self.close()  # the batch fails and runs again, with a new producer
            raise

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close(timeout=5)
            self.producer = None


# The batches of each ledger query started in this process, by (job, query): when a failed job starts
# again, the stopped query's producer (a sender thread and its connections) is closed, not left behind.
_RUNNING: dict[tuple[str, str], LedgerBatches] = {}


def track_running(batches: LedgerBatches) -> LedgerBatches:
    """Remember `batches` as its ledger's running ones, closing the ones it replaces."""
    previous = _RUNNING.pop((batches.sink.job, batches.sink.query), None)
    if previous is not None:
        previous.close()
    _RUNNING[(batches.sink.job, batches.sink.query)] = batches
    return batches


def close_running() -> None:
    """Close the producers of the ledger queries started in this process (once they are stopped)."""
    while _RUNNING:
        _, batches = _RUNNING.popitem()
        batches.close()


def mirror_batch(sink: LedgerSink, settings: Settings, records: DataFrame, batch_id: int) -> None:
    """State topic records -> the latest row per table key -> MERGE into the Delta state table, once
    (and upsert into its Postgres copy). A row's records share a topic key, so one partition: the
    offset orders them."""
    parsed = records.select(F.from_json("value", struct_type(sink.model)).alias("r"), "partition", "offset")
    latest = Window.partitionBy(*(F.col(f"r.{k}") for k in sink.keys)).orderBy(
        F.col("partition").desc(), F.col("offset").desc()
    )
    rows = parsed.withColumn("_n", F.row_number().over(latest)).where("_n = 1").select("r.*").persist()
    # no txn check: the batch replayed after a crash reads the same offsets, so MERGEs the same rows
    upsert(sink.state_path, rows, sink.keys)
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
    readings: DataFrame,
    key_column: str,
    rules: LedgerRules,
    sink: LedgerSink,
    settings: Settings,
    producer: Any = None,
) -> StreamingQuery:
    """readings: events with key_column, ORDER_COLUMNS and DEDUPE_COLUMNS, as `rules.reading` expects
    (not deduplicated: the query's LedgerStore drops the copies). `producer`: the one its batches
    publish with (made at the first batch when not given)."""
    checkpoint = Path(checkpoint_path(settings, sink.job, sink.query))
    ledgers = checkpoint / "ledgers"
    if _committed_any(str(checkpoint)) and not ledgers.is_dir():
        raise RuntimeError(
            f"{checkpoint} was written by the earlier state-store ledgers and cannot be continued:"
            " `make reset` (or delete that checkpoint and the topics it fed) to start this ledger again"
        )
    ledgers.mkdir(parents=True, exist_ok=True)
    store = LedgerStore(ledgers, remember_us=settings.dedupe_window_seconds * 1_000_000)
    batches = track_running(LedgerBatches(rules, key_column, sink, settings, store, producer))
    return start_batch_query(
        readings,
        batches,
        settings,
        job=sink.job,
        query=sink.query,
        seconds=settings.ledger_seconds,
        pool=LEDGERS,
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
    the opening balances go to the state topic (and from there to the table), through the producer
    the ledger's batches then publish with (no Spark job: every ledger does this while the other
    queries start)."""
    producer = make_producer(settings, deadline_seconds=60)
    try:
        if not _committed_any(checkpoint_path(settings, sink.job, sink.query)):
            send_events(producer, sink.state_topic, opening)
            log.info("%s: %d opening rows published to %s", sink.job, len(opening), sink.state_topic)
        ledger = start_ledger_query(readings, key_column, rules, sink, settings, producer)
    except Exception:
        producer.close(timeout=5)  # the job's start is tried again, with a new one
        raise
    records = read_topic(spark, settings, sink.state_topic, starting_offsets="earliest")
    mirror = start_batch_query(
        records,
        partial(mirror_batch, sink, settings),
        settings,
        job=sink.job,
        query=f"{sink.query}_table",
        seconds=settings.delta_trigger_seconds,
    )
    return [ledger, mirror]


def _committed_any(checkpoint: str) -> bool:
    commits = Path(checkpoint) / "commits"
    return commits.is_dir() and any(p.name.isdigit() for p in commits.iterdir())
