"""Every Kafka topic and every event schema, declared once.

The pydantic models below are the single definition of each payload. JSON validation is the model
itself (`parse_event`); the Spark `StructType` and the Spark-side validation are derived from the
same models in `smart_shelf.spark.schemas`. Every event carries an `event_id` that is stable across
retries (`stable_id`), so that any stage can drop duplicates.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

# Namespace for uuid5 identifiers: the same inputs give the same id in every process and run.
ID_NAMESPACE = uuid.UUID("6f1c9f5e-8a57-4c1b-9a38-3d0f1e2b7c44")
_NAMESPACE_BYTES = ID_NAMESPACE.bytes


def stable_id(*parts: object) -> str:
    """A UUID derived from its parts, e.g. stable_id("foot_traffic", seed, day, position): the text of
    uuid.uuid5(ID_NAMESPACE, "part:part:..."), computed without building UUID objects (millions of
    ids a simulated quarter; tests pin it to uuid5)."""
    name = ":".join(str(p) for p in parts)
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# The bots whose shelf events are not customers': staff bringing a refill, staff taking expired units away.
RESTOCK_CUSTOMER = "restock_bot"
REMOVAL_CUSTOMER = "removal_bot"


class Event(BaseModel):
    """Base of every payload: unknown fields are refused, timestamps must carry an offset."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- append-only event streams


class FootTrafficSession(Event):
    """One customer visit, emitted at entry time (stream and topic `foot_traffic`)."""

    event_id: str
    event_type: Literal["foot_traffic"]
    customer_id: str
    entry_time: AwareDatetime
    exit_time: AwareDatetime
    trip_duration_minutes: int = Field(ge=0)
    weekday: str
    time_slot: str

    @model_validator(mode="after")
    def _exit_after_entry(self) -> FootTrafficSession:
        if self.exit_time < self.entry_time:
            raise ValueError("exit_time is before entry_time")
        return self


class FootTrafficEntryExit(Event):
    """An atomic door sensor event (stream `foot_traffic:realistic`, topic `foot_traffic_realistic`)."""

    event_id: str
    event_type: Literal["entry", "exit"]
    customer_id: str
    time: AwareDatetime
    weekday: str
    time_slot: str


class ShelfEvent(Event):
    """A smart-shelf reading: pickup / putback / removal (count) or weight_change (grams moved).

    Customers pick up and put back; `restock_bot` puts back what the warehouse sent (a refill) and
    `removal_bot` takes expired batches off the shelf (`removal`).
    """

    event_id: str
    event_type: Literal["pickup", "putback", "removal", "weight_change"]
    customer_id: str
    item_id: str
    timestamp: AwareDatetime
    quantity: int | None = Field(default=None, ge=1)
    weight: float | None = Field(default=None, ge=0)
    delta_weight: float | None = None
    # Set on restock putbacks and removals, which name the batch they bring or take away.
    shelf_id: str | None = None
    batch_code: str | None = None
    received_date: date | None = None
    expiry_date: date | None = None
    plan_id: str | None = None  # the restock plan a refill fulfils

    @model_validator(mode="after")
    def _fields_for_type(self) -> ShelfEvent:
        if self.event_type == "weight_change":
            if self.delta_weight is None:
                raise ValueError("weight_change needs delta_weight")
        elif self.quantity is None or self.weight is None:
            raise ValueError(f"{self.event_type} needs quantity and weight")
        return self


class RemovalOrder(Event):
    """An expired batch to take off its shelf (topic `removal_orders`). removal-scheduler orders it;
    the shelf producer carries it out as a `removal` and its `weight_change` in its own event order,
    as staff at the shelf would, so no customer's pickup is stamped between the order and the shelf."""

    event_id: str  # one per shelf, batch and day: an order sent again is carried out once
    shelf_id: str
    batch_code: str
    expiry_date: date
    quantity: int = Field(ge=1)  # the batch's units as the batch ledger last showed them
    weight: float = Field(ge=0)  # grams per unit
    created_at: AwareDatetime


class PosItem(Event):
    item_id: str
    quantity: int = Field(ge=1)
    unit_price: float = Field(ge=0)
    discount: float = Field(ge=0, le=1)
    total_price: float = Field(ge=0)
    batch_code: str | None = None
    expiry_date: date | None = None


class PosTransaction(Event):
    event_id: str
    event_type: Literal["pos_transaction"]
    transaction_id: str
    customer_id: str
    timestamp: AwareDatetime
    items: list[PosItem]


