"""The watchdog's rule: restart after a pause that doubles with each recent restart; give up after too many."""

from smart_shelf.runner.watch import RestartRecord, decide


def test_a_first_exit_is_restarted_after_a_second_and_the_pause_doubles():
    assert decide(RestartRecord(), now=1000.0) == ("restart", 1.0)
    assert decide(RestartRecord(recent=[990.0]), now=1000.0) == ("restart", 2.0)
    assert decide(RestartRecord(recent=[980.0, 990.0, 995.0]), now=1000.0) == ("restart", 8.0)


def test_the_pause_is_capped():
    record = RestartRecord(recent=[999.0] * 9)
    assert decide(record, now=1000.0, limit=100, max_delay=60.0) == ("restart", 60.0)


def test_too_many_restarts_within_the_window_give_up_and_old_ones_are_forgotten():
    busy = RestartRecord(recent=[900.0, 920.0, 940.0, 960.0, 980.0])
    assert decide(busy, now=1000.0, window=600.0, limit=5) == ("give_up", 0.0)
    # the same five restarts, long ago: a fresh start
    assert decide(busy, now=1000.0 + 600.0 + 100.0, window=600.0, limit=5) == ("restart", 1.0)
