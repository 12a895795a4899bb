"""Which policy is in force for a shelf: narrowest scope, latest among equals, deletes and deactivation."""

import pytest

from smart_shelf.store.policies import PolicyBook, scope_rank


def row(policy_id, shelf=None, category=None, subcategory=None, updated="2026-01-01T00:00:00Z", **extra):
    return {
        "policy_id": policy_id,
        "shelf_id": shelf,
        "item_category": category,
        "item_subcategory": subcategory,
        "updated_at": updated,
        **extra,
    }


@pytest.mark.parametrize(
    "policy, rank",
    [
        (row("g"), 0),  # nothing set: the global default
        (row("c", category="DAIRY"), 1),
        (row("s", category="DAIRY", subcategory="Milk"), 2),
        (row("own", shelf="S1", category="DAIRY", subcategory="Milk"), 3),  # derived rows name all three
    ],
)
def test_scope_rank(policy, rank):
    assert scope_rank(policy) == rank


def test_the_narrowest_scope_wins_whatever_the_order_of_arrival():
    book = PolicyBook()
    for r in (row("own", shelf="S1", threshold_pct=50), row("g", threshold_pct=30), row("c", category="D")):
        book.apply(r)
    assert book.in_force()["policy_id"] == "own"


def test_among_equal_scopes_the_latest_update_wins():
    book = PolicyBook()
    book.apply(row("new", category="D", updated="2026-01-02T00:00:00Z"))
    book.apply(row("old", category="D", updated="2026-01-01T00:00:00Z"))
    assert book.in_force()["policy_id"] == "new"


def test_an_update_replaces_the_row_and_a_delete_falls_back_to_the_next_scope():
    book = PolicyBook()
    book.apply(row("g", threshold_pct=30))
    book.apply(row("own", shelf="S1", threshold_pct=40))
    book.apply(row("own", shelf="S1", threshold_pct=60))
    assert book.in_force()["threshold_pct"] == 60
    book.apply({"policy_id": "own", "deleted": True})
    assert book.in_force()["policy_id"] == "g"
    book.apply({"policy_id": "g", "deleted": True})
    assert book.in_force() is None


def test_a_deactivated_policy_no_longer_applies():
    book = PolicyBook()
    book.apply(row("g", threshold_pct=30))
    book.apply(row("own", shelf="S1", threshold_pct=40))
    book.apply(row("own", shelf="S1", threshold_pct=40, active=False))
    assert book.in_force()["policy_id"] == "g"


def test_the_book_survives_a_round_trip():
    book = PolicyBook()
    book.apply(row("own", shelf="S1", threshold_pct=40))
    assert PolicyBook.from_dict(book.to_dict()) == book
