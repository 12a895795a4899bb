"""make reconcile's rounds on a draining pipeline: checked again until clean or out of time."""

import pytest

from smart_shelf.reconcile import Check, caught_up, caught_up_then_checked, failures, line, until_clean

CLEAN = [Check("shelf stock", 10, 0), Check("from 5 shelf_events", 0, 0)]
DRAINING = [Check("shelf stock", 10, 3), Check("warehouse stock", 10, 1)]


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _rounds(reports, wait_s, every_s=15.0):
    time, said, runs = FakeTime(), [], []

    def run():
        runs.append(time.now)
        time.now += 5  # a round of checks takes time too
        report = reports[min(len(runs), len(reports)) - 1]
        if isinstance(report, Exception):
            raise report
        return report

    last = until_clean(run, wait_s, every_s=every_s, clock=time.clock, sleep=time.sleep, say=said.append)
    return last, runs, time.slept, said


def test_failures_counts_the_failing_shelves_of_every_check():
    assert failures(DRAINING) == 4
    assert failures(CLEAN) == 0


def test_without_a_wait_the_checks_run_once_even_when_they_fail():
    last, runs, slept, said = _rounds([DRAINING, CLEAN], wait_s=0)
    assert (last, runs, slept, said) == (DRAINING, [0.0], [], [])


def test_a_clean_report_ends_the_rounds_at_once():
    last, runs, slept, _ = _rounds([CLEAN], wait_s=600)
    assert (last, len(runs), slept) == (CLEAN, 1, [])


def test_failing_rounds_are_said_and_checked_again_until_clean():
    last, runs, slept, said = _rounds([DRAINING, DRAINING, CLEAN], wait_s=600)
    assert last == CLEAN
    assert runs == [0.0, 20.0, 40.0]
    assert slept == [15.0, 15.0]
    assert said == ["not yet: shelf stock; warehouse stock; checking again in 15 s"] * 2


def test_a_pipeline_that_never_drains_gives_the_last_failing_report_by_the_deadline():
    last, runs, slept, _ = _rounds([DRAINING], wait_s=60)
    assert last == DRAINING
    # a round starts no later than the deadline: at 0, 20, 40 and 60 s; the next would start at 80
    assert runs == [0.0, 20.0, 40.0, 60.0]
    assert len(slept) == 3


def test_a_round_that_raises_is_said_and_tried_again():
    last, runs, slept, said = _rounds([ConnectionError("postgres restarting"), CLEAN], wait_s=600)
    assert (last, len(runs), slept) == (CLEAN, 2, [15.0])
    assert said == ["round failed: postgres restarting; checking again in 15 s"]


def test_the_last_round_s_error_is_raised_by_the_deadline():
    with pytest.raises(ConnectionError, match="postgres down"):
        _rounds([ConnectionError("postgres down")], wait_s=30)


def test_an_error_that_is_not_an_outage_is_raised_at_once():
    runs = []

    def run():
        runs.append(1)
        raise ValueError("no column shelf_id")  # a bug: waiting cannot mend it

    with pytest.raises(ValueError, match="shelf_id"):
        until_clean(run, 600, clock=lambda: 0.0, sleep=lambda _: None, say=lambda _: None)
    assert len(runs) == 1


def test_queries_behind_their_topics_fail_the_round_and_are_named_with_their_lag():
    check = caught_up({"shelf-aggregator/raw_shelf_events": 1234, "alerts-sink/alerts": 5}, queries=25)
    assert failures([check]) == 2
    assert line(check) == (
        "FAIL Spark has read every topic to its end (records behind: alerts-sink/alerts 5,"
        " shelf-aggregator/raw_shelf_events 1,234): 2 of 25 queries"
    )


def test_queries_at_the_end_of_their_topics_pass():
    check = caught_up({}, queries=25)
    assert failures([check]) == 0
    assert line(check) == "ok   Spark has read every topic to its end (25 queries)"


def test_ledger_checks_count_shelves_and_a_note_has_no_verdict():
    assert line(Check("shelf stock", 1142, 3)) == "FAIL shelf stock: 3 of 1,142 shelves"
    assert line(Check("shelf stock", 1142, 0)) == "ok   shelf stock (1,142 shelves)"
    assert line(Check("from 5 shelf_events", 0, 0)) == "     from 5 shelf_events"


def _drain(behind: list[dict], reports, wait_s):
    """caught_up_then_checked with Spark behind by `behind[i]` at the i-th look."""
    time, said, looks, started = FakeTime(), [], [], []

    def look():
        looks.append(time.now)
        return caught_up(behind[min(len(looks), len(behind)) - 1], queries=20)

    def start_checks():
        started.append(time.now)
        time.now += 20  # a Spark session's start
        runs = []

        def run():
            runs.append(time.now)
            return reports[min(len(runs), len(reports)) - 1]

        return run

    last = caught_up_then_checked(
        wait_s, look, start_checks, clock=time.clock, sleep=time.sleep, say=said.append
    )
    return last, looks, started, said


def test_no_spark_session_starts_while_spark_is_still_reading_its_topics():
    behind = [{"shelf-aggregator/raw_shelf_events": 900}, {"shelf-aggregator/raw_shelf_events": 40}, {}]
    last, looks, started, said = _drain(behind, [CLEAN], wait_s=600)
    assert last == CLEAN
    assert looks == [0.0, 5.0, 10.0]  # a cheap look every 5 s
    assert started == [10.0]  # the checks' Spark session only once caught up
    assert said[0].startswith("not yet: Spark has read every topic to its end (records behind:")


def test_the_ledger_checks_get_what_is_left_of_the_wait():
    last, looks, started, said = _drain([{}], [DRAINING, DRAINING, CLEAN], wait_s=40)
    # caught up at once; the session took 20 s, so a round at 20 s and at 35 s, none after 40
    assert (last, looks, started) == (DRAINING, [0.0], [0.0])
    assert said == ["not yet: shelf stock; warehouse stock; checking again in 15 s"]


def test_without_a_wait_a_pipeline_behind_still_gets_the_whole_report_once():
    last, looks, started, said = _drain([{"alerts-sink/alerts": 3}], [CLEAN], wait_s=0)
    assert (last, looks, started, said) == (CLEAN, [0.0], [0.0], [])
