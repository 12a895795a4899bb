"""foot-traffic-raw-sink: Kafka `foot_traffic` -> delta/raw/foot_traffic, and
`foot_traffic_realistic` -> delta/raw/foot_traffic_realistic, each event once.

Per micro-batch: parse and validate (refused records to quarantine and the dlq topic); keep the
events (deduplicated by event_id) not yet in the raw table, read at a pinned version; append them
with the batch's txnAppId/txnVersion, so a replayed batch adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import Event, FootTrafficEntryExit, FootTrafficSession, dead_letter_topic
from smart_shelf.settings import Settings
from smart_shelf.spark import delta_path
from smart_shelf.spark_io import (
    append_delta,
    dead_letters_out,
    parse_with_contract,
    read_topic,
    split_valid,
    start_batch_query,
    unseen_events,
)

JOB = "foot-traffic-raw-sink"


@dataclass(frozen=True)
class Sink:
    topic: str
    table: str  # delta/raw/<table> and delta/quarantine/<table>
    model: type[Event]


def sinks(settings: Settings, prefix: str = "") -> list[Sink]:
    """The two streams; `prefix` namespaces the topics (tests)."""
    return [
        Sink(f"{prefix}foot_traffic", "foot_traffic", FootTrafficSession),
        Sink(f"{prefix}foot_traffic_realistic", "foot_traffic_realistic", FootTrafficEntryExit),
    ]


def process_batch(
    spark: SparkSession, settings: Settings, sink: Sink, batch: DataFrame, batch_id: int
) -> int:
    """Returns how many new events were appended."""
    raw_path = delta_path(settings, "raw", sink.table)
    parsed = parse_with_contract(batch, sink.model).persist()
    valid, dead = split_valid(parsed, sink.topic)
    new = unseen_events(spark, valid.dropDuplicates(["event_id"]), raw_path).persist()
    appended = new.count()
    append_delta(new, raw_path, f"{JOB}/{sink.table}", batch_id)
    dead_letters_out(
        dead,
        settings,
        delta_path(settings, "quarantine", sink.table),
        dead_letter_topic(sink.topic),
        f"{JOB}/quarantine/{sink.table}",
        batch_id,
    )
    new.unpersist()
    parsed.unpersist()
    return appended


def start(spark: SparkSession, settings: Settings, prefix: str = "") -> list[StreamingQuery]:
    queries = []
    for sink in sinks(settings, prefix):
        stream = read_topic(
            spark,
            settings,
            sink.topic,
            starting_offsets=settings.starting_offsets,
            max_offsets_per_trigger=settings.max_offsets_per_trigger,
        )
        process = partial(process_batch, spark, settings, sink)
        queries.append(start_batch_query(stream, process, settings, job=JOB, query=sink.table))
    return queries
