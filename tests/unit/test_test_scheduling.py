"""make test's scheduler (tests/scheduling.py): the fault day is handed out after every other group."""

from __future__ import annotations

from tests.scheduling import LAST, FaultDayLast


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
]


def test_the_fault_day_is_handed_out_after_every_other_group():
    handed: list[str] = []
    workers = [_Worker(f"gw{n}", handed) for n in range(3)]
    scheduler = FaultDayLast(_Config())
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    done = set()
    while scheduler.workqueue:  # each process ends what it has, one test at a time
        for worker in workers:
            for index in [i for i in worker.sent if i not in done]:
                done.add(index)
                scheduler.mark_test_complete(worker, index)
    groups = list(dict.fromkeys(handed))
    assert len(groups) == 6 and groups[-1] == LAST, groups