class WarehouseEvent(Event):
    """Stock leaving (wh_out, a restock pick) or entering (wh_in, a supplier delivery) the warehouse."""

    event_id: str
    event_type: Literal["wh_in", "wh_out"]
    shelf_id: str
    batch_code: str
    qty: int = Field(ge=0)
    unit: str = "ea"
    timestamp: AwareDatetime
    fifo: bool = True
    received_date: date | None = None
    expiry_date: date | None = None
    plan_id: str | None = None
    reason: str | None = None


# Alerts on a condition that lasts: at most one open per shelf, location and type, resolved when the
# condition clears. Every other alert type is an incident (one per cause).
CONDITION_ALERTS = ("refill_request", "near_expiry", "supplier_request")


class Alert(Event):
    """Every alert shape shares one schema; `alert_id` identifies an alert across its lifecycle."""

    alert_id: str
    event_type: str
    shelf_id: str
    location: Literal["store", "warehouse"]
    status: Literal["open", "acknowledged", "resolved"] = "open"
    created_at: AwareDatetime
    updated_at: AwareDatetime | None = None  # the (simulated) time of the latest status change
    current_stock: int | None = None
    min_qty: int | None = None
    threshold_pct: float | None = None
    stock_pct: float | None = None
    suggested_qty: int | None = None
    batch_code: str | None = None
    quantity: int | None = None  # units the alert is about (e.g. removed as expired)
    message: str | None = None


# ---------------------------------------------------------------- compacted state and metadata


class ShelfState(Event):
    shelf_id: str
    current_stock: int = Field(ge=0)
    item_weight: float
    shelf_weight: float
    last_update_ts: AwareDatetime
    # units restocked onto the shelf since its ledger opened: tells a reader which refills the row counts
    restocked_units: int | None = Field(default=None, ge=0)


class WarehouseState(Event):
    shelf_id: str
    wh_current_stock: int = Field(ge=0)
    last_update_ts: AwareDatetime
    # units delivered by suppliers since the ledger opened: tells a reader which deliveries the row counts
    received_units: int | None = Field(default=None, ge=0)


class ShelfBatchState(Event):
    shelf_id: str
    batch_code: str
    received_date: date
    expiry_date: date
    batch_quantity_store: int = Field(ge=0)
    last_update_ts: AwareDatetime


class WarehouseBatchState(Event):
    shelf_id: str
    batch_code: str
    received_date: date
    expiry_date: date
    batch_quantity_warehouse: int = Field(ge=0)
    batch_quantity_store: int = Field(ge=0)
    last_update_ts: AwareDatetime


class DailyDiscount(Event):
    shelf_id: str
    discount_date: date
    discount: float = Field(ge=0, le=1)
    created_at: AwareDatetime


PLAN_STATUSES = ("pending", "issued", "completed", "partially_completed")


class ShelfRestockPlan(Event):
    plan_id: str
    shelf_id: str
    suggested_qty: int = Field(ge=0)
    status: Literal["pending", "issued", "completed", "partially_completed"]
    created_at: AwareDatetime
    updated_at: AwareDatetime
    alert_id: str | None = None
    picked_qty: int | None = Field(default=None, ge=0)  # units the warehouse sent (set when issued)


class WarehouseSupplierPlan(Event):
    supplier_plan_id: str
    shelf_id: str
    suggested_qty: int = Field(ge=0)
    standard_batch_size: int | None = None
    # canceled: a pending plan a forecast's plan for a later cutoff replaced (ORDER_POLICY=ml)
    status: Literal["pending", "issued", "completed", "canceled"]
    created_at: AwareDatetime
    updated_at: AwareDatetime
    order_id: str | None = None  # set when the plan is ordered at a cutoff
    received_qty: int | None = Field(default=None, ge=0)  # set when delivered


# ---------------------------------------------------------------- operational ledgers (Delta + Postgres)


class SupplierOrder(Event):
    """A supplier order placed at a cutoff for one product, delivered at the next delivery slot."""

    order_id: str
    supplier_plan_id: str | None = None
    shelf_id: str
    ordered_qty: int = Field(gt=0)
    cutoff_ts: AwareDatetime
    delivery_date: date
    status: Literal["ordered", "delivered", "partially_delivered"]
    created_at: AwareDatetime
    updated_at: AwareDatetime


class JobRun(Event):
    """One run of a job scheduled on the simulated clock (a day's discounts, a cutoff, a delivery)."""

    job: str
    run_key: str
    sim_time: AwareDatetime
    summary: str


class SupplierReceipt(Event):
    """What a delivery brought into the warehouse for one order: a new batch."""

    receipt_id: str
    order_id: str
    shelf_id: str
    batch_code: str
    received_qty: int = Field(ge=0)
    received_date: date
    expiry_date: date
    created_at: AwareDatetime


