"""Read docker-compose.yml as the list of services, so the native run and Docker cannot drift.

Each compose service may carry an `x-native` block:
  x-native: {infra: kafka}        started by the runner's own launcher for that infrastructure
  x-native: {skip: true}          Docker only (nothing to run natively)
  x-native: {spark_app: NAME}     a Spark job that the native run starts inside the one Spark
                                  application NAME (`python -m spark_apps <job> ...`): one JVM for
                                  every job fits 2 cores; `make up S=<job>` starts that application
Any other service runs its compose `command` natively (`python ...` runs in the project's venv).
A service with `restart: "no"` is one-shot: it must exit 0 before its dependents start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from smart_shelf.paths import COMPOSE_FILE


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    command: tuple[str, ...] = ()
    infra: str | None = None
    oneshot: bool = False
    depends_on: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def _command(raw: object) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return tuple(raw.split())
    return tuple(str(part) for part in raw)


def load_manifest(path: Path = COMPOSE_FILE) -> list[ServiceSpec]:
    """Services in dependency order (each after everything it depends on)."""
    document = yaml.safe_load(path.read_text())
    specs: dict[str, ServiceSpec] = {}
    for name, body in document["services"].items():
        native = body.get("x-native") or {}
        if native.get("skip"):
            continue
        depends = body.get("depends_on") or {}
        specs[name] = ServiceSpec(
            name=name,
            command=_command(native.get("command", body.get("command"))),
            infra=native.get("infra"),
            oneshot=str(body.get("restart", "")) == "no",
            depends_on=tuple(depends if isinstance(depends, list) else depends.keys()),
            profiles=tuple(body.get("profiles") or ()),
            extra=native,
        )
    return _topological(_spark_applications(specs))


def _spark_applications(specs: dict[str, ServiceSpec]) -> dict[str, ServiceSpec]:
    """Folds the jobs marked `spark_app: NAME` into one service NAME, in the first job's place."""
    groups: dict[str, list[ServiceSpec]] = {}
    for spec in specs.values():
        if spec.extra.get("spark_app"):
            groups.setdefault(spec.extra["spark_app"], []).append(spec)
    if not groups:
        return specs
    folded: dict[str, ServiceSpec] = {}
    for name, spec in specs.items():
        group = spec.extra.get("spark_app")
        if not group:
            folded[name] = spec
        elif group not in folded:
            members = groups[group]
            member_names = [m.name for m in members]
            depends = [d for m in members for d in m.depends_on if d not in member_names]
            folded[group] = ServiceSpec(
                name=group,
                command=("python", "-m", "spark_apps", *member_names),
                depends_on=tuple(dict.fromkeys(depends)),
                extra={"members": member_names},
            )
    return folded


def service_names(manifest: list[ServiceSpec], names: list[str]) -> list[str]:
    """Names as the user gives them, a Spark job standing for the application that runs it."""
    owner = {m: s.name for s in manifest for m in s.extra.get("members", ())}
    return list(dict.fromkeys(owner.get(n, n) for n in names))


def _topological(specs: dict[str, ServiceSpec]) -> list[ServiceSpec]:
    ordered: list[ServiceSpec] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"dependency cycle: {' -> '.join(trail + (name,))}")
        state[name] = "visiting"
        for dep in specs[name].depends_on:
            if dep in specs:
                visit(dep, trail + (name,))
        state[name] = "done"
        ordered.append(specs[name])

    for name in specs:
        visit(name, ())
    return ordered


def with_dependencies(manifest: list[ServiceSpec], names: list[str]) -> list[ServiceSpec]:
    """The named services and everything they need, in start order."""
    by_name = {s.name: s for s in manifest}
    names = service_names(manifest, names)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"unknown services {unknown}; known: {sorted(by_name)}")
    wanted: set[str] = set()
    stack = list(names)
    while stack:
        name = stack.pop()
        if name in wanted:
            continue
        wanted.add(name)
        stack.extend(d for d in by_name[name].depends_on if d in by_name)
    return [s for s in manifest if s.name in wanted]
