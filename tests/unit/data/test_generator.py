"""Invariants of the generated store, for the default catalogue and a fixed seed."""

from datetime import date, timedelta

import numpy as np
import pytest

from store_data.catalogue import CATEGORIES, PERISHABLE, sku_counts
from store_data.generator import generate_store, split_into_batches, standard_batch_size, warehouse_capacity

START = date(2026, 1, 1)


@pytest.fixture(scope="module")
def store():
    return generate_store(seed=42, start=START, days=365)


def test_catalogue_shape_matches_the_reference():
    assert len(CATEGORIES) == 29
    assert sorted(c.aisle for c in CATEGORIES) == list(range(1, 30))
    assert sum(len(c.subcategories) for c in CATEGORIES) == 278
    assert sum(sum(sku_counts(c)) for c in CATEGORIES) == 1142


def test_skus_per_category_and_unique_shelf_ids(store):
    inv = store.store_inventory
    assert len(inv) == 1142 and inv["shelf_id"].is_unique
    counts = inv.groupby("item_category").size().to_dict()
    assert counts == {c.name: c.skus for c in CATEGORIES}
    assert inv["item_subcategory"].groupby(inv["item_category"]).nunique().sum() == 278
    # ids: category prefix, subcategory prefix, a global 4-digit counter
    assert inv["shelf_id"].iloc[0] == "BEVWAT0001"
    assert inv["shelf_id"].str.fullmatch(r"[A-Z]{6}\d{4}").all()


def test_value_ranges(store):
    inv, wh = store.store_inventory, store.warehouse_inventory
    assert inv["item_visibility"].between(0.05, 0.20).all()
    assert inv["item_price"].between(0.5, 45.0).all()
    assert inv["item_weight"].between(14, 5000).all()
    assert inv["standard_batch_size"].between(5, 80).all()
    assert (inv["current_stock"] <= inv["maximum_stock"]).all() and (inv["current_stock"] >= 0).all()
    assert (inv["maximum_stock"] >= inv["standard_batch_size"]).all()  # a shelf holds at least a batch
    assert (inv["shelf_weight"] == inv["item_weight"] * inv["maximum_stock"]).all()
    assert 40 < inv["maximum_stock"].mean() < 60  # reference: 48.1
    assert (wh["current_stock"] <= wh["maximum_stock"]).all()


def test_warehouse_capacity_and_stock_are_whole_batches(store):
    wh = store.warehouse_inventory
    assert (wh["maximum_stock"] % wh["standard_batch_size"] == 0).all()
    assert (wh["maximum_stock"] >= 2 * wh["standard_batch_size"]).all()
    assert (wh["current_stock"] % wh["standard_batch_size"] == 0).all()
    # stock starts at or above the 5 % reorder point
    assert (wh["current_stock"] >= (0.05 * wh["maximum_stock"]).astype(int).clip(lower=1)).all()


@pytest.mark.parametrize("location", ["store", "warehouse"])
def test_stock_equals_the_sum_of_its_batches(store, location):
    inv = store.store_inventory if location == "store" else store.warehouse_inventory
    batches = store.store_batches if location == "store" else store.warehouse_batches
    column = "batch_quantity_store" if location == "store" else "batch_quantity_warehouse"
    per_shelf = batches.groupby("shelf_id")[column].sum()
    expected = inv.set_index("shelf_id")["current_stock"]
    assert per_shelf.reindex(expected.index, fill_value=0).equals(expected)
    assert (batches[column] > 0).all()  # no empty batches
    assert (batches["batch_quantity_total"] == batches[column]).all()


def test_batch_codes_are_unique_across_store_and_warehouse(store):
    codes = list(store.store_batches["batch_code"]) + list(store.warehouse_batches["batch_code"])
    assert len(codes) == len(set(codes))
    assert store.store_batches["batch_code"].iloc[0] == "B0000001"