class ShelfDay(Event):
    """One shelf's day, as a fast-forwarded history closes it: the input of the demand features.
    Stock is conserved: stock_close = stock_open + refill_units - removed_units - units_taken."""

    shelf_id: str
    day: date
    stock_open: int = Field(ge=0)
    stock_close: int = Field(ge=0)
    units_taken: int  # pickups less putbacks by customers
    units_sold: int = Field(ge=0)  # on the day's transactions
    revenue: float
    lost_sale_units: int = Field(ge=0)  # wanted from the empty shelf
    refill_units: int = Field(ge=0)
    removed_units: int = Field(ge=0)
    discount: float = Field(ge=0, le=1)  # weekly and near-expiry combined, as the till priced it


# The demand features at a supplier cutoff, in the order the model reads them (smart_shelf.forecast.features).
FEATURES = (
    "step", "weekday", "weekend", "weekly_discount", "discount_change", "visibility", "price", "capacity",
    "category", "last_day", "same_weekday_1", "same_weekday_2", "same_weekday_mean_4", "mean_7", "mean_14",
    "mean_28", "std_7", "std_28", "lost_share_7", "fill_ratio", "traffic_mean_7", "traffic_same_weekday",
    "weekday_factor",
)  # fmt: skip


class _FeatureKeys(Event):
    shelf_id: str
    feature_date: date  # the cutoff's day: every value comes from the days before it
    target_date: date  # the day whose demand the row describes (feature_date + step)


# One shelf's features for one target day, as known at a cutoff on feature_date (Delta
# analytics/shelf_daily_features, analytics.shelf_daily_features): every feature a number.
ShelfFeatures = create_model(
    "ShelfFeatures",
    __base__=_FeatureKeys,
    __doc__="One shelf's demand features for one target day, as known on feature_date.",
    **{name: (int if name == "step" else float, ...) for name in FEATURES},
)


class ModelVersion(Event):
    """A row of the model registry (analytics.ml_models): one trained version, what it learnt from,
    how it scored beside its baselines on the same held-out origins, and whether it is the champion."""

    model_name: str
    model_version: str
    trained_at: AwareDatetime  # wall time
    trained_sim_at: AwareDatetime | None = None  # the store's simulated time
    data_from: date
    data_to: date
    features: list[str]
    features_sha256: str
    params_json: dict
    metrics_json: dict  # {"model": {...}, "<baseline>": {...}}
    artifact_path: str
    artifact_sha256: str
    champion: bool
    promotion_note: str


class ShelfPolicy(Event):
    """A row of config.shelf_policies as the CDC source publishes it. The scope is the shelf, else the
    subcategory, the category, or everything (all three unset: the global default)."""

    policy_id: str
    shelf_id: str | None = None
    item_category: str | None = None
    item_subcategory: str | None = None
    threshold_pct: float
    target_pct: float
    min_qty: int
    near_expiry_days: int
    active: bool = True
    notes: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class WarehousePolicy(Event):
    """A row of config.wh_policies as the CDC source publishes it (scopes as for ShelfPolicy)."""

    policy_id: str
    shelf_id: str | None = None
    item_category: str | None = None
    item_subcategory: str | None = None
    reorder_point_qty: int
    target_pct: float
    active: bool = True
    notes: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class BatchCatalog(Event):
    batch_code: str
    shelf_id: str
    received_date: date
    expiry_date: date
    standard_batch_size: int
    created_at: AwareDatetime
    updated_at: AwareDatetime


class ShelfProfile(Event):
    shelf_id: str
    item_weight: float
    created_at: AwareDatetime
    updated_at: AwareDatetime


class DeadLetter(Event):
    """What a dead-letter topic or quarantine table holds: the raw payload and why it was refused."""

    source: str
    reason: str
    raw: str
    key: str | None = None
    failed_at: AwareDatetime


# ---------------------------------------------------------------- the topic catalogue


class Cleanup(str, Enum):
    DELETE = "delete"
    COMPACT = "compact"


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[Event]
    cleanup: Cleanup
    key: tuple[str, ...]
    description: str
    partitions: int | None = None  # None: the TOPIC_PARTITIONS setting

    @property
    def compacted(self) -> bool:
        return self.cleanup is Cleanup.COMPACT

    @property
    def dead_letter(self) -> str:
        return dead_letter_topic(self.name)

    def key_of(self, payload: dict) -> str | None:
        return key_of(payload, self.key)


