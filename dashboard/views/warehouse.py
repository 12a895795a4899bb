"""Warehouse and suppliers: stock against reorder points, supplier plans, orders, deliveries, receipts."""

import plotly.express as px
import streamlit as st

from dashboard import data, ui

st.title("Warehouse and suppliers")
ui.sim_clock_caption()


@st.fragment(run_every=ui.REFRESH)
def stock() -> None:
    with ui.shown_if_missing():
        wh = data.warehouse_status()
        below = wh[wh["below_reorder_point"]]
        cols = st.columns(3)
        cols[0].metric("Products", len(wh))
        cols[1].metric("Below reorder point", len(below))
        cols[2].metric("With an open supplier plan", int(wh["open_plan_status"].notna().sum()))
        shown = wh.assign(fill_pct=(100 * wh["wh_current_stock"] / wh["capacity"]).round(1))
        lowest = shown.sort_values("fill_pct").head(60)
        ui.levels_chart(
            lowest,
            level="wh_current_stock",
            mark="reorder_point_qty",
            mark_name="reorder point",
            color="below_reorder_point",
            color_discrete_map={True: "#fc8d59", False: "#91bfdb"},
            hover_data=["capacity", "reorder_point_qty", "open_plan_status"],
            labels={
                "wh_current_stock": "units in the warehouse",
                "shelf_id": "",
                "below_reorder_point": "below reorder point",
            },
            title=f"The {len(lowest)} emptiest of {len(wh)} products",
        )
        ui.table(
            below[
                [
                    "shelf_id",
                    "item_subcategory",
                    "wh_current_stock",
                    "reorder_point_qty",
                    "capacity",
                    "open_plan_qty",
                    "open_plan_status",
                ]
            ],
            "No product is below its reorder point.",
            height=220,
        )


@st.fragment(run_every=ui.REFRESH)
def suppliers() -> None:
    left, right = st.columns(2)
    with left, ui.shown_if_missing():
        st.subheader("Next deliveries")
        ui.table(data.next_deliveries(), "No order is waiting for a delivery.")
        st.subheader("Supplier plans")
        with ui.shown_if_missing():
            per_day = data.supplier_plans_per_day()
            if not per_day.empty:
                fig = px.bar(per_day, x="day", y="plans", color="status", hover_data=["units"])
                fig.update_layout(height=220, margin={"t": 10, "b": 0}, xaxis_title="made on (simulated)")
                st.plotly_chart(fig, use_container_width=True)
        ui.table(
            data.supplier_plans(),
            "No supplier plan yet: they are made when a product falls below its reorder point.",
            height=300,
        )
    with right, ui.shown_if_missing():
        st.subheader("Orders by cutoff")
        orders = data.orders_by_cutoff()
        if orders.empty:
            st.info("No order yet: orders are placed at the supplier cutoffs (CUTOFF_DOWS, CUTOFF_HOUR).")
        else:
            fig = px.bar(
                orders, x="cutoff_ts", y="units", color="status", hover_data=["orders", "delivery_date"]
            )
            fig.update_layout(height=300, margin={"t": 10, "b": 0}, xaxis_title="cutoff (simulated)")
            st.plotly_chart(fig, use_container_width=True)
        st.subheader("Receipts")
        ui.table(data.receipts(), "Nothing received from suppliers yet.", height=300)


stock()
suppliers()
