"""How `make test`'s processes (pytest-xdist, --dist loadgroup) share the tests.

pytest-xdist hands each process one group at a time (a module, or every test on the shared Kafka
Connect worker: tests/conftest.py), largest group first, and queues another group behind a process
that has almost none left. A process starts a test only once the next one is queued behind it (it
needs it for the test's teardown) or the run is ending.

The fault day (one test) is handed out last, so it runs while the other processes finish their last
groups and then alone. Its whole stack, a Spark application of 25 queries among them, takes CPU
for as long as the day lasts, and the day lasts longer the more runs beside it: started first,
beside everything else, it took 881 s and the run 24 minutes; last, 550-560 s and 19-20 minutes
(docs/benchmarks.md).
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

LAST = "tests/e2e/test_faults.py"  # the group (module) handed out after every other


class FaultDayLast(LoadGroupScheduling):
    def _assign_work_unit(self, node) -> None:
        if LAST in self.workqueue and len(self.workqueue) > 1:
            self.workqueue.move_to_end(LAST)
        super()._assign_work_unit(node)