def key_of(payload: dict, fields: tuple[str, ...]) -> str | None:
    """The Kafka key of a payload: its key fields joined with '::' (None if any is missing)."""
    values = [payload.get(field) for field in fields]
    if not values or any(v is None or v == "" for v in values):
        return None
    return "::".join(str(v) for v in values)


def dead_letter_topic(source: str) -> str:
    return f"dlq.{source}"


_D, _C = Cleanup.DELETE, Cleanup.COMPACT

TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        # append-only event streams
        Topic("foot_traffic", FootTrafficSession, _D, ("customer_id",), "customer sessions"),
        Topic("foot_traffic_realistic", FootTrafficEntryExit, _D, ("customer_id",), "door entry/exit"),
        Topic("shelf_events", ShelfEvent, _D, ("customer_id",), "pickup, putback, weight_change"),
        Topic("pos_transactions", PosTransaction, _D, ("customer_id",), "one checkout per customer"),
        Topic("wh_events", WarehouseEvent, _D, ("shelf_id",), "warehouse picks and deliveries"),
        Topic("alerts", Alert, _D, ("alert_id",), "alerts and their status changes"),
        Topic("removal_orders", RemovalOrder, _D, ("shelf_id",), "expired batches to take off the shelves"),
        # compacted state, plans and metadata: the latest value per key wins
        Topic("shelf_state", ShelfState, _C, ("shelf_id",), "shelf stock"),
        Topic("wh_state", WarehouseState, _C, ("shelf_id",), "warehouse stock"),
        Topic("shelf_batch_state", ShelfBatchState, _C, ("shelf_id", "batch_code"), "store batches"),
        Topic("wh_batch_state", WarehouseBatchState, _C, ("shelf_id", "batch_code"), "warehouse batches"),
        Topic("daily_discounts", DailyDiscount, _C, ("shelf_id", "discount_date"), "near-expiry discounts"),
        Topic("shelf_restock_plan", ShelfRestockPlan, _C, ("shelf_id",), "shelf restock plans"),
        Topic("wh_supplier_plan", WarehouseSupplierPlan, _C, ("shelf_id",), "supplier plans"),
        Topic("shelf_policies", ShelfPolicy, _C, ("policy_id",), "shelf alert policies (CDC)"),
        Topic("wh_policies", WarehousePolicy, _C, ("policy_id",), "warehouse reorder policies (CDC)"),
        Topic("batch_catalog", BatchCatalog, _C, ("batch_code",), "batch metadata (CDC)"),
        Topic("shelf_profiles", ShelfProfile, _C, ("shelf_id",), "shelf unit weights (CDC)"),
    )
}


def topic_contract(name: str) -> Topic:
    """The contract of a topic, also under a namespace: 'test.ab12.shelf_events' is a shelf_events topic."""
    if name in TOPICS:
        return TOPICS[name]
    for candidate in sorted(TOPICS, key=len, reverse=True):
        if name.endswith("." + candidate):
            return TOPICS[candidate]
    raise KeyError(f"no contract for topic {name!r}")


APPEND_ONLY = tuple(t.name for t in TOPICS.values() if not t.compacted)
COMPACTED = tuple(t.name for t in TOPICS.values() if t.compacted)
# Every event stream gets a dead-letter topic; state topics are written by our own jobs only.
DEAD_LETTER_TOPICS = tuple(dead_letter_topic(name) for name in APPEND_ONLY)

# Redis stream -> Kafka topic, as forwarded by redis-kafka-bridge (STREAM_TOPIC_MAP default).
DEFAULT_STREAM_TOPIC_MAP = {
    "foot_traffic": "foot_traffic",
    "foot_traffic:realistic": "foot_traffic_realistic",
    "shelf_events": "shelf_events",
    "pos_transactions": "pos_transactions",
}

# Every Redis stream entry has these two fields (the specification's wire format).
STREAM_DATA_FIELD = "data"
STREAM_KEY_FIELD = "key"


class InvalidEvent(ValueError):
    """A payload that does not parse or validate; `reason` says why, for the dead-letter record."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def parse_event(model: type[Event], raw: str | bytes) -> Event:
    """Parse and validate one JSON payload against its model, or raise InvalidEvent with the reason."""
    try:  # pydantic's own JSON parser: one pass, no dict in between; refusals are worded below
        return model.model_validate_json(raw)
    except ValidationError:
        pass
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEvent(f"expected a JSON object, got {type(document).__name__}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InvalidEvent(f"{where}: {first['msg']}{more}") from None


def to_json(event: Event) -> str:
    """The wire form of an event: compact JSON, ISO 8601 timestamps with offset, nulls left out."""
    return event.model_dump_json(exclude_none=True)
