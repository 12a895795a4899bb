"""foot-traffic-raw-sink: Kafka `foot_traffic` -> delta/raw/foot_traffic and `foot_traffic_realistic`
-> delta/raw/foot_traffic_realistic, each event once; refused records to quarantine and dlq.<topic>
(smart_shelf.spark.raw_sink)."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from smart_shelf.contracts import FootTrafficEntryExit, FootTrafficSession
from smart_shelf.settings import FootTrafficSinkSettings
from smart_shelf.spark.raw_sink import RawSink, start_raw_query

JOB = "foot-traffic-raw-sink"
SETTINGS = FootTrafficSinkSettings


def sinks(settings: FootTrafficSinkSettings) -> list[RawSink]:
    return [
        RawSink(JOB, settings.topic_foot_traffic, "foot_traffic", FootTrafficSession),
        RawSink(JOB, settings.topic_foot_traffic_realistic, "foot_traffic_realistic", FootTrafficEntryExit),
    ]


def start(spark: SparkSession, settings: FootTrafficSinkSettings) -> list[StreamingQuery]:
    return [start_raw_query(spark, settings, sink) for sink in sinks(settings)]
