"""The ledger bench's count (tests/bench/ledgers.py): the backlog's events already in shelf_state
when its clock starts are not counted in its throughput."""

from tests.bench.ledgers import moved_by


def test_events_already_applied_are_how_far_the_shelves_moved_from_their_opening_stock():
    opening = {"A": 10, "B": 5, "C": 7}
    latest = {"A": 14, "B": 5}  # C not published yet: not moved
    assert moved_by(latest, opening) == 4
    assert moved_by({}, opening) == 0
    assert moved_by({"A": 10, "B": 6, "C": 9, "unknown": 100}, opening) == 3
