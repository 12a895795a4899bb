"""Every Kafka Connect connector, generated from the contracts (pure: no I/O).

Two directions:
- **CDC source** (Debezium Postgres, `pgoutput`): the config tables `config.*` -> the compacted topics of
  the same name, as plain JSON records (unwrapped) keyed by the table's key as a string, a delete as a
  tombstone. A filtered publication and a named slot; heartbeats keep the slot's WAL moving while the
  config tables are quiet.
- **JDBC sinks** (Debezium JDBC): the ledgers' state topics (and the warehouse movements) upserted into
  Postgres by primary key. The topics stay plain JSON; each sink's JsonConverter reads them against a
  Connect schema derived from the topic's pydantic model (`value.converter.schema.content`), so no
  schema is written by hand. A record the converter cannot read goes to `dlq.connect.<topic>` with
  the reason in its headers, and the task keeps running.
"""

from __future__ import annotations

import json
import re
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime

from smart_shelf.contracts import TOPICS, Event, topic_contract
from smart_shelf.settings import Settings

JDBC_SINK = "io.debezium.connector.jdbc.JdbcSinkConnector"
PG_SOURCE = "io.debezium.connector.postgresql.PostgresConnector"
STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"
# Debezium's semantic type for a timestamp with offset: the sink binds it as timestamptz.
ZONED_TIMESTAMP = "io.debezium.time.ZonedTimestamp"
CDC_CONNECTOR = "cdc-config"
CDC_TOPIC_PREFIX = "cdc"
HEARTBEAT_PREFIX = "__debezium-heartbeat"


# ---------------------------------------------------------------- Connect schemas from the contracts


