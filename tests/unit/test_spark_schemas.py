"""Spark StructTypes derived from the contract models (no Spark session needed)."""

from pyspark.sql import types as T

from smart_shelf.contracts import TOPICS, PosTransaction, ShelfEvent
from smart_shelf.spark.schemas import literal_values, required_fields, struct_type


def test_struct_type_maps_each_field_with_its_nullability():
    schema = struct_type(ShelfEvent)
    by_name = {f.name: f for f in schema.fields}
    assert by_name["event_id"].dataType == T.StringType() and not by_name["event_id"].nullable
    assert by_name["timestamp"].dataType == T.TimestampType()
    assert by_name["quantity"].dataType == T.LongType() and by_name["quantity"].nullable
    assert by_name["delta_weight"].dataType == T.DoubleType()
    assert list(by_name) == list(ShelfEvent.model_fields)


def test_nested_items_become_an_array_of_structs():
    items = struct_type(PosTransaction)["items"].dataType
    assert isinstance(items, T.ArrayType)
    assert items.elementType["expiry_date"].dataType == T.DateType()
    assert items.elementType["unit_price"].dataType == T.DoubleType()


def test_required_and_literal_fields_come_from_the_model():
    assert "quantity" not in required_fields(ShelfEvent)
    assert {"event_id", "event_type", "customer_id", "item_id", "timestamp"} <= set(
        required_fields(ShelfEvent)
    )
    assert literal_values(ShelfEvent)["event_type"] == ("pickup", "putback", "removal", "weight_change")


def test_every_topic_model_has_a_spark_schema():
    for topic in TOPICS.values():
        assert len(struct_type(topic.model).fields) == len(topic.model.model_fields), topic.name
