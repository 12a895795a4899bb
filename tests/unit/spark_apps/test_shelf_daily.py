"""A shelf's day from its moves, sales and lost sales: conserved, discounts from the till lines."""

from datetime import date

from spark_apps.shelf_daily_features.rules import Sales, ShelfMoves, shelf_days

DAY = date(2026, 3, 3)


def test_a_shelf_closes_at_its_opening_plus_refills_less_removals_and_units_taken():
    rows, short = shelf_days(
        DAY,
        ["B", "A", "C"],
        opening={"A": 10, "B": 4, "C": 7},
        moves={"A": ShelfMoves(picked=6, put_back=1, refilled=8), "B": ShelfMoves(picked=2, removed=2)},
        sales={"A": Sales(units=5, revenue=7.5, list_value=10.0)},
        lost={"B": 3},
    )
    by_shelf = {r.shelf_id: r for r in rows}
    assert [r.shelf_id for r in rows] == ["A", "B", "C"] and short == []
    a, b, c = by_shelf["A"], by_shelf["B"], by_shelf["C"]
    assert (a.units_taken, a.stock_close, a.units_sold, a.revenue, a.discount) == (5, 13, 5, 7.5, 0.25)
    assert (b.stock_close, b.removed_units, b.lost_sale_units, b.discount) == (0, 2, 3, 0.0)
    assert (c.stock_open, c.stock_close, c.units_taken) == (7, 7, 0)  # a quiet day
    for r in rows:
        assert r.stock_close == r.stock_open + r.refill_units - r.removed_units - r.units_taken


def test_a_day_missing_events_closes_at_zero_and_names_the_shelf():
    rows, short = shelf_days(DAY, ["A"], {"A": 1}, {"A": ShelfMoves(picked=3)}, {}, {})
    assert short == ["A"] and rows[0].stock_close == 0
