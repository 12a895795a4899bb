"""Fixtures shared by every tier.

Real services are started once per run by the native runner (or, when REDIS_HOST, PG_HOST,
KAFKA_BROKER or KAFKA_CONNECT_URL are set, the external ones are used); what a run started is
stopped at its end. Factory fixtures give each test its own topic, stream, group and schema names.
A test that needs a service and cannot reach it fails: nothing is skipped silently.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import uuid
from pathlib import Path

import pytest

from smart_shelf.settings import Settings, get_settings
from tests.spark_guard import GRACE_S, SparkGuard, deadline, stop_queries

INFRA_SERVICES = [
    "redis",
    "data-generator",
    "postgres",
    "postgres-init",
    "kafka",
    "kafka-init",
    "kafka-connect",
    "connect-init",
]


SPARK_DEADLINE = pytest.StashKey[float]()
# A file of the run, named in the environment its worker processes (pytest-xdist) inherit: the first
# process to need the stack brings it up and lists there what it started; the run stops that at its end.
STARTED_FILE = "SMART_SHELF_TESTS_STARTED"
# Tests on the shared Kafka Connect worker run one after another in one process: one of them SIGKILLs it.
CONNECT_GROUP = "kafka-connect"


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config):
    if not _is_worker(config):
        handle, path = tempfile.mkstemp(prefix="smart-shelf-tests-", suffix=".started")
        os.close(handle)
        os.environ[STARTED_FILE] = path


def pytest_unconfigure(config):
    if _is_worker(config) or STARTED_FILE not in os.environ:
        return
    path = Path(os.environ.pop(STARTED_FILE))
    started = path.read_text().split()[1:]  # after "up"
    path.unlink()
    if started:
        from smart_shelf.runner.supervisor import Supervisor

        Supervisor(get_settings()).down(started)  # only what this run started


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadgroup":
        from tests.scheduling import FaultDayReserved

        return FaultDayReserved(config, log)
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks set here
def pytest_collection_modifyitems(config, items):
    # Tests under tests/integration and tests/e2e need the real services.
    for item in items:
        path = str(item.path)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)
        # make test's processes (--dist loadgroup) each take a group at a time: a module (its
        # module-scoped fixtures built once), or every test on the shared Kafka Connect worker
        if "connect" in getattr(item, "fixturenames", ()) or "/tests/integration/connect/" in path:
            item.add_marker(pytest.mark.xdist_group(CONNECT_GROUP))
        else:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.partition("::")[0]))
        if "spark" in getattr(item, "fixturenames", ()):
            # the test's timeout becomes the deadline of its Spark work (a thread, see spark_guard);
            # pytest-timeout's signal only comes GRACE_S later, for a test stuck outside Spark
            marker = item.get_closest_marker("timeout")
            seconds = float(marker.args[0]) if marker and marker.args else float(config.getini("timeout"))
            item.stash[SPARK_DEADLINE] = seconds
            item.add_marker(pytest.mark.timeout(seconds + GRACE_S))


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def stack(settings):
    """The running infrastructure: Redis, Postgres (schema applied), Kafka (topics), Kafka Connect
    (every connector registered and running). Started once for the run, stopped at its end
    (pytest_unconfigure), whichever of the run's processes gets here first."""
    from smart_shelf.logs import configure_logging
    from smart_shelf.runner.supervisor import Supervisor

    configure_logging("INFO")
    supervisor = Supervisor(settings)
    with open(os.environ[STARTED_FILE], "r+") as listing:
        fcntl.flock(listing, fcntl.LOCK_EX)  # the run's other processes wait here, then find it up
        if not listing.read():
            started = supervisor.up(INFRA_SERVICES)
            listing.write(" ".join(["up", *started]))  # the one-shots (kafka-init, connect-init...) ran once
    return supervisor


@pytest.fixture
def unique() -> str:
    """A short name fragment unique to this test, for topics, streams, groups and schemas."""
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def spark_guard(settings):
    guard = SparkGuard(settings)
    yield guard
    guard.stop()


@pytest.fixture
def spark(spark_guard, request):
    """The run's local Spark session (the project's jars: Delta, Kafka, JDBC), answering when the test
    starts; its jobs cancelled at the test's deadline; queries the test left running stopped after it."""
    session = spark_guard.healthy()
    with deadline(session, request.node.stash[SPARK_DEADLINE]) as fired:
        yield session
    from smart_shelf.spark.ledger import close_running

    left = stop_queries(session)
    close_running()  # the ledgers' producers: left open, they retry the test's deleted topics
    if fired.is_set():
        pytest.fail(
            f"the test's Spark work passed its deadline of {request.node.stash[SPARK_DEADLINE]:.0f} s"
        )
    if left:
        logging.getLogger(__name__).warning("stopped streaming queries the test left running: %s", left)


