"""The keeping-pace bench's measures (tests/bench/pace.py): which state record covers an event, and a
restock plan's time to its pick."""

from datetime import UTC, datetime, timedelta

from tests.bench.pace import (
    _every_query_started,
    falling_behind_by_trigger,
    memory_peaks,
    plan_pick_minutes,
    state_delays,
)

T = datetime(2026, 1, 1, 10, tzinfo=UTC)


def test_an_event_is_covered_by_the_first_later_state_of_its_shelf_that_reached_its_time():
    states = [
        ("A", T + timedelta(minutes=5), 100.0),  # written before the event: not its effect
        ("B", T + timedelta(minutes=9), 103.0),  # another shelf
        ("A", T - timedelta(minutes=1), 104.0),  # after it, but an older event's state
        ("A", T + timedelta(minutes=2), 106.5),  # the first that covers it
        ("A", T + timedelta(minutes=3), 108.0),
    ]
    assert state_delays([("A", T, 101.0), ("B", T, 101.0), ("C", T, 101.0)], states) == [5.5, 2.0]


def test_a_plan_s_pick_is_timed_from_its_alert_to_its_first_issued_record_in_simulated_minutes():
    def plan(plan_id, status, alert_id=None):
        return {"plan_id": plan_id, "status": status, "alert_id": alert_id}

    plans = [
        (plan("p1", "pending", "a1"), 102.0),
        (plan("p1", "issued", "a1"), 105.0),  # 5 s after its alert: 60 simulated minutes at 720x
        (plan("p1", "issued", "a1"), 300.0),  # a later record of the same plan
        (plan("p2", "pending", "a2"), 110.0),  # never issued
        (plan("p3", "pending"), 120.0),  # no alert: timed from its own first record
        (plan("p3", "issued"), 120.5),
    ]
    assert plan_pick_minutes(plans, {"a1": 100.0, "a2": 109.0}, 720) == [60.0, 6.0]


def test_falling_behind_warnings_are_counted_by_their_query_s_trigger():
    line = "WARN ProcessingTimeExecutor: Current batch is falling behind. The trigger interval is {} milliseconds, but spent {} milliseconds"
    log = "\n".join([line.format(1000, 1500), line.format(5000, 9000), line.format(1000, 2400), "INFO other"])
    assert falling_behind_by_trigger(log) == {1000: 2, 5000: 1}
    assert falling_behind_by_trigger("no warnings") == {}


def test_memory_peaks_take_each_service_s_peak_and_the_stack_s_largest_sum():
    samples = [{"kafka": 500.0, "spark-apps": 1200.0}, {"kafka": 650.0, "spark-apps": 900.0, "redis": 80.0}]
    assert memory_peaks(samples) == {
        "per_service": {"kafka": 650.0, "redis": 80.0, "spark-apps": 1200.0},
        "stack": 1700.0,  # the first sample's sum: each service's peak need not come at the same moment
    }
    assert memory_peaks([]) == {"per_service": {}, "stack": 0.0}


def test_every_query_started_is_read_from_the_application_s_running_line(tmp_path):
    log = tmp_path / "spark-apps.log"
    assert not _every_query_started(log)  # no log yet
    log.write_text("INFO starting shelf-aggregator\n")
    assert not _every_query_started(log)
    log.write_text("INFO starting shelf-aggregator\nINFO running shelf-aggregator, alerts-sink: 25 queries\n")
    assert _every_query_started(log)