def test_dates_are_relative_to_the_simulation_start(store):
    for batches in (store.store_batches, store.warehouse_batches):
        received = batches["received_date"].map(date.fromisoformat)
        expiry = batches["expiry_date"].map(date.fromisoformat)
        assert (received <= START).all()
        perishable = batches["item_category"].isin(PERISHABLE)
        days = (expiry - START).map(lambda d: d.days)
        assert days[perishable].between(2, 15).all()
        assert days[~perishable].between(365, 730 + 100 * 12).all()
    later = generate_store(seed=42, start=START + timedelta(days=30), days=365)
    assert (
        (
            later.store_batches["expiry_date"].map(date.fromisoformat)
            - store.store_batches["expiry_date"].map(date.fromisoformat)
        )
        .map(lambda d: d.days)
        .eq(30)
        .all()
    )  # shifting the start shifts every date, nothing else


def test_same_seed_same_store_and_different_seed_different_store(store):
    again = generate_store(seed=42, start=START, days=365)
    for name in ("store_inventory", "warehouse_inventory", "store_batches", "warehouse_batches", "discounts"):
        assert getattr(again, name).equals(getattr(store, name)), name
    other = generate_store(seed=7, start=START, days=365)
    assert not other.store_inventory.equals(store.store_inventory)


def test_weekly_discounts_cover_the_simulation_with_their_readers_columns(store):
    d = store.discounts
    assert {"shelf_id", "week", "week_start", "week_end", "discount"} <= set(d.columns)
    assert d["discount"].between(0.05, 0.35).all()
    assert (d["week_end"] - d["week_start"]).map(lambda x: x.days).eq(6).all()
    assert d["week_start"].min() <= START and d["week_end"].max() >= START + timedelta(days=364)
    assert d.groupby("week_index").size().eq(60).all()
    assert not d.duplicated(["week_index", "shelf_id"]).any()  # a product once per week at most


def test_scale_multiplies_the_catalogue():
    bigger = generate_store(seed=42, start=START, days=7, scale=3.0)
    assert len(bigger.store_inventory) == pytest.approx(3 * 1142, abs=29)
    assert bigger.store_inventory["shelf_id"].is_unique


@pytest.mark.parametrize(
    "stock, batch, expected",
    [(50, 20, [20, 20, 10]), (40, 20, [20, 20]), (7, 20, [7]), (0, 20, [])],
)
def test_split_into_batches(stock, batch, expected):
    assert split_into_batches(stock, batch) == expected


def test_batch_size_rules_by_kind_of_product():
    rng = np.random.default_rng(0)
    by_name = {c.name: c for c in CATEGORIES}
    for _ in range(50):
        assert standard_batch_size(rng, by_name["BEVERAGES"], 1000) in {18, 24, 30, 36, 42, 48, 60}
        assert 8 <= standard_batch_size(rng, by_name["FRUITS AND VEGETABLES"], 500) <= 12
        assert standard_batch_size(rng, by_name["MEAT"], 2000) in {5, 6, 8, 10, 12}
        assert standard_batch_size(rng, by_name["HOUSEHOLD GOODS"], 150) % 5 == 0


def test_cold_chain_warehouse_capacity_rounds_the_shelf_up_to_whole_batches():
    rng = np.random.default_rng(0)
    meat = next(c for c in CATEGORIES if c.name == "MEAT")
    assert warehouse_capacity(rng, meat, store_max=17, batch=8) == 24  # 17 -> 3 batches of 8
    assert warehouse_capacity(rng, meat, store_max=5, batch=8) == 16  # at least two batches


def test_writing_twice_gives_byte_identical_files(tmp_path):
    from store_data.files import expected_files, write_store

    data = generate_store(seed=42, start=START, days=14)
    write_store(data, tmp_path / "a")
    write_store(generate_store(seed=42, start=START, days=14), tmp_path / "b")
    for first in expected_files(tmp_path / "a"):
        second = tmp_path / "b" / first.relative_to(tmp_path / "a")
        assert first.read_bytes() == second.read_bytes(), first.name
