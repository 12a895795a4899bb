"""Bring services up (each once what it depends on is up), wait for health, report status, take them down."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from smart_shelf.paths import REPO_ROOT
from smart_shelf.postgres_client import drop_cdc
from smart_shelf.runner.infra import INFRA
from smart_shelf.runner.manifest import ServiceSpec, load_manifest, with_dependencies
from smart_shelf.runner.process import Launch, ProcessTable, rss_mib
from smart_shelf.runner.startup import start_when_ready
from smart_shelf.runner.watch import RestartBook
from smart_shelf.settings import Settings

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = {"kafka-connect": 240.0}
DEFAULT_HEALTH_TIMEOUT = 120.0
ONESHOT_TIMEOUT = 600.0
WATCHDOG = "runner-watch"
NEVER = threading.Event()  # the abort signal of a start that is never abandoned (never set)


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    state: str  # running | stopped | external | completed | failed
    health: str  # healthy | unhealthy | -
    pid: int | None
    rss_mib: float | None
    restarts: int = 0


class Supervisor:
    def __init__(
        self, settings: Settings, manifest: list[ServiceSpec] | None = None, env: dict[str, str] | None = None
    ):
        """`env`: variables for the services it starts, over this process's (a second stack on other
        ports, for tests, without making the runner take its own services for external ones)."""
        self.settings = settings
        self.env = dict(env or {})
        self.manifest = manifest if manifest is not None else load_manifest()
        self.table = ProcessTable(settings.run_dir, settings.log_dir)
        self.restarts = RestartBook(settings.run_dir)
        self._lock_depth = 0

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One runner at a time starts or stops services (`make up`, `make down`, the watchdog)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        with (self.settings.run_dir / "runner.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(handle, fcntl.LOCK_UN)

    def long_running(self) -> list[ServiceSpec]:
        """The services the watchdog keeps running: not one-shots, not external infrastructure."""
        return [s for s in self.manifest if not s.oneshot and not (s.infra and INFRA[s.infra].external())]

    # ------------------------------------------------------------------ up
    def up(self, names: list[str] | None = None) -> list[str]:
        """Start the named services (default: all) and their dependencies; returns what it started.
        Each long-running one is marked wanted: the watchdog starts it again if it exits."""
        specs = with_dependencies(self.manifest, names) if names else self.manifest
        started: list[str] = []  # as each process is launched, so a failure stops the half-started too
        watched = self.long_running()

        def on_started(spec: ServiceSpec) -> None:
            if spec in watched:
                self.restarts.want(spec.name)

        aborted = threading.Event()  # a start failed: the others under way stop waiting
        with self._locked():
            try:
                start_when_ready(
                    specs, lambda spec: self._start_one(spec, aborted, started), on_started, aborted
                )
            except BaseException:
                # Leave nothing half-started behind: stop what this call started, then report.
                log.error("start-up failed; stopping what was started: %s", ", ".join(started) or "nothing")
                self.down(started)
                raise
        return started

    def start_service(self, spec: ServiceSpec) -> bool:
        """Start one service (the watchdog's restart), waiting for infrastructure to be healthy."""
        with self._locked():
            return self._start_one(spec)

    def ensure_watchdog(self) -> None:
        """Start the watchdog (python -m smart_shelf.runner watch) unless it runs."""
        if self.table.pid(WATCHDOG):
            return
        launch = Launch([sys.executable, "-m", "smart_shelf.runner", "watch"], cwd=REPO_ROOT)
        pid = self.table.start(WATCHDOG, launch)
        log.info("%s started (pid %d): services that exit are started again; log %s", WATCHDOG, pid,
                 self.table.log_path(WATCHDOG))  # fmt: skip

    def _start_one(
        self, spec: ServiceSpec, aborted: threading.Event = NEVER, launched: list[str] | None = None
    ) -> bool:
        """Start one service; True if this call launched it. `launched` gets its name as soon as its
        process is launched; `aborted` set makes it give up (its waits, or its start)."""
        launched = [] if launched is None else launched
        if aborted.is_set():
            raise RuntimeError(f"{spec.name} not started: start-up abandoned")
        if spec.infra:
            return self._start_infra(spec, aborted, launched)
        if spec.oneshot:
            launch = self._app_launch(spec)
            t0 = time.monotonic()
            code = self.table.run_to_completion(spec.name, launch, ONESHOT_TIMEOUT)
            if code != 0:
                raise RuntimeError(f"{spec.name} exited with {code}; see {self.table.log_path(spec.name)}")
            log.info("%s completed in %.1fs", spec.name, time.monotonic() - t0)
            launched.append(spec.name)
            return True
        if self.table.pid(spec.name):
            log.info("%s already running", spec.name)
            return False
        pid = self.table.start(spec.name, self._app_launch(spec))
        launched.append(spec.name)
        log.info("%s started (pid %d), log %s", spec.name, pid, self.table.log_path(spec.name))
        return True

    def _start_infra(self, spec: ServiceSpec, aborted: threading.Event, launched: list[str]) -> bool:
        infra = INFRA[spec.infra]
        state = infra.state_dir(self.settings.run_dir)
        timeout = HEALTH_TIMEOUT_SECONDS.get(spec.name, DEFAULT_HEALTH_TIMEOUT)
        if infra.external():
            log.info("%s is external (%s is set): waiting for it", spec.name, infra.address_variable)
            self._wait(
                spec.name, lambda: infra.healthy(self.settings), timeout, managed=False, aborted=aborted
            )
            return False
        started = False
        if not self.table.pid(spec.name):
            infra.prepare(self.settings, state)
            launch = infra.launch(self.settings, state)
            launch = dataclasses.replace(launch, env={**self.env, **launch.env})
            pid = self.table.start(spec.name, launch)
            launched.append(spec.name)
            log.info("%s started (pid %d), log %s", spec.name, pid, self.table.log_path(spec.name))
            started = True
        self._wait(
            spec.name, lambda: infra.ready(self.settings, state), timeout, what="ready", aborted=aborted
        )
        infra.after_healthy(self.settings, state)
        self._wait(spec.name, lambda: infra.healthy(self.settings), timeout, aborted=aborted)
        return started

    def _wait(
        self,
        name: str,
        check: Callable[[], bool],
        timeout: float,
        managed: bool = True,
        what: str = "healthy",
        aborted: threading.Event = NEVER,
    ) -> None:
        t0 = time.monotonic()
        while not check():
            if aborted.is_set():
                raise RuntimeError(f"start-up abandoned while {name} was starting")
            if managed and self.table.pid(name) is None:
                raise RuntimeError(f"{name} exited during start-up; see {self.table.log_path(name)}")
            if time.monotonic() - t0 > timeout:
                raise TimeoutError(f"{name} not {what} after {timeout:.0f}s; see {self.table.log_path(name)}")
            time.sleep(0.5)
        log.info("%s %s after %.1fs", name, what, time.monotonic() - t0)

    def _app_launch(self, spec: ServiceSpec) -> Launch:
        if not spec.command:
            raise ValueError(f"service {spec.name} has no command in docker-compose.yml")
        argv = list(spec.command)
        if argv[0] in ("python", "python3"):
            argv[0] = sys.executable  # the project's venv
        return Launch(argv=argv, cwd=REPO_ROOT, env={**self.env, "PYTHONUNBUFFERED": "1"})

    def exec_foreground(self, name: str) -> int:
        """Replace this process with the service (how its container runs it)."""
        spec = next(s for s in self.manifest if s.name == name)
        infra = INFRA[spec.infra]
        state = infra.state_dir(self.settings.run_dir)
        infra.prepare(self.settings, state)
        launch = infra.launch(self.settings, state)
        os.chdir(launch.cwd)
        os.execvpe(launch.argv[0], launch.argv, {**os.environ, **launch.env})

    # ------------------------------------------------------------------ down / reset
    def down(self, names: list[str] | None = None) -> list[str]:
        """Stop the named services (default: all and the watchdog), dependants first; data is kept.
        They are unmarked first, so the watchdog never starts what is being stopped."""
        specs = [s for s in self.manifest if not names or s.name in names]
        for spec in specs:
            self.restarts.unwant(spec.name)
        if not names and self.table.stop(WATCHDOG):
            log.info("%s stopped", WATCHDOG)
        stopped = []
        with self._locked():
            for spec in reversed(specs):
                if self.table.stop(spec.name):
                    log.info("%s stopped", spec.name)
                    stopped.append(spec.name)
        return stopped

    def reset(self) -> None:
        """Stop everything and wipe data, Delta tables, checkpoints and logs."""
        if INFRA["kafka-connect"].external():
            self._delete_cdc_connector()  # a worker we do not stop would hold the slot
        self.down()
        if INFRA["postgres"].external():
            drop_cdc(self.settings)
        outside = [i.state_dir(self.settings.run_dir) for i in INFRA.values() if not i.external()]
        for folder in [*outside, self.settings.run_dir, self.settings.log_dir]:
            if folder.exists():
                log.info("removing %s", folder)
                shutil.rmtree(folder)
        # delta/ keeps its tracked README; tables and checkpoints go.
        for child in self.settings.delta_root.glob("*"):
            if child.name != "README.md":
                log.info("removing %s", child)
                shutil.rmtree(child) if child.is_dir() else child.unlink()

    def _delete_cdc_connector(self) -> None:
        from smart_shelf.connect.client import ConnectClient
        from smart_shelf.connect.configs import CDC_CONNECTOR

        client = ConnectClient(self.settings.kafka_connect_url)
        if CDC_CONNECTOR in client.names():
            client.delete(CDC_CONNECTOR)
            log.info("deleted connector %s", CDC_CONNECTOR)

    # ------------------------------------------------------------------ status
    def status(self) -> list[ServiceStatus]:
        out = []
        for spec in self.manifest:
            pid = self.table.pid(spec.name)
            record = self.restarts.load(spec.name)
            infra = INFRA.get(spec.infra or "")
            if infra and infra.external():
                state = "external"
            elif pid:
                state = "running"
            elif spec.oneshot and self.table.exit_code(spec.name) is not None:
                state = "completed" if self.table.exit_code(spec.name) == 0 else "failed"
            elif record.failed:
                state = "failed"  # the watchdog gave up on it
            elif self.restarts.wanted(spec.name):
                state = "restarting"  # exited; the watchdog starts it again
            else:
                state = "stopped"
            if infra and state in ("running", "external"):
                health = "healthy" if infra.healthy(self.settings) else "unhealthy"
            elif state == "running":
                health = "healthy"
            else:
                health = "-"
            rss = rss_mib(pid) if pid else None
            out.append(ServiceStatus(spec.name, state, health, pid, rss, record.restarts))
        return out
