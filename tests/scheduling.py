"""How `make test`'s processes (pytest-xdist, --dist loadgroup) share the tests.

pytest-xdist hands each process one group at a time (a module, or every test on the shared Kafka
Connect worker: tests/conftest.py), largest group first, and queues a second group behind a process
that has almost none left. A process starts a test only once the next one is queued behind it (it
needs it for the test's teardown) or the run is ending.

The fault day is one test of about ten minutes, most of it waiting on its simulated clock, with a
whole Spark application that takes every core it can get. So it goes first, with one small group
queued behind it so that its process starts it at once, and that process gets nothing else until
it ends. The groups that are also heavy on the cores (the simulated day, in the Kafka Connect
group, and the forecasting fixture: 42 simulated days and two trainings) are handed out last: side
by side with the fault day all three took four times as long.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

FIRST = "tests/e2e/test_faults.py"  # the group (module) that starts first and runs alone
LAST = ("kafka-connect", "tests/integration/test_forecasting.py")  # handed out after every other


class LongestAlone(LoadGroupScheduling):
    def _assign_work_unit(self, node) -> None:
        for group in LAST:
            if group in self.workqueue:
                self.workqueue.move_to_end(group)
        if FIRST in self.workqueue:
            self.workqueue.move_to_end(FIRST, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        assigned = self.assigned_work.get(node, {})
        running = assigned.get(FIRST)
        if running is not None and not all(running.values()):
            if len(assigned) == 1 and self.workqueue:
                # the group with the fewest tests (the queue is ordered largest first, LAST aside)
                smallest = min(self.workqueue, key=lambda group: (group in LAST, len(self.workqueue[group])))
                self.workqueue.move_to_end(smallest, last=False)
                super()._assign_work_unit(node)
            return  # busy with the fault day until it ends
        super()._reschedule(node)
