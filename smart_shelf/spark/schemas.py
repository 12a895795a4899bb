"""Spark views of the contracts: StructTypes and a validation column, derived from the pydantic models.

Nothing here declares a field: it walks the models of `smart_shelf.contracts`, so a field added
there reaches Spark parsing and validation with no second edit.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import reduce

from pydantic import AwareDatetime
from pydantic.fields import FieldInfo
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from smart_shelf.contracts import Event

_SCALARS: dict[object, T.DataType] = {
    str: T.StringType(),
    int: T.LongType(),
    float: T.DoubleType(),
    bool: T.BooleanType(),
    datetime: T.TimestampType(),
    AwareDatetime: T.TimestampType(),
    date: T.DateType(),
}


def _unwrap_optional(annotation: object) -> tuple[object, bool]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return annotation, False


def _spark_type(annotation: object) -> T.DataType:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return _SCALARS[type(typing.get_args(annotation)[0])]
    if origin is typing.Annotated:
        return _spark_type(typing.get_args(annotation)[0])
    if origin is list:
        return T.ArrayType(_spark_type(typing.get_args(annotation)[0]), containsNull=False)
    if isinstance(annotation, type) and issubclass(annotation, Event):
        return struct_type(annotation)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no Spark type for {annotation!r}")


def _is_required(info: FieldInfo) -> bool:
    return info.is_required()


def struct_type(model: type[Event]) -> T.StructType:
    """The StructType of a contract model; optional fields are nullable."""
    fields = []
    for name, info in model.model_fields.items():
        inner, optional = _unwrap_optional(info.annotation)
        fields.append(T.StructField(name, _spark_type(inner), nullable=optional or not _is_required(info)))
    return T.StructType(fields)


def delta_schema(schema: T.StructType) -> T.StructType:
    """Delta enforces NOT NULL on top-level columns only; nested fields inside arrays become nullable."""

    def relax(data_type: T.DataType) -> T.DataType:
        if isinstance(data_type, T.ArrayType):
            return T.ArrayType(relax(data_type.elementType), containsNull=True)
        if isinstance(data_type, T.StructType):
            return T.StructType([T.StructField(f.name, relax(f.dataType), True) for f in data_type.fields])
        return data_type

    return T.StructType([T.StructField(f.name, relax(f.dataType), f.nullable) for f in schema.fields])


def required_fields(model: type[Event]) -> list[str]:
    return [name for name, info in model.model_fields.items() if _is_required(info)]


def literal_values(model: type[Event]) -> dict[str, tuple]:
    """Fields restricted to a set of values (Literal annotations), e.g. event_type."""
    out = {}
    for name, info in model.model_fields.items():
        inner, _ = _unwrap_optional(info.annotation)
        if typing.get_origin(inner) is typing.Literal:
            out[name] = typing.get_args(inner)
    return out


def not_a_json_object(raw: Column) -> Column:
    """True for a text that is not one JSON object (malformed, an array, a number, trailing text)."""
    return F.get_json_object(raw, "$").isNull() | ~F.ltrim(raw).startswith("{")


def invalid_reason(raw: Column, parsed: Column, model: type[Event], not_object: Column) -> Column:
    """A column that is null for a valid record and says why otherwise.

    from_json is permissive: a wrong type or a missing field comes out as null, so a null required
    field means "missing or of the wrong type". Field-level rules beyond that (ranges, cross-field
    checks) are the pure validators' job on the Python side. `not_object`: `not_a_json_object(raw)`,
    computed where the record is parsed (smart_shelf.spark.io.parse_with_contract).
    """
    checks: list[tuple[Column, Column]] = [
        (raw.isNull(), F.lit("empty payload")),
        (not_object, F.lit("not a JSON object")),
    ]
    for name in required_fields(model):
        checks.append((parsed[name].isNull(), F.lit(f"{name}: missing or of the wrong type")))
    for name, allowed in literal_values(model).items():
        checks.append(
            (
                ~parsed[name].isin(*allowed),
                F.concat(F.lit(f"{name}: not one of {list(allowed)}: "), parsed[name]),
            )
        )
    return reduce(lambda acc, check: acc.when(*check), checks[1:], F.when(*checks[0])).otherwise(F.lit(None))


def local_frame(spark: SparkSession, rows: Sequence[Mapping[str, object]], schema: T.StructType) -> DataFrame:
    """A DataFrame of a few rows of JSON values (dates and times as ISO text, as
    `model_dump(mode="json")` gives them) built in the JVM: their JSON as one literal, parsed with
    `schema` as every Kafka payload is. `spark.createDataFrame` of a Python list is computed by
    Python worker processes each time a query reads it (a daemon and its workers, about 50 MiB each,
    kept alive beside the driver)."""
    text = json.dumps(list(rows), separators=(",", ":"))
    return spark.range(1).select(F.inline(F.from_json(F.lit(text), T.ArrayType(schema))))
