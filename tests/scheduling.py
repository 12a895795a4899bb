"""How `make test`'s processes (pytest-xdist, --dist loadgroup) share the tests.

pytest-xdist hands each process one group at a time (a module, or every test on the shared Kafka
Connect worker: tests/conftest.py), largest group first, and queues another group behind a process
that has almost none left. A process starts a test only once the next one is queued behind it (it
needs it for the test's teardown) or the run is ending.

The fault day (one test, about nine minutes, a whole stack with a Spark application of 25 queries)
is handed to one process at the start with the smallest group queued behind it, so that the process
starts the day at once, and nothing else until it has run: the rest of the run goes on beside it in
the other two processes. The day's application takes about a core and the rest of the run about
1.5, so side by side they keep both cores busy; the day at the end, alone, left one of them idle for
its whole length (docs/benchmarks.md: 12:49 against 19:46 in-tree). The simulated day at 720x
(another whole stack, about five minutes, one test) starts at once in the next process: as a group
of one test it would come last, and the run would wait for it alone.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

RESERVED = "tests/e2e/test_faults.py"  # the group (module) that has a process of its own
# next longest (a whole stack of its own, about five minutes) and a group of one test, which
# xdist's largest-group-first order would start last: first in another process
EARLY = "tests/e2e/test_simulated_day.py"


class FaultDayReserved(LoadGroupScheduling):
    def _assign_work_unit(self, node) -> None:
        if RESERVED in self.workqueue:
            self.workqueue.move_to_end(RESERVED, last=False)
        elif EARLY in self.workqueue and RESERVED not in self.assigned_work.get(node, {}):
            self.workqueue.move_to_end(EARLY, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        assigned = self.assigned_work.get(node, {})
        running = assigned.get(RESERVED)
        if running is not None and not all(running.values()):
            if len(assigned) == 1 and self.workqueue:
                # the smallest group queued behind the fault day, so that its process starts it now
                smallest = min(self.workqueue, key=lambda group: len(self.workqueue[group]))
                self.workqueue.move_to_end(smallest, last=False)
                super()._assign_work_unit(node)
            return  # its process takes nothing else until the fault day has run
        super()._reschedule(node)
