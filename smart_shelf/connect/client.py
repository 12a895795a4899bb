"""A small Kafka Connect REST client: register connectors idempotently, wait until they run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import requests

from smart_shelf.retry import retry

log = logging.getLogger(__name__)
TIMEOUT = 30


class ConnectorFailed(RuntimeError):
    """A connector or one of its tasks FAILED (the message carries the worker's trace)."""


@dataclass(frozen=True)
class ConnectorState:
    name: str
    connector: str  # RUNNING | PAUSED | STOPPED | FAILED | UNASSIGNED | RESTARTING | MISSING | UNREACHABLE
    tasks: tuple[str, ...]
    trace: str | None = None

    @property
    def running(self) -> bool:
        return self.connector == "RUNNING" and bool(self.tasks) and all(t == "RUNNING" for t in self.tasks)

    @property
    def failed(self) -> bool:
        return self.connector == "FAILED" or "FAILED" in self.tasks

    def summary(self) -> str:
        tasks = ", ".join(self.tasks) or "no tasks"
        return f"{self.connector} ({tasks})"


class ConnectClient:
    def __init__(self, url: str):
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{self.url}{path}", timeout=TIMEOUT, **kwargs)
        if response.status_code >= 400 and response.status_code != 404:
            raise requests.HTTPError(
                f"{method} {path}: {response.status_code} {response.text[:2000]}", response=response
            )
        return response

    def wait_until_up(self, deadline_seconds: float) -> None:
        retry(
            lambda: self._call("GET", "/connectors"),
            what=f"Kafka Connect at {self.url}",
            deadline_seconds=deadline_seconds,
            exceptions=(requests.RequestException,),
        )

    def put_config(self, name: str, config: dict) -> bool:
        """Create or update a connector; True if it was created."""
        # a rebalance in progress answers 409: try again shortly
        response = retry(
            lambda: self._call("PUT", f"/connectors/{name}/config", json=config),
            what=f"registering connector {name}",
            deadline_seconds=120,
            max_delay=5,
            exceptions=(requests.RequestException,),
        )
        return response.status_code == 201

    def names(self) -> list[str]:
        return self._call("GET", "/connectors").json()

    def state(self, name: str) -> ConnectorState:
        try:
            response = self._call("GET", f"/connectors/{name}/status")
        except requests.RequestException as exc:
            # a worker starting or rejoining its group answers late or not at all: not a verdict
            return ConnectorState(name, "UNREACHABLE", (), str(exc))
        if response.status_code == 404:
            return ConnectorState(name, "MISSING", ())
        body = response.json()
        tasks = body.get("tasks", [])
        traces = [body["connector"].get("trace")] + [t.get("trace") for t in tasks]
        return ConnectorState(
            name,
            body["connector"]["state"],
            tuple(t["state"] for t in tasks),
            next((t for t in traces if t), None),
        )

    def wait_running(self, names: list[str], deadline_seconds: float, poll: float = 1.0) -> None:
        """Until every connector and every task of each is RUNNING; ConnectorFailed on a FAILED one."""
        deadline = time.monotonic() + deadline_seconds
        pending = list(names)
        while True:
            states = [self.state(name) for name in pending]
            for state in states:
                if state.failed:
                    raise ConnectorFailed(f"connector {state.name} is {state.summary()}:\n{state.trace}")
            pending = [s.name for s in states if not s.running]
            if not pending:
                return
            if time.monotonic() > deadline:
                waiting = ", ".join(f"{s.name} {s.summary()}" for s in states if not s.running)
                raise TimeoutError(f"not RUNNING after {deadline_seconds:.0f}s: {waiting}")
            time.sleep(poll)

    def stop(self, name: str) -> None:
        self._call("PUT", f"/connectors/{name}/stop")

    def resume(self, name: str) -> None:
        self._call("PUT", f"/connectors/{name}/resume")

    def delete_offsets(self, name: str) -> None:
        """Forget a stopped connector's offsets (a sink then replays its topics from the start)."""
        self._call("DELETE", f"/connectors/{name}/offsets")

    def delete(self, name: str) -> None:
        # a rebalance in progress answers 409 or late
        retry(
            lambda: self._call("DELETE", f"/connectors/{name}"),
            what=f"deleting connector {name}",
            deadline_seconds=120,
            max_delay=5,
            exceptions=(requests.RequestException,),
        )