def _optional(annotation: object) -> tuple[object, bool]:
    """(the type inside `X | None`, whether None is allowed)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"no Connect type for the union {annotation}")
        return args[0], True
    return annotation, False


def connect_field(name: str, annotation: object, required: bool) -> dict:
    """One field of a Connect struct schema for a contract field."""
    inner, nullable = _optional(annotation)
    field: dict = {"field": name, "optional": nullable or not required}
    if inner is AwareDatetime or inner is datetime:
        field.update(type="string", name=ZONED_TIMESTAMP)
    elif inner is bool:  # before int: bool is an int in Python
        field["type"] = "boolean"
    elif inner is int:
        field["type"] = "int32"
    elif inner is float:
        field["type"] = "double"
    elif inner is str or inner is date or typing.get_origin(inner) is Literal:
        # ISO dates stay strings: the sink sends them untyped (stringtype=unspecified), Postgres casts
        field["type"] = "string"
    else:
        raise TypeError(f"no Connect type for {name}: {annotation}")
    return field


def _with_default(field: dict, default: object) -> dict:
    """A field the contract defaults (unit='ea', active=true) takes that default when a record omits it."""
    if default is not None and not callable(default) and type(default) in (bool, int, float, str):
        field["default"] = default
    return field


def connect_schema(model: type[Event]) -> dict:
    """The Connect JSON schema (struct) of a contract model, field by field."""
    return {
        "type": "struct",
        "name": model.__name__,
        "optional": False,
        "fields": [
            _with_default(connect_field(name, info.annotation, info.is_required()), info.default)
            for name, info in model.model_fields.items()
        ],
    }


# ---------------------------------------------------------------- JDBC sinks


@dataclass(frozen=True)
class Sink:
    """A topic upserted into a Postgres table by the table's primary key (default: the topic's key)."""

    topic: str
    table: str
    primary_key: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"pg-sink-{self.topic}"

    @property
    def key_fields(self) -> tuple[str, ...]:
        return self.primary_key or topic_contract(self.topic).key

    @property
    def dead_letter_topic(self) -> str:
        return connect_dead_letter_topic(self.topic)


# One writer per table: these tables are written by Connect only.
SINKS = (
    Sink("shelf_state", "state.shelf_state"),
    Sink("wh_state", "state.wh_state"),
    Sink("shelf_batch_state", "state.shelf_batch_state"),
    Sink("wh_batch_state", "state.wh_batch_state"),
    # warehouse picks and deliveries: keyed by shelf on the topic, one row per event in the table
    Sink("wh_events", "ops.wh_events", primary_key=("event_id",)),
)


def connect_dead_letter_topic(topic: str) -> str:
    """Where a sink puts the records it cannot read (Connect's own DLQ: raw record + reason headers)."""
    return f"dlq.connect.{topic}"


def jdbc_url(settings: Settings) -> str:
    # stringtype=unspecified: ISO dates and enum values bind as untyped literals that Postgres casts
    return f"{settings.jdbc_url()}?stringtype=unspecified"


def sink_config(
    settings: Settings, sink: Sink, *, topic: str | None = None, table: str | None = None
) -> dict:
    """A sink's connector config; `topic`/`table` override the names (tests use namespaced ones)."""
    source_topic = topic or sink.topic
    return {
        "connector.class": JDBC_SINK,
        "tasks.max": "1",
        "topics": source_topic,
        "connection.url": jdbc_url(settings),
        "connection.username": settings.pg_user,
        "connection.password": settings.pg_pass.get_secret_value(),
        "connection.pool.min_size": "1",
        "connection.pool.max_size": "2",
        "insert.mode": "upsert",
        "primary.key.mode": "record_value",
        "primary.key.fields": ",".join(sink.key_fields),
        "delete.enabled": "false",
        "schema.evolution": "none",
        "collection.name.format": table or sink.table,
        "use.time.zone": "UTC",
        "key.converter": STRING_CONVERTER,
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "true",
        "value.converter.schema.content": json.dumps(connect_schema(TOPICS[sink.topic].model)),
        "errors.tolerance": "all",
        "errors.log.enable": "true",
        "errors.log.include.messages": "false",
        "errors.deadletterqueue.topic.name": connect_dead_letter_topic(source_topic),
        "errors.deadletterqueue.topic.replication.factor": str(settings.topic_replication_factor),
        "errors.deadletterqueue.context.headers.enable": "true",
        # a database that is away: retry the batch for about a minute before the task fails
        "flush.max.retries": "12",
        "flush.retry.delay.ms": "5000",
    }


# ---------------------------------------------------------------- CDC source


@dataclass(frozen=True)
class CdcTable:
    """A config table published to its compacted topic of the same name, keyed as the topic's
    contract says (the table's primary key column)."""

    table: str  # in the `config` schema
    date_columns: tuple[str, ...] = ()

    @property
    def topic(self) -> str:
        return self.table

    @property
    def key_column(self) -> str:
        (column,) = topic_contract(self.topic).key
        return column


CDC_TABLES = (
    CdcTable("shelf_policies"),
    CdcTable("wh_policies"),
    CdcTable("batch_catalog", date_columns=("received_date", "expiry_date")),
    CdcTable("shelf_profiles"),
)


def heartbeat_topic(topic_prefix: str = CDC_TOPIC_PREFIX) -> str:
    return f"{HEARTBEAT_PREFIX}.{topic_prefix}"


def source_config(
    settings: Settings,
    *,
    schema: str = "config",
    topic_namespace: str = "",
    topic_prefix: str = CDC_TOPIC_PREFIX,
    slot: str | None = None,
    publication: str | None = None,
    drop_slot_on_stop: bool = False,
) -> dict:
    """The Debezium Postgres source over CDC_TABLES in `schema`, each routed to `<namespace><table>`."""
    config: dict[str, str] = {
        "connector.class": PG_SOURCE,
        "tasks.max": "1",
        "database.hostname": settings.pg_host,
        "database.port": str(settings.pg_port),
        "database.user": settings.pg_user,
        "database.password": settings.pg_pass.get_secret_value(),
        "database.dbname": settings.pg_db,
        "topic.prefix": topic_prefix,
        "plugin.name": "pgoutput",
        "slot.name": slot or settings.debezium_slot,
        "publication.name": publication or settings.debezium_publication,
        "publication.autocreate.mode": "filtered",
        "table.include.list": ",".join(f"{schema}.{t.table}" for t in CDC_TABLES),
        "slot.drop.on.stop": str(drop_slot_on_stop).lower(),
        # a snapshot only when there is no offset, or the slot it points into is gone
        "snapshot.mode": "when_needed",
        "decimal.handling.mode": "double",
        # dates as Connect dates, turned into ISO strings below ("isostring" would append a "Z")
        "time.precision.mode": "connect",
        "tombstones.on.delete": "false",  # the unwrap step turns each delete into one tombstone
        "heartbeat.interval.ms": "10000",
        # hand changes to Kafka within a fifth of a second (default 0.5 s); the queue is in memory
        "poll.interval.ms": "200",
        "lsn.flush.mode": "connector_and_driver",
        "key.converter": STRING_CONVERTER,
        "value.converter": JSON_CONVERTER,
        "value.converter.schemas.enable": "false",
        "transforms": "",
        "predicates": "",
    }
    transforms = ["unwrap", "route"]
    config.update(
        {
            "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
            "transforms.unwrap.delete.tombstone.handling.mode": "delete-to-tombstone",
            "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
            "transforms.route.regex": rf"{re.escape(topic_prefix)}\.{re.escape(schema)}\.(.*)",
            "transforms.route.replacement": f"{topic_namespace}$1",
        }
    )
    # Debezium keys a record by a struct of the primary key; each topic's key becomes that column's value.
    predicates = []
    for cdc in CDC_TABLES:
        name = cdc.table.replace("_", "")
        transforms.append(f"key{name}")
        predicates.append(f"is{name}")
        config[f"transforms.key{name}.type"] = "org.apache.kafka.connect.transforms.ExtractField$Key"
        config[f"transforms.key{name}.field"] = cdc.key_column
        config[f"transforms.key{name}.predicate"] = f"is{name}"
        config[f"predicates.is{name}.type"] = (
            "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"
        )
        config[f"predicates.is{name}.pattern"] = re.escape(f"{topic_namespace}{cdc.topic}")
        for column in cdc.date_columns:
            transform = f"date{name}{column.replace('_', '')}"
            transforms.append(transform)
            config[f"transforms.{transform}.type"] = (
                "org.apache.kafka.connect.transforms.TimestampConverter$Value"
            )
            config[f"transforms.{transform}.field"] = column
            config[f"transforms.{transform}.target.type"] = "string"
            config[f"transforms.{transform}.format"] = "yyyy-MM-dd"
            config[f"transforms.{transform}.predicate"] = f"is{name}"
    config["transforms"] = ",".join(transforms)
    config["predicates"] = ",".join(predicates)
    return config


# ---------------------------------------------------------------- the whole set


def connector_configs(settings: Settings) -> dict[str, dict]:
    """Every connector `connect-init` registers, by name."""
    configs = {CDC_CONNECTOR: source_config(settings)}
    configs.update({sink.name: sink_config(settings, sink) for sink in SINKS})
    return configs
