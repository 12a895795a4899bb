"""Launchers for the infrastructure the native run brings up itself.

Each one knows how to prepare its data folder, the command that runs it in the foreground, and how
to tell that it is healthy. When the variable that addresses a service is set in the environment
(REDIS_HOST, PG_HOST, KAFKA_BROKER, KAFKA_CONNECT_URL), that service is external: the runner waits
for it but neither starts nor stops it.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import logging
import os
import shutil
import socket
import stat
import subprocess
import uuid
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql

from smart_shelf.paths import CONF_DIR, JARS_DIR, REPO_ROOT
from smart_shelf.runner.process import Launch
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = Path(home, "bin", "java") if home else shutil.which("java")
    if not java:
        raise FileNotFoundError("java not found: install OpenJDK 17 (make setup does) or set JAVA_HOME")
    return str(java)


def _kafka_classpath() -> str:
    if not any((JARS_DIR / "kafka").glob("kafka_2.13-*.jar")):
        raise FileNotFoundError(f"no Kafka jars in {JARS_DIR / 'kafka'}: run `make setup`")
    return str(JARS_DIR / "kafka" / "*")


def _jvm_opts(heap: str) -> list[str]:
    return [
        f"-Xms{heap}",
        f"-Xmx{heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        # the quick JIT compiler only: the broker and the Connect worker carry a store's few thousand
        # records a second, and the optimising compiler cost them more CPU than it saved (their first
        # three minutes: 26 against 48 CPU seconds; idle after: 7.6 % of a core against 11.6 %)
        "-XX:TieredStopAtLevel=1",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={CONF_DIR / 'kafka' / 'log4j2.properties'}",
    ]


def kraft_cluster_id() -> str:
    """A random KRaft cluster id (base64 of a UUID) that does not start with '-', which the storage
    tool would read as an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _kafka_jvm(main_class: str, config: Path, heap: str = "512m") -> Launch:
    """A JVM on the Kafka classpath (broker or Connect worker) with its properties file."""
    return Launch(
        argv=[_java(), *_jvm_opts(heap), "-cp", _kafka_classpath(), main_class, str(config)], cwd=REPO_ROOT
    )


def _write_properties(path: Path, values: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))


def _world_traversable(path: Path) -> bool:
    """True if every existing ancestor of `path` lets other users through (o+x)."""
    for folder in [path.resolve(), *path.resolve().parents]:
        if folder.exists() and not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


class Infra:
    name: str
    address_variable: str

    def external(self) -> bool:
        return self.address_variable in os.environ

    def state_dir(self, run_dir: Path) -> Path:
        """Where this service keeps its data and config."""
        return run_dir / self.name

    def prepare(self, settings: Settings, state: Path) -> None:
        """Create the data folder and config files; idempotent."""

    def launch(self, settings: Settings, state: Path) -> Launch:
        raise NotImplementedError

    def healthy(self, settings: Settings) -> bool:
        raise NotImplementedError

    def ready(self, settings: Settings, state: Path) -> bool:
        """Up enough for after_healthy(); usually the same as healthy()."""
        return self.healthy(settings)

    def after_healthy(self, settings: Settings, state: Path) -> None:
        """One-time set-up that needs the service running; idempotent."""


class Redis(Infra):
    name, address_variable = "redis", "REDIS_HOST"

    def launch(self, settings: Settings, state: Path) -> Launch:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        state.mkdir(parents=True, exist_ok=True)
        return Launch(
            argv=[
                binary,
                "--bind",
                settings.redis_host,
                "--port",
                str(settings.redis_port),
                "--dir",
                str(state),
                "--appendonly",
                "yes",
                # every write on disk before Redis answers: a SIGKILL then loses no stream entry,
                # checkpoint or cart the bridge may already have sent on (docs/benchmarks.md: the cost)
                "--appendfsync",
                "always",
                "--save",
                "",
                "--daemonize",
                "no",
            ],
            cwd=state,
        )

    def healthy(self, settings: Settings) -> bool:
        import redis

        try:
            return bool(
                redis.Redis(host=settings.redis_host, port=settings.redis_port, socket_timeout=2).ping()
            )
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return False


