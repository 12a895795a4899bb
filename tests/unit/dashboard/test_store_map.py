"""The store map's rules: a shelf's condition, an area's worst, where shelves are drawn."""

from datetime import date

import pandas as pd
import pytest

from dashboard.store_map import (
    Area,
    Layout,
    area_summary,
    condition,
    figure,
    load_layout,
    shelf_positions,
    with_conditions,
    worst,
)
from smart_shelf.settings import DashboardSettings

TODAY = date(2026, 1, 10)


@pytest.mark.parametrize(
    ("stock", "capacity", "threshold", "min_qty", "expiry", "near_days", "expected"),
    [
        (0, 40, 30, 1, None, 2, "empty"),
        (11, 40, 30, 1, None, 2, "low"),  # 27.5 % < 30 %
        (12, 40, 30, 1, None, 2, "ok"),  # exactly 30 % is not below it
        (5, 10, 30, 6, None, 2, "low"),  # 50 % but under min_qty
        (30, 40, 30, 1, date(2026, 1, 12), 2, "near_expiry"),  # two days out, within 2
        (30, 40, 30, 1, date(2026, 1, 13), 2, "ok"),  # three days out
        (30, 40, 30, 1, date(2026, 1, 10), 0, "near_expiry"),  # expires today
        (0, 40, 30, 1, date(2026, 1, 10), 2, "empty"),  # empty outranks near expiry
        (11, 40, 30, 1, date(2026, 1, 10), 2, "low"),  # low outranks near expiry
    ],
)
def test_a_shelf_condition_follows_the_alert_engines_rules(
    stock, capacity, threshold, min_qty, expiry, near_days, expected
):
    assert condition(stock, capacity, threshold, min_qty, expiry, near_days, TODAY) == expected


def test_an_area_takes_its_worst_shelf():
    assert worst(pd.Series(["ok", "near_expiry", "ok"])) == "near_expiry"
    assert worst(pd.Series(["low", "empty", "near_expiry"])) == "empty"
    assert worst(pd.Series([], dtype=object)) == "ok"


def _shelves(rows):
    columns = ["shelf_id", "aisle", "item_subcategory", "current_stock", "capacity", "threshold_pct",
               "target_pct", "min_qty", "near_expiry_days", "next_expiry"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def test_a_shelf_no_policy_covers_gets_the_engines_defaults():
    shelves = _shelves([
        ("A1", 1, "x", 10, 40, None, None, None, None, None),  # 25 % < the default 30 %
        ("A2", 1, "x", 10, 40, 20.0, 80.0, 1, 2, None),  # 25 % >= its own 20 %
    ])  # fmt: skip
    out = with_conditions(shelves, TODAY)
    assert list(out["condition"]) == ["low", "ok"]
    assert list(out["threshold_pct"]) == [30.0, 20.0]


def test_area_summary_counts_each_condition():
    shelves = pd.DataFrame(
        {"aisle": [1, 1, 1, 2], "shelf_id": list("abcd"), "condition": ["ok", "low", "low", "near_expiry"]}
    )
    summary = area_summary(shelves).set_index("aisle")
    assert summary.loc[1, "worst"] == "low" and summary.loc[1, "low"] == 2 and summary.loc[1, "ok"] == 1
    assert summary.loc[2, "worst"] == "near_expiry"


def test_shelves_are_drawn_inside_their_aisle_and_apart():
    layout = Layout(100, 50, (Area(1, "A", 10, 10, 20, 30), Area(2, "B", 50, 10, 10, 10)))
    shelves = pd.DataFrame({"shelf_id": [f"S{i:02d}" for i in range(23)], "aisle": [1] * 20 + [2] * 3})
    placed = shelf_positions(layout, shelves)
    for area in layout.areas:
        mine = placed[placed["aisle"] == area.aisle]
        assert mine["x"].between(area.x, area.x + area.width).all()
        assert mine["y"].between(area.y, area.y + area.height).all()
        assert len(set(zip(mine["x"], mine["y"], strict=True))) == len(mine)


def test_a_shelf_in_an_aisle_the_layout_lacks_is_not_placed():
    layout = Layout(10, 10, (Area(1, "A", 0, 0, 10, 10),))
    placed = shelf_positions(layout, pd.DataFrame({"shelf_id": ["a", "b"], "aisle": [1, 7]}))
    assert placed.set_index("shelf_id")["x"].isna().to_dict() == {"a": False, "b": True}


def test_the_shipped_layout_fits_its_floor_without_overlaps():
    layout = load_layout(DashboardSettings().dash_layout_yaml)
    aisles = [a.aisle for a in layout.areas]
    assert len(aisles) == len(set(aisles))
    boxes = [*layout.areas, *layout.features]
    for a in boxes:
        assert 0 <= a.x and a.x + a.width <= layout.width and 0 <= a.y and a.y + a.height <= layout.height
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y
            )
            assert apart, f"{a.name} overlaps {b.name}"


def test_the_map_marks_weighed_and_alerted_shelves_and_carries_ids_for_selection():
    layout = Layout(100, 50, (Area(1, "A", 10, 10, 20, 30),))
    shelves = _shelves([("S1", 1, "x", 0, 10, 30, 80, 1, 2, None), ("S2", 1, "x", 9, 10, 30, 80, 1, 2, None)])
    fig = figure(layout, with_conditions(shelves, TODAY), weighed={"S2"}, alerted={"S1"})
    traces = {t.name: t for t in fig.data}
    assert list(traces["empty"].customdata) == ["S1"] and list(traces["ok"].customdata) == ["S2"]
    assert list(traces["weighed just now"].customdata) == ["S2"]
    assert list(traces["open alert"].customdata) == ["S1"]
    assert list(traces["aisles"].customdata) == ["aisle:1"]
    assert fig.layout.shapes[0].fillcolor == "#d7301f"  # the aisle takes its empty shelf's red
