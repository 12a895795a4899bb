"""Shelves: stock against capacity and threshold, then one shelf in detail."""

from datetime import timedelta

import plotly.graph_objects as go
import streamlit as st

from dashboard import data, ui
from dashboard.store_map import COLOURS, LABELS

st.title("Shelves")
ui.sim_clock_caption()
RECENT_EVENTS = timedelta(days=1)
ALL = "all"


def filtered(shelves, category: str, subcategory: str):
    if category != ALL:
        shelves = shelves[shelves["item_category"] == category]
    if subcategory != ALL:
        shelves = shelves[shelves["item_subcategory"] == subcategory]
    return shelves


def filters(shelves) -> tuple[str, str, str]:
    cols = st.columns(3)
    category = cols[0].selectbox("Category", [ALL, *sorted(shelves["item_category"].unique())])
    subcategory = cols[1].selectbox(
        "Subcategory", [ALL, *sorted(filtered(shelves, category, ALL)["item_subcategory"].unique())]
    )
    ids = sorted(filtered(shelves, category, subcategory)["shelf_id"])
    wanted = st.session_state.get("shelf_id")
    shelf = cols[2].selectbox("Shelf", ids, index=ids.index(wanted) if wanted in ids else 0)
    st.session_state["shelf_id"] = shelf
    return category, subcategory, shelf


@st.fragment(run_every=ui.REFRESH)
def overview(category: str, subcategory: str) -> None:
    shelves = filtered(data.shelf_status(data.now().date()), category, subcategory)
    shown = shelves.assign(
        fill_pct=(100 * shelves["current_stock"] / shelves["capacity"]).round(1),
        state=shelves["condition"].map(LABELS),
    )
    emptiest = shown.sort_values("fill_pct").head(60)
    ui.levels_chart(
        emptiest,
        level="fill_pct",
        mark="threshold_pct",
        mark_name="threshold",
        color="state",
        color_discrete_map={LABELS[c]: COLOURS[c] for c in LABELS},
        hover_data=["current_stock", "capacity", "threshold_pct", "min_qty"],
        labels={"fill_pct": "stock, % of capacity", "shelf_id": ""},
        title=f"The {len(emptiest)} emptiest of {len(shown)} shelves",
    )
    ui.table(
        shown[
            [
                "shelf_id",
                "item_subcategory",
                "current_stock",
                "capacity",
                "fill_pct",
                "threshold_pct",
                "state",
                "next_expiry",
            ]
        ],
        "No shelves match the filters.",
        height=240,
    )


@st.fragment(run_every=ui.REFRESH)
def detail(shelf_id: str) -> None:
    now = data.now()
    row = data.shelf_status(now.date()).set_index("shelf_id").loc[shelf_id]
    st.subheader(f"{shelf_id}: {row['item_subcategory']}")
    cols = st.columns(4)
    cols[0].metric("Stock", f"{int(row['current_stock'])} / {int(row['capacity'])}")
    cols[1].metric("Threshold", f"{row['threshold_pct']:g} % or {int(row['min_qty'])} units")
    cols[2].metric("State", LABELS[row["condition"]])
    cols[3].metric("Price", f"€ {float(row['item_price']):.2f}")
    with ui.shown_if_missing():
        history = data.shelf_stock_history(shelf_id, now)
        fig = go.Figure(go.Scatter(x=history["timestamp"], y=history["stock"], mode="lines", line_shape="hv"))
        fig.add_hline(
            y=row["capacity"] * row["threshold_pct"] / 100, line_dash="dot", annotation_text="threshold"
        )
        fig.update_layout(
            height=300, margin={"t": 30, "b": 0}, title="Stock over simulated time (from its events)",
            yaxis_title="units", yaxis_range=[0, int(row["capacity"]) * 1.05],
        )  # fmt: skip
        st.plotly_chart(fig, use_container_width=True)
    left, right = st.columns(2)
    with left, ui.shown_if_missing():
        st.markdown("**Batches on the shelf**")
        ui.table(data.shelf_batches(shelf_id), "No batches recorded for this shelf.")
        st.markdown("**Alerts**")
        ui.table(
            data.alerts(shelf_id=shelf_id)[
                ["event_type", "status", "current_stock", "suggested_qty", "created_at", "updated_at"]
            ],
            "No alerts for this shelf.",
        )
    with right, ui.shown_if_missing():
        st.markdown("**Restock plans**")
        ui.table(
            data.restock_plans(shelf_id)[
                ["plan_id", "status", "suggested_qty", "picked_qty", "created_at", "updated_at"]
            ],
            "No restock plans for this shelf.",
        )
        st.markdown("**Recent events** (last simulated day)")
        events = data.shelf_events(shelf_id, now - RECENT_EVENTS, now)
        ui.table(events.iloc[::-1].head(100), "No events for this shelf in the last simulated day.")


with ui.shown_if_missing():
    chosen_category, chosen_subcategory, chosen_shelf = filters(data.shelf_status(ui.now_or_stop().date()))
    overview(chosen_category, chosen_subcategory)
    if chosen_shelf:
        detail(chosen_shelf)
