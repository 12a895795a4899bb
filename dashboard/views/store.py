"""Store: the simulated day at a glance and the store map."""

import pandas as pd
import streamlit as st

from dashboard import data, ui
from dashboard.store_map import LABELS, figure, load_layout

st.title("Store")


@st.fragment(run_every=ui.REFRESH)
def today() -> None:
    ui.sim_clock_caption()
    with ui.shown_if_missing():
        now = data.now()
        start, end = data.day_bounds(now.date())
        cols = st.columns(4)
        with ui.shown_if_missing():
            cols[0].metric("Customers in the store", data.customers_in_store(now))
            lost = data.lost_sales(now.date())
            cols[3].metric(
                "Lost-sale units today", sum(lost.values()), help=f"{len(lost)} shelves found empty"
            )
        with ui.shown_if_missing():
            totals = data.sales_totals(start, end).iloc[0]
            cols[1].metric("Transactions today", int(totals["transactions"]))
            cols[2].metric(
                "Revenue today",
                f"€ {float(totals['revenue']):,.2f}",
                help=f"{int(totals['units'])} units sold",
            )
        with ui.shown_if_missing():
            shelves = data.shelf_status(now.date())
            warehouse = data.warehouse_status()
            alerts = data.open_alerts_by_type()
            cols = st.columns(4)
            cols[0].metric("Shelves out of stock", int((shelves["current_stock"] <= 0).sum()))
            cols[1].metric("Shelves below threshold", int(shelves["condition"].isin(["empty", "low"]).sum()))
            cols[2].metric(
                "Warehouse products below reorder point", int(warehouse["below_reorder_point"].sum())
            )
            cols[3].metric("Open alerts", int(alerts["open_alerts"].sum()))
            if not alerts.empty:
                st.caption(
                    "Open alerts by type: "
                    + ", ".join(f"{r.event_type} ({r.location}) {r.open_alerts}" for r in alerts.itertuples())
                )


@st.fragment(run_every=ui.REFRESH)
def store_map() -> None:
    st.subheader("Store map")
    with ui.shown_if_missing():
        now = data.now()
        shelves = data.shelf_status(now.date())
        layout = load_layout(data.settings().dash_layout_yaml)
        weighed: set[str] = set()
        with ui.shown_if_missing():
            weighed = data.weighed_shelves(now)
        alerted = set(data.open_alert_shelves()["shelf_id"])
        event = st.plotly_chart(
            figure(layout, shelves, weighed, alerted),
            use_container_width=True,
            on_select="rerun",
            selection_mode="points",
            key="store_map",
        )
        counts = shelves["condition"].value_counts()
        st.caption(
            " · ".join(f"{LABELS[c]}: {int(counts.get(c, 0))}" for c in LABELS)
            + f" · weighed in the last {data.settings().weight_event_lookback_sec} simulated s: {len(weighed)}"
        )
        unmapped = sorted(set(shelves["aisle"]) - {a.aisle for a in layout.areas})
        if unmapped:
            st.caption(f"Aisles not in the layout file: {', '.join(map(str, unmapped))}")
        chosen(event, shelves)


def chosen(event, shelves: pd.DataFrame) -> None:
    """The shelves under a selected point or aisle, one of which opens on the Shelves page."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    picked: list[str] = []
    for point in points:
        ref = str(point.get("customdata", ""))
        if ref.startswith("aisle:"):
            picked += shelves.loc[shelves["aisle"] == int(ref.split(":")[1]), "shelf_id"].tolist()
        elif ref:
            picked.append(ref)
    if not picked:
        st.caption("Select a shelf or an aisle's number on the map to open it on the Shelves page.")
        return
    shelf = st.selectbox("Shelf", sorted(set(picked)), key="map_shelf")
    if st.button("Open on the Shelves page", icon=":material/open_in_new:"):
        st.session_state["shelf_id"] = shelf
        st.switch_page("views/shelves.py")


today()
store_map()
