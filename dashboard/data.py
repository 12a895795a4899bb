"""The one data module the pages read: cached connections (`st.cache_resource`) and cached answers
(`st.cache_data`, kept for one refresh interval), each a DataFrame or a plain value.

A source that is missing (Postgres or Redis down, a table or Delta table not created yet, the clock
not running) raises `Unavailable` with what is missing and how to start it; pages show that message.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import psycopg2
import psycopg2.errors
import psycopg2.extensions
import redis
import streamlit as st

from dashboard import lake, live, queries
from smart_shelf.contracts import APPEND_ONLY
from smart_shelf.settings import DashboardSettings

log = logging.getLogger(__name__)


class Unavailable(RuntimeError):
    """A source the view needs is missing; the message says which and how to start it."""


@st.cache_resource
def settings() -> DashboardSettings:
    return DashboardSettings()


TTL = timedelta(milliseconds=settings().dash_autorefresh_ms)

# NUMERIC columns arrive as float, not Decimal: charts and arithmetic want numbers
_NUMERIC_AS_FLOAT = psycopg2.extensions.new_type(
    psycopg2.extensions.DECIMAL.values, "NUMERIC_AS_FLOAT", lambda v, _c: float(v) if v is not None else None
)


# ------------------------------------------------------------------ PostgreSQL


@st.cache_resource
def _postgres() -> psycopg2.extensions.connection:
    s = settings()
    conn = psycopg2.connect(s.pg_dsn(readonly=True))
    conn.set_session(readonly=True, autocommit=True)
    psycopg2.extensions.register_type(_NUMERIC_AS_FLOAT, conn)
    return conn


def _sql(query, *args, **kwargs) -> pd.DataFrame:
    s = settings()
    try:
        conn = _postgres()
        if conn.closed:
            raise psycopg2.InterfaceError("connection closed")
        return query(conn, *args, **kwargs)
    except psycopg2.errors.UndefinedTable as exc:
        raise Unavailable(
            f"PostgreSQL has no {str(exc).splitlines()[0].split('relation ')[-1]}: the schema is created by "
            "postgres-init (make up S=postgres-init)"
        ) from None
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        _postgres.clear()  # the next refresh connects again
        log.warning("postgres unavailable: %s", str(exc).strip().splitlines()[0] if str(exc).strip() else exc)
        raise Unavailable(
            f"PostgreSQL at {s.pg_host}:{s.pg_port} is not reachable: start it with `make up S=postgres` "
            "(or `make demo`)"
        ) from None


@st.cache_data(ttl=TTL, show_spinner=False)
def _query(name: str, *args, **kwargs) -> pd.DataFrame:
    return _sql(getattr(queries, name), *args, **kwargs)


def _postgres_view(name: str):
    """data.<name>(...) = queries.<name>(connection, ...), cached for one refresh interval."""
    return functools.partial(_query, name)


warehouse_status = _postgres_view("warehouse_status")
sales_totals = _postgres_view("sales_totals")
sales_by_hour = _postgres_view("sales_by_hour")
top_products = _postgres_view("top_products")
discount_effect = _postgres_view("discount_effect")
open_alerts_by_type = _postgres_view("open_alerts_by_type")
open_alert_shelves = _postgres_view("open_alert_shelves")
alert_lifecycle = _postgres_view("alert_lifecycle")
shelf_batches = _postgres_view("shelf_batches")
restock_plans = _postgres_view("restock_plans")
supplier_plans = _postgres_view("supplier_plans")
next_deliveries = _postgres_view("next_deliveries")
receipts = _postgres_view("receipts")
models = _postgres_view("models")
predictions = _postgres_view("predictions")
inference_runs = _postgres_view("inference_runs")
dead_letters = _postgres_view("dead_letters")


@st.cache_data(ttl=TTL, show_spinner=False)
def shelf_status(today: date) -> pd.DataFrame:
    """Every shelf with its `condition` (store_map.with_conditions) on `today`."""
    from dashboard.store_map import with_conditions

    return with_conditions(_sql(queries.shelf_status, today), today)


def alerts(
    since: datetime | None = None,
    event_types: tuple[str, ...] | None = None,
    statuses: tuple[str, ...] | None = None,
    shelf_id: str | None = None,
) -> pd.DataFrame:
    return _query(
        "alerts",
        since=since,
        event_types=list(event_types) if event_types else None,
        statuses=list(statuses) if statuses else None,
        shelf_id=shelf_id,
    )


# ------------------------------------------------------------------ Delta Lake


def _delta(read, *args) -> pd.DataFrame:
    try:
        return read(*args)
    except lake.TableMissing as exc:
        raise Unavailable(str(exc)) from None


@st.cache_data(ttl=TTL, show_spinner=False)
def shelf_events(shelf_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    return _delta(lake.shelf_events, settings().delta_shelf_events_path, shelf_id, start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def shelf_stock_history(shelf_id: str, end: datetime) -> pd.DataFrame:
    """The shelf's count after each event: the loaded stock plus every move onto or off it."""
    initial = _sql(queries.loaded_stock, shelf_id)
    moves = _delta(lake.shelf_unit_moves, settings().delta_shelf_events_path, shelf_id, end)
    moves["stock"] = int(initial["current_stock"].iloc[0]) + moves["units"].cumsum()
    return moves


