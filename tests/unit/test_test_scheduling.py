"""make test's scheduler (tests/scheduling.py): the fault day starts at once, alone, and its process
gets more only when it ends; the other heavy groups are handed out last."""

from __future__ import annotations

from tests.scheduling import FIRST, LAST, LongestAlone


class _Config:
    def getvalue(self, name):
        return ["3*popen"] if name == "tx" else None


class _Worker:
    """What the scheduler sees of a pytest-xdist process: the test indexes sent to it."""

    def __init__(self, name: str, handed: list[str]):
        self.name = name
        self.handed = handed  # every process's tests, in the order they were sent
        self.gateway = type("Gateway", (), {"id": name})()
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
    *_tests(LAST[0], 12),
    *_tests("tests/unit/test_many.py", 9),
    *_tests("tests/integration/test_some.py", 4),
    *_tests(FIRST, 1),
    *_tests("tests/integration/test_few.py", 2),
    *_tests("tests/integration/test_one.py", 1),
    *_tests(LAST[1], 3),
]


def _scheduled() -> tuple[LongestAlone, list[_Worker]]:
    scheduler = LongestAlone(_Config())
    handed: list[str] = []
    workers = [_Worker(f"gw{n}", handed) for n in range(3)]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, COLLECTION)
    scheduler.schedule()
    return scheduler, workers


def _names(worker: _Worker) -> list[str]:
    return [COLLECTION[i].partition("@")[0] for i in worker.sent]


def test_the_fault_day_is_sent_first_with_one_small_group_behind_it_so_its_process_can_start():
    _, workers = _scheduled()
    fault = next(w for w in workers if any(FIRST in n for n in _names(w)))
    # a process starts a test only once another is queued behind it: two at least, the fault day first
    assert _names(fault) == [f"{FIRST}::test_0", "tests/integration/test_one.py::test_0"]


def test_the_fault_day_s_process_gets_nothing_more_until_the_fault_day_ends():
    scheduler, workers = _scheduled()
    fault = next(w for w in workers if any(FIRST in n for n in _names(w)))
    behind = fault.sent[1]
    scheduler.mark_test_complete(fault, behind)
    assert len(fault.sent) == 2
    scheduler.mark_test_complete(fault, fault.sent[0])
    assert len(fault.sent) > 2 or not scheduler.workqueue


def test_the_other_heavy_groups_are_handed_out_after_every_other_group():
    scheduler, workers = _scheduled()
    done = set()
    while scheduler.workqueue:
        # every process but the fault day's ends what it has, one test at a time
        for worker in workers:
            for index in [i for i in worker.sent if i not in done and FIRST not in COLLECTION[i]]:
                done.add(index)
                scheduler.mark_test_complete(worker, index)
    groups = list(dict.fromkeys(workers[0].handed))
    assert groups[0] == FIRST
    assert set(groups[-2:]) == set(LAST), groups