class Postgres(Infra):
    """A private cluster in var/postgres (wal_level=logical for Debezium), owned by the postgres user."""

    name, address_variable = "postgres", "PG_HOST"

    @staticmethod
    def _bin(tool: str) -> str:
        found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(p.split("/")[4]))
        path = found[-1] if found else shutil.which(tool)
        if not path:
            raise FileNotFoundError(f"PostgreSQL's {tool} not found: run `make setup`")
        return path

    @staticmethod
    def _user() -> str | None:
        return "postgres" if os.geteuid() == 0 else None  # postgres refuses to run as root

    def state_dir(self, run_dir: Path) -> Path:
        """var/postgres, unless the postgres user cannot reach it (a checkout under /root, say)."""
        preferred = run_dir / self.name
        if not self._user() or _world_traversable(run_dir):
            return preferred
        digest = hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:12]
        return Path("/var/lib/smart-shelf") / digest / self.name

    def _chown(self, path: Path) -> None:
        if self._user():
            shutil.chown(path, user="postgres", group="postgres")

    def prepare(self, settings: Settings, state: Path) -> None:
        data, sockets = state / "data", state / "run"
        for folder in (state, sockets):
            folder.mkdir(parents=True, exist_ok=True)
            self._chown(folder)
        if (data / "PG_VERSION").exists():
            return
        log.info("initialising a PostgreSQL cluster in %s", data)
        argv = [
            self._bin("initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ]
        subprocess.run(argv, check=True, user=self._user(), capture_output=True)

    def launch(self, settings: Settings, state: Path) -> Launch:
        options = {
            "listen_addresses": settings.pg_host,
            "port": settings.pg_port,
            "unix_socket_directories": state / "run",
            "wal_level": "logical",
            "max_replication_slots": 10,
            "max_wal_senders": 10,
            # a replication slot nobody reads (the CDC source stopped for good) is given up past this
            # much retained WAL rather than filling the disk; the source then snapshots again
            "max_slot_wal_keep_size": "1GB",
            "shared_buffers": "128MB",
            "max_connections": 100,
            "log_min_messages": "warning",
        }
        argv = [self._bin("postgres"), "-D", str(state / "data")]
        for key, value in options.items():
            argv += ["-c", f"{key}={value}"]
        return Launch(argv=argv, cwd=state, user=self._user())

    def _admin(self, settings: Settings, state: Path, dbname: str = "postgres"):
        return psycopg2.connect(
            host=str(state / "run"), port=settings.pg_port, user="postgres", dbname=dbname, connect_timeout=3
        )

    def healthy(self, settings: Settings) -> bool:
        try:
            psycopg2.connect(settings.pg_dsn()).close()
            return True
        except psycopg2.OperationalError:
            return False

    def ready(self, settings: Settings, state: Path) -> bool:
        try:
            self._admin(settings, state).close()
            return True
        except psycopg2.OperationalError:
            return False

    def after_healthy(self, settings: Settings, state: Path) -> None:
        """The writer role (with REPLICATION for CDC) and the database, with the password from settings."""
        conn = self._admin(settings, state)
        conn.autocommit = True
        with conn.cursor() as cur:
            role, password = sql.Identifier(settings.pg_user), settings.pg_pass.get_secret_value()
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (settings.pg_user,))
            verb = "ALTER" if cur.fetchone() else "CREATE"
            cur.execute(
                sql.SQL(verb + " ROLE {} LOGIN REPLICATION CREATEROLE PASSWORD %s").format(role), (password,)
            )
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.pg_db,))
            if not cur.fetchone():
                cur.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(settings.pg_db), role)
                )
        conn.close()


