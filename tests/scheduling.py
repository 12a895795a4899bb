"""How `make test`'s processes (pytest-xdist, --dist loadgroup) share the tests.

pytest-xdist hands each process one group at a time (a module, or every test on the shared Kafka
Connect worker: tests/conftest.py), largest group first, and queues a second group behind a process
that has almost none left. The fault day is one test of about ten minutes: handed out last and
with a group queued behind it, it would end the run alone. So it goes first, and the process
running it gets nothing else until it ends.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

FIRST = "tests/e2e/test_faults.py"  # the group (module) that starts first and runs alone


class LongestAlone(LoadGroupScheduling):
    def _assign_work_unit(self, node) -> None:
        if FIRST in self.workqueue:
            self.workqueue.move_to_end(FIRST, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node) -> None:
        running = self.assigned_work.get(node, {}).get(FIRST)
        if running is not None and not all(running.values()):
            return  # busy with the fault day until it ends
        super()._reschedule(node)
