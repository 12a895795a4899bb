"""Connector configs generated from the contracts: schemas, keys, names, routing."""

import json
import re
from datetime import date
from typing import Literal

import pytest
from pydantic import AwareDatetime

from smart_shelf.connect.configs import (
    CDC_TABLES,
    SINKS,
    ZONED_TIMESTAMP,
    connect_field,
    connect_schema,
    connector_configs,
    heartbeat_topic,
    sink_config,
    source_config,
)
from smart_shelf.contracts import TOPICS, Event, ShelfState, WarehouseEvent
from smart_shelf.postgres_client import sql_files
from smart_shelf.settings import Settings


@pytest.mark.parametrize(
    "annotation, required, expected",
    [
        (str, True, {"type": "string", "optional": False}),
        (int, True, {"type": "int32", "optional": False}),
        (float, True, {"type": "double", "optional": False}),
        (bool, False, {"type": "boolean", "optional": True}),  # a bool is an int in Python: checked first
        (int | None, False, {"type": "int32", "optional": True}),
        # timestamps carry Debezium's semantic name so the sink binds them as timestamptz
        (AwareDatetime, True, {"type": "string", "optional": False, "name": ZONED_TIMESTAMP}),
        # ISO dates stay strings: Postgres casts them (stringtype=unspecified)
        (date | None, False, {"type": "string", "optional": True}),
        (Literal["a", "b"], True, {"type": "string", "optional": False}),
    ],
)
def test_contract_field_types_map_to_connect_types(annotation, required, expected):
    assert connect_field("f", annotation, required) == {"field": "f", **expected}


def test_a_type_without_a_connect_mapping_is_refused():
    with pytest.raises(TypeError, match="items"):
        connect_field("items", list[int], True)


def test_shelf_state_schema_lists_every_contract_field_in_order():
    schema = connect_schema(ShelfState)
    assert [f["field"] for f in schema["fields"]] == list(ShelfState.model_fields)
    by_name = {f["field"]: f for f in schema["fields"]}
    assert by_name["current_stock"] == {"field": "current_stock", "type": "int32", "optional": False}
    assert by_name["restocked_units"]["optional"] is True
    assert by_name["last_update_ts"]["name"] == ZONED_TIMESTAMP


def test_contract_defaults_become_schema_defaults():
    by_name = {f["field"]: f for f in connect_schema(WarehouseEvent)["fields"]}
    assert by_name["unit"]["default"] == "ea"  # a record without a unit still fills the NOT NULL column
    assert by_name["fifo"]["default"] is True
    assert "default" not in by_name["plan_id"]  # None is no default


@pytest.mark.parametrize("sink", SINKS, ids=lambda s: s.name)
def test_each_sink_reads_its_topic_with_the_topics_own_schema(sink):
    config = sink_config(Settings(), sink)
    assert config["topics"] == sink.topic
    assert json.loads(config["value.converter.schema.content"]) == connect_schema(TOPICS[sink.topic].model)
    assert config["insert.mode"] == "upsert"
    assert config["errors.deadletterqueue.topic.name"] == f"dlq.connect.{sink.topic}"
    assert config["collection.name.format"] == sink.table


@pytest.mark.parametrize(
    "topic, key",
    [
        ("shelf_state", "shelf_id"),
        ("shelf_batch_state", "shelf_id,batch_code"),  # composite: both value fields form the key
        ("wh_events", "event_id"),  # keyed by shelf on the topic, one row per event in the table
    ],
)
def test_sink_primary_keys(topic, key):
    sink = next(s for s in SINKS if s.topic == topic)
    assert sink_config(Settings(), sink)["primary.key.fields"] == key


def test_a_sink_can_be_pointed_at_a_namespaced_topic_and_table():
    config = sink_config(Settings(), SINKS[0], topic="test.x.shelf_state", table="test_x.shelf_state")
    assert config["topics"] == "test.x.shelf_state"
    assert config["collection.name.format"] == "test_x.shelf_state"
    assert config["errors.deadletterqueue.topic.name"] == "dlq.connect.test.x.shelf_state"


def test_sinks_write_untyped_strings_so_postgres_casts_dates_and_enums():
    assert sink_config(Settings(), SINKS[0])["connection.url"].endswith("?stringtype=unspecified")


def test_the_source_captures_the_config_tables_with_pgoutput_into_a_named_slot():
    config = source_config(Settings())
    assert config["plugin.name"] == "pgoutput"
    assert config["slot.name"] == "smart_shelf_cdc"
    assert config["publication.autocreate.mode"] == "filtered"
    assert config["table.include.list"].split(",") == [f"config.{t.table}" for t in CDC_TABLES]
    assert config["value.converter.schemas.enable"] == "false"  # plain JSON rows on the topics
    assert int(config["heartbeat.interval.ms"]) > 0


def _primary_key_column(table: str) -> str:
    """The column declared PRIMARY KEY in the table's CREATE TABLE (postgresql/*.sql)."""
    ddl = "".join(p.read_text() for p in sql_files())
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {re.escape(table)} \((.*?)\n\);", ddl, re.S).group(1)
    (column,) = re.findall(r"^\s*(\w+)\s+\w+\s+PRIMARY KEY", body, re.M)
    return column


def test_every_cdc_topic_is_a_compacted_contract_topic_keyed_by_the_tables_primary_key():
    for table in CDC_TABLES:
        topic = TOPICS[table.topic]
        assert topic.compacted
        assert topic.key == (table.key_column,) == (_primary_key_column(f"config.{table.table}"),)


def test_each_cdc_topic_gets_its_key_column_as_a_plain_string_key():
    config = source_config(Settings(), schema="t", topic_namespace="test.ab.")
    transforms = config["transforms"].split(",")
    assert transforms[:2] == ["unwrap", "route"]
    assert config["transforms.route.regex"] == r"cdc\.t\.(.*)"
    assert config["transforms.route.replacement"] == "test.ab.$1"
    for table in CDC_TABLES:
        name = table.table.replace("_", "")
        assert config[f"transforms.key{name}.field"] == table.key_column
        assert config[f"predicates.is{name}.pattern"] == r"test\.ab\." + table.table


def test_catalogue_dates_leave_the_source_as_iso_strings():
    config = source_config(Settings())
    converters = {k: v for k, v in config.items() if k.startswith("transforms.datebatchcatalog")}
    fields = {v for k, v in converters.items() if k.endswith(".field")}
    assert fields == {"received_date", "expiry_date"}
    assert {v for k, v in converters.items() if k.endswith(".format")} == {"yyyy-MM-dd"}


def test_connect_init_registers_the_source_and_every_sink():
    names = set(connector_configs(Settings()))
    assert names == {"cdc-config", *(s.name for s in SINKS)}


def test_kafka_init_creates_the_connect_topics():
    from kafka_components.kafka_init.topic_config import desired_topics

    names = {spec.name for spec in desired_topics(3, 1)}
    assert heartbeat_topic() in names
    assert {s.dead_letter_topic for s in SINKS} <= names


def test_every_event_model_field_type_is_mappable():
    # a new contract field of a type Connect cannot carry fails here, not in a running sink
    for sink in SINKS:
        model: type[Event] = TOPICS[sink.topic].model
        connect_schema(model)
