"""make test's scheduler (tests/scheduling.py): the fault day starts at once in a process of its own,
which gets nothing else until it has run; the simulated day, a group of one test, starts at once in
another process instead of last."""

from __future__ import annotations

from tests.scheduling import EARLY, RESERVED, FaultDayReserved


class _Config:
    def getvalue(self, name):
        return ["3*popen"] if name == "tx" else None


class _Worker:
    """What the scheduler sees of a pytest-xdist process: the test indexes sent to it."""

    def __init__(self, name: str, handed: list[str]):
        self.name = name
        self.gateway = type("Gateway", (), {"id": name})()
        self.handed = handed  # every process's tests, in the order they were sent
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes):
        self.sent += indexes
        self.handed += [COLLECTION[i].partition("::")[0] for i in indexes]

    def shutdown(self):
        self.shutting_down = True


def _tests(group: str, count: int) -> list[str]:
    return [f"{group}::test_{n}@{group}" for n in range(count)]


COLLECTION = [
    *_tests("tests/e2e/test_faults.py", 1),
    *_tests("kafka-connect", 12),
    *_tests("tests/unit/test_many.py", 9),
    *_tests("tests/integration/test_some.py", 4),
    *_tests("tests/integration/test_few.py", 2),
    *_tests("tests/integration/test_one.py", 1),
    *_tests(EARLY, 1),
]


def _groups(worker) -> list[str]:
    return [COLLECTION[i].partition("::")[0] for i in worker.sent]


def _scheduled():
    handed: list[str] = []
    workers = [_Worker(f"gw{n}", handed) for n in range(3)]
    scheduler = FaultDayReserved(_Config())
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    return scheduler, workers, handed


def test_the_simulated_day_starts_at_once_in_another_process():
    _, workers, _ = _scheduled()
    firsts = {_groups(w)[0] for w in workers}
    assert {RESERVED, EARLY} <= firsts
    reserved = next(w for w in workers if _groups(w)[0] == RESERVED)
    assert EARLY not in _groups(reserved)


def test_the_fault_day_starts_at_once_in_a_process_that_gets_nothing_else_until_it_has_run():
    scheduler, workers, handed = _scheduled()
    reserved = next(w for w in workers if w.sent and RESERVED in COLLECTION[w.sent[0]])
    # the smallest group behind it: a pytest-xdist process starts a test once the next one is queued
    assert _groups(reserved) == [RESERVED, "tests/integration/test_one.py"]
    done = set()
    while scheduler.workqueue:  # the other processes end what they have, one test at a time
        for worker in workers:
            for index in [i for i in worker.sent if i not in done and worker is not reserved]:
                done.add(index)
                scheduler.mark_test_complete(worker, index)
    assert _groups(reserved) == [RESERVED, "tests/integration/test_one.py"]  # the rest went to the others
    assert set(handed) == {t.partition("::")[0] for t in COLLECTION}