@pytest.fixture
def topic_factory(stack, settings, unique):
    """Creates topics with test-unique names through kafka-init's own code; deletes them afterwards."""
    from kafka_components.kafka_init.admin import ensure_topics
    from kafka_components.kafka_init.topic_config import APPEND_ONLY_CONFIG, TopicSpec
    from smart_shelf.kafka_client import make_admin

    admin = make_admin(settings, deadline_seconds=60)
    created: list[str] = []

    def create(
        suffix: str, partitions: int = 3, config: dict | None = None, *, dead_letters: bool = False
    ) -> str:
        """Creates test.<unique>.<suffix> (and its dlq.test.<unique>.<suffix> when asked)."""
        name = f"test.{unique}.{suffix}"
        if dead_letters:
            create_exact(f"dlq.{name}", partitions, config)
        create_exact(name, partitions, config)
        return name

    def create_exact(name: str, partitions: int, config: dict | None) -> None:
        ensure_topics(admin, [TopicSpec(name, partitions, 1, dict(config or APPEND_ONLY_CONFIG))])
        created.append(name)

    yield create
    admin.close()
    # a fresh client: the broker drops connections idle for 10 minutes, as a long test leaves this one
    admin = make_admin(settings, deadline_seconds=60)
    if created:
        admin.delete_topics(created)
    # consumer groups a test made (named test-<unique>-...) go too, so `make status` stays readable
    groups = [g for g, _ in admin.list_consumer_groups() if g.startswith(f"test-{unique}")]
    if groups:
        admin.delete_consumer_groups(groups)
    admin.close()


@pytest.fixture
def pg_conn(stack, settings):
    from smart_shelf.postgres_client import connect_postgres

    conn = connect_postgres(settings, deadline_seconds=60)
    yield conn
    conn.close()


@pytest.fixture
def pg_schema(pg_conn, unique):
    """A schema of this test's own, dropped afterwards."""
    name = f"test_{unique}"
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA "{name}" CASCADE')


# The tests that open alerts in the shared ops.alerts, each on a shelf of its own from the end of the
# store's list: at most one alert of a kind is open per shelf, so two tests running side by side on
# one shelf would refuse each other's alerts.
ALERT_SHELF_USERS = ("alerts-sink", "schema", "dashboard-queries", "dashboard-pages", "dashboard-browser")


def alert_shelf(conn, user: str) -> str:
    """The shelf of one of ALERT_SHELF_USERS."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT shelf_id FROM ref.store_inventory ORDER BY shelf_id DESC OFFSET %s LIMIT 1",
            (ALERT_SHELF_USERS.index(user),),
        )
        return cur.fetchone()[0]


def free_port() -> int:
    """A TCP port nothing listens on now (for a server a test starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def consume_all(settings, topic: str, expected: int, timeout_s: float = 30.0) -> list:
    """Read a topic from the start until `expected` records arrived (or the timeout)."""
    import time

    from smart_shelf.kafka_client import make_consumer

    consumer = make_consumer(settings, topic, group_id=None, deadline_seconds=60, consumer_timeout_ms=1000)
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            records.extend(consumer)
    finally:
        consumer.close()
    return records


def read_to_end(settings, topic: str) -> list:
    """Every record of a topic, from the start to its end offsets as they are now."""
    from kafka import TopicPartition

    from smart_shelf.kafka_client import make_consumer

    consumer = make_consumer(settings, group_id=None, deadline_seconds=60)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    ends = consumer.end_offsets(partitions)
    out = []
    try:
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=2000).values():
                out += batch
    finally:
        consumer.close()
    return out


# ---------------------------------------------------------------- Kafka Connect

CONNECT_WAIT_SECONDS = 120


@pytest.fixture
def connect(stack, settings):
    from smart_shelf.connect.client import ConnectClient

    return ConnectClient(settings.kafka_connect_url)


@pytest.fixture
def connectors(connect, settings, pg_conn, unique):
    """register(name, config): create a connector and wait until it and its tasks run; afterwards
    it goes with what it left behind (a source's slot and publication, a sink's dead letters and group)."""
    from smart_shelf.kafka_client import make_admin
    from smart_shelf.postgres_client import drop_slot_when_released

    names: list[str] = []
    slots: list[tuple[str, str]] = []

    def register(name: str, config: dict) -> str:
        connect.put_config(name, config)
        names.append(name)
        if "slot.name" in config:
            slots.append((config["slot.name"], config["publication.name"]))
        connect.wait_running([name], deadline_seconds=CONNECT_WAIT_SECONDS)
        return name

    yield register
    for name in names:
        connect.delete(name)
    pg_conn.autocommit = True
    with pg_conn.cursor() as cur:
        for slot, publication in slots:
            drop_slot_when_released(cur, slot)
            cur.execute(f'DROP PUBLICATION IF EXISTS "{publication}"')
    admin = make_admin(settings, deadline_seconds=60)
    leftovers = [t for t in admin.list_topics() if t.startswith(f"dlq.connect.test.{unique}.")]
    if leftovers:
        admin.delete_topics(leftovers)
    groups = {g for g, _ in admin.list_consumer_groups()} & {f"connect-{name}" for name in names}
    if groups:
        admin.delete_consumer_groups(list(groups))  # the sinks' consumer groups
    admin.close()


def table_like(pg_conn, schema: str, table: str) -> str:
    """A copy of a project table in the test's schema (no foreign keys)."""
    name = f'"{schema}".{table.split(".")[1]}'
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL)")
    return name


def rows(pg_conn, table: str, order: str) -> list[tuple]:
    with pg_conn, pg_conn.cursor() as cur:
        cur.execute(f"SELECT * FROM {table} ORDER BY {order}")
        return cur.fetchall()