class Kafka(Infra):
    """A single KRaft node (broker and controller in one JVM); topics are never auto-created."""

    name, address_variable = "kafka", "KAFKA_BROKER"

    def _properties(self, settings: Settings, state: Path) -> dict[str, object]:
        host, port = settings.kafka_host_port
        controller = f"{host}:{settings.kafka_controller_port}"
        return {
            "process.roles": "broker,controller",
            "node.id": 1,
            "controller.quorum.voters": f"1@{controller}",
            "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{host}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": state / "data",
            "num.partitions": settings.topic_partitions,
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "group.initial.rebalance.delay.ms": 0,
            "log.retention.check.interval.ms": 60000,
            "num.network.threads": 2,
            "num.io.threads": 4,
        }

    def prepare(self, settings: Settings, state: Path) -> None:
        config = state / "server.properties"
        _write_properties(config, self._properties(settings, state))
        if (state / "data" / "meta.properties").exists():
            return
        cluster_id = kraft_cluster_id()
        log.info("formatting KRaft storage in %s (cluster %s)", state / "data", cluster_id)
        subprocess.run(
            [
                _java(),
                *_jvm_opts("256m"),
                "-cp",
                _kafka_classpath(),
                "kafka.tools.StorageTool",
                "format",
                f"--cluster-id={cluster_id}",
                "-c",
                str(config),
            ],
            check=True,
            capture_output=True,
        )

    def launch(self, settings: Settings, state: Path) -> Launch:
        return _kafka_jvm("kafka.Kafka", state / "server.properties")

    def healthy(self, settings: Settings) -> bool:
        if not _tcp_open(*settings.kafka_host_port):
            return False
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            admin = KafkaAdminClient(bootstrap_servers=settings.kafka_broker, request_timeout_ms=5000)
        except (KafkaError, OSError):
            return False
        try:
            admin.list_topics()
            return True
        except (KafkaError, OSError):
            return False
        finally:
            admin.close()


class KafkaConnect(Infra):
    """A distributed Connect worker with the Debezium plugins; its own producers are idempotent."""

    name, address_variable = "kafka-connect", "KAFKA_CONNECT_URL"

    def prepare(self, settings: Settings, state: Path) -> None:
        url = requests.utils.urlparse(settings.kafka_connect_url)
        _write_properties(
            state / "connect-distributed.properties",
            {
                "bootstrap.servers": settings.kafka_broker,
                "group.id": "smart-shelf-connect",
                "key.converter": "org.apache.kafka.connect.storage.StringConverter",
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                # JDBC sinks need records with a schema: topics sunk into Postgres carry the JSON envelope.
                "value.converter.schemas.enable": "true",
                "config.storage.topic": "_connect-configs",
                "offset.storage.topic": "_connect-offsets",
                "status.storage.topic": "_connect-status",
                "config.storage.replication.factor": settings.topic_replication_factor,
                "offset.storage.replication.factor": settings.topic_replication_factor,
                "status.storage.replication.factor": settings.topic_replication_factor,
                "offset.flush.interval.ms": 5000,
                "listeners": f"http://{url.hostname}:{url.port}",
                "rest.advertised.host.name": url.hostname,
                "rest.advertised.port": url.port,
                "plugin.path": JARS_DIR / "connect-plugins",
                # the Debezium plugins list themselves in ServiceLoader manifests: no scan of every
                # class of their jars (Hibernate's among them) at each start
                "plugin.discovery": "service_load",
                "producer.enable.idempotence": "true",
                "producer.acks": "all",
                "exactly.once.source.support": "enabled",
            },
        )

    def launch(self, settings: Settings, state: Path) -> Launch:
        # six connectors of small records hold under 100 MiB of live heap; a fixed 512 MiB heap
        # (the broker's) made the worker the stack's second largest process
        return _kafka_jvm(
            "org.apache.kafka.connect.cli.ConnectDistributed",
            state / "connect-distributed.properties",
            heap="256m",
        )

    def healthy(self, settings: Settings) -> bool:
        try:
            return requests.get(f"{settings.kafka_connect_url}/connectors", timeout=3).status_code == 200
        except requests.RequestException:
            return False


INFRA: dict[str, Infra] = {i.name: i for i in (Redis(), Postgres(), Kafka(), KafkaConnect())}