@st.cache_data(ttl=TTL, show_spinner=False)
def sessions(start: datetime, end: datetime) -> pd.DataFrame:
    return _delta(lake.sessions, settings().delta_root / "raw" / "foot_traffic", start, end)


@st.cache_data(ttl=TTL, show_spinner=False)
def orders_by_cutoff() -> pd.DataFrame:
    return _delta(lake.orders_by_cutoff, settings().delta_supplier_orders_path)


@st.cache_data(ttl=TTL, show_spinner=False)
def supplier_plans_per_day() -> pd.DataFrame:
    return _delta(lake.supplier_plans_per_day, settings().delta_supplier_plan_path)


@st.cache_data(ttl=TTL, show_spinner=False)
def quarantined() -> pd.DataFrame:
    return lake.quarantined(settings().delta_root, list(APPEND_ONLY))


# ------------------------------------------------------------------ Redis: the clock and the store now


@st.cache_resource
def _redis() -> redis.Redis:
    s = settings()
    return redis.Redis(
        host=s.redis_host, port=s.redis_port, db=s.redis_db, decode_responses=True, socket_connect_timeout=3
    )


def _live(read, *args):
    s = settings()
    try:
        return read(_redis(), *args)
    except redis.exceptions.RedisError:
        raise Unavailable(
            f"Redis at {s.redis_host}:{s.redis_port} is not reachable: start it with `make up S=redis`"
        ) from None


def _sim_now(client) -> datetime:
    from simulated_time.clock import SIM_NOW_KEY

    raw = client.get(SIM_NOW_KEY)
    if raw is None:
        raise Unavailable("the simulated clock has not started: `make up S=sim-clock` (or `make demo`)")
    return datetime.fromisoformat(raw)


@st.cache_data(ttl=TTL, show_spinner=False)
def speed() -> float:
    """How many simulated seconds pass per real second, as the running clock says."""
    if not settings().use_simulated_time:
        return 1.0
    from simulated_time.clock import SIM_SPEED_KEY

    return float(_live(lambda client: client.get(SIM_SPEED_KEY)) or settings().time_multiplier)


@st.cache_data(ttl=timedelta(seconds=1), show_spinner=False)
def now() -> datetime:
    """Simulated time (wall-clock UTC time when USE_SIMULATED_TIME=0)."""
    if not settings().use_simulated_time:
        return datetime.now(UTC)
    return _live(_sim_now)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


@st.cache_data(ttl=TTL, show_spinner=False)
def customers_in_store(at: datetime) -> int:
    return _live(live.customers_in_store, at)


@st.cache_data(ttl=TTL, show_spinner=False)
def weighed_shelves(at: datetime) -> set[str]:
    s = settings()
    return _live(
        live.weighed_shelves, at, timedelta(seconds=s.weight_event_lookback_sec), s.weight_event_type
    )


@st.cache_data(ttl=TTL, show_spinner=False)
def lost_sales(day: date) -> dict[str, int]:
    return _live(live.lost_sales, day)


@st.cache_data(ttl=TTL, show_spinner=False)
def query_progress() -> pd.DataFrame:
    from smart_shelf.spark import query_progress as progress

    rows = _live(progress.read)
    columns = ["query", "batch_id", "timestamp", "input_rows", "rows_per_second", "batch_seconds"]
    return pd.DataFrame(rows, columns=columns).sort_values("query", ignore_index=True)


# ------------------------------------------------------------------ the pipeline's services


@st.cache_data(ttl=TTL, show_spinner=False)
def services() -> pd.DataFrame:
    """The native runner's view of every service (empty when nothing was started by the runner)."""
    from smart_shelf.runner.supervisor import Supervisor

    rows = Supervisor(settings()).status()
    columns = ["name", "state", "health", "pid", "rss_mib", "restarts"]
    return pd.DataFrame([vars(r) for r in rows], columns=columns).round({"rss_mib": 0})


@st.cache_data(ttl=TTL, show_spinner=False)
def consumer_lag() -> pd.DataFrame:
    from smart_shelf.kafka_client import consumer_group_lag, make_admin

    s = settings()
    try:
        admin = make_admin(s, deadline_seconds=5)
    except Exception:  # noqa: BLE001 - any failure to reach the broker is the same message
        raise Unavailable(
            f"Kafka at {s.kafka_broker} is not reachable: start it with `make up S=kafka`"
        ) from None
    try:
        lag = consumer_group_lag(s, admin)
    finally:
        admin.close()
    rows = [{"group": g, "topic": t, "lag": n} for g, topics in lag.items() for t, n in topics.items()]
    return pd.DataFrame(rows, columns=["group", "topic", "lag"])


@st.cache_data(ttl=TTL, show_spinner=False)
def connectors() -> pd.DataFrame:
    import requests

    from smart_shelf.connect.client import ConnectClient

    s = settings()
    client = ConnectClient(s.kafka_connect_url)
    try:
        names = client.names()
    except requests.RequestException:
        raise Unavailable(
            f"Kafka Connect at {s.kafka_connect_url} is not reachable: `make up S=kafka-connect`"
        ) from None
    states = [client.state(n) for n in sorted(names)]
    return pd.DataFrame(
        [{"connector": st_.name, "state": st_.connector, "tasks": ", ".join(st_.tasks)} for st_ in states],
        columns=["connector", "state", "tasks"],
    )
