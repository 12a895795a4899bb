"""The runner starts each service once everything it depends on is up, several at a time."""

import threading

import pytest

from smart_shelf.runner.manifest import ServiceSpec
from smart_shelf.runner.startup import start_when_ready

WAIT_S = 10  # far beyond what any step here takes: reached only when the behaviour is wrong


def _spec(name: str, *depends_on: str) -> ServiceSpec:
    return ServiceSpec(name, command=("true",), depends_on=depends_on)


class Journal:
    """What each fake start did, in order, from any thread."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def add(self, what: str, name: str) -> None:
        with self.lock:
            self.events.append((what, name))

    def index(self, what: str, name: str) -> int:
        return self.events.index((what, name))


def test_independent_services_start_side_by_side():
    both_waiting = threading.Barrier(2, timeout=WAIT_S)  # broken unless the two starts overlap
    started = []

    def start(spec):
        both_waiting.wait()
        return True

    start_when_ready(
        [_spec("kafka"), _spec("postgres")],
        start,
        lambda spec: started.append(spec.name),
        threading.Event(),
    )
    assert sorted(started) == ["kafka", "postgres"]


def test_a_service_starts_only_after_everything_it_depends_on_has():
    specs = [
        _spec("redis"),
        _spec("kafka"),
        _spec("kafka-init", "kafka"),
        _spec("connect", "kafka", "kafka-init"),
        _spec("spark-apps", "kafka-init", "connect", "redis"),
        _spec("dashboard", "redis"),
    ]
    journal = Journal()

    def start(spec):
        journal.add("begin", spec.name)
        journal.add("end", spec.name)
        return True

    done = []
    start_when_ready(specs, start, lambda spec: done.append(spec.name), threading.Event(), threads=3)
    assert sorted(done) == sorted(s.name for s in specs)
    for spec in specs:
        for dependency in spec.depends_on:
            assert journal.index("end", dependency) < journal.index("begin", spec.name), (
                spec,
                journal.events,
            )


def test_dependencies_outside_the_list_are_taken_as_up():
    done = []
    start_when_ready(
        [_spec("bridge", "redis", "kafka-init")],
        lambda spec: True,
        lambda s: done.append(s.name),
        threading.Event(),
    )
    assert done == ["bridge"]


def test_after_a_failure_nothing_new_starts_the_others_end_and_the_failure_is_raised():
    specs = [
        _spec("postgres"),
        _spec("kafka"),
        _spec("kafka-init", "kafka"),
        _spec("postgres-init", "postgres"),
    ]
    kafka_failed = threading.Event()
    aborted = threading.Event()
    done = []

    def start(spec):
        if spec.name == "kafka":
            kafka_failed.set()
            raise TimeoutError("kafka not healthy after 120s")
        if spec.name == "postgres":
            # under way when kafka fails: it is told, and still reported as ended
            assert kafka_failed.wait(WAIT_S) and aborted.wait(WAIT_S)
            return True
        return True

    with pytest.raises(TimeoutError, match="kafka not healthy"):
        start_when_ready(specs, start, lambda spec: done.append(spec.name), aborted)
    assert done == ["postgres"]  # neither kafka-init (its dependency failed) nor postgres-init started
    assert aborted.is_set()


def test_a_dependency_cycle_is_reported_not_waited_on():
    with pytest.raises(RuntimeError, match="never started"):
        start_when_ready(
            [_spec("a", "b"), _spec("b", "a")], lambda spec: True, lambda s: None, threading.Event()
        )
