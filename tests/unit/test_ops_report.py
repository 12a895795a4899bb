"""The operations report lays rows out as aligned columns, and says so when there are none."""

from smart_shelf.ops_report import _table


def test_rows_become_aligned_columns_under_their_title():
    text = _table("plans", [{"status": "pending", "plans": 3}, {"status": "completed", "plans": 120}])
    assert text.splitlines() == [
        "plans:",
        "  status     plans",
        "  pending    3    ",
        "  completed  120  ",
    ]


def test_no_rows_says_none():
    assert _table("orders", []) == "orders: none"
