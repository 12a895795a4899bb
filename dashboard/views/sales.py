"""Sales and traffic: revenue and units per hour, top products, discounts, foot traffic per time slot."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import data, ui
from dashboard.shaping import expected_per_slot
from kafka_components.kafka_producer_foot_traffic.arrival_model import SLOTS, weekday_name

st.title("Sales and traffic")
ui.sim_clock_caption()


today = ui.now_or_stop().date()
day = st.date_input("Simulated day", value=today, max_value=today)


@st.fragment(run_every=ui.REFRESH)
def sales() -> None:
    start, end = data.day_bounds(day)
    with ui.shown_if_missing():
        hourly = data.sales_by_hour(start, end)
        if hourly.empty:
            st.info(f"No sale at the till on {day}: checkouts start once customers have shopped.")
        else:
            left, right = st.columns(2)
            fig = px.bar(
                hourly,
                x="hour",
                y="revenue",
                hover_data=["transactions", "units"],
                title="Revenue per hour (€)",
            )
            fig.update_layout(height=300, margin={"t": 40, "b": 0}, xaxis_title="")
            left.plotly_chart(fig, use_container_width=True)
            fig = px.bar(hourly, x="hour", y="units", title="Units sold per hour")
            fig.update_layout(height=300, margin={"t": 40, "b": 0}, xaxis_title="")
            right.plotly_chart(fig, use_container_width=True)
            left, right = st.columns(2)
            with left:
                st.markdown("**Top products**")
                ui.table(data.top_products(start, end), "No product sold.")
            with right:
                st.markdown(
                    "**Discounts**: till lines at full price, at a weekly discount, at a near-expiry discount"
                )
                effect = data.discount_effect(start, end)
                ui.table(effect.round(3), "No till lines.")


@st.fragment(run_every=ui.REFRESH)
def traffic() -> None:
    st.subheader("Foot traffic per time slot")
    start, end = data.day_bounds(day)
    with ui.shown_if_missing():
        seen = data.sessions(start, end)
        observed = seen.groupby("time_slot").size().rename("customers").reset_index()
        expected = expected_per_slot(day, data.settings().base_daily_customers)
        both = pd.concat(
            [
                observed.assign(series="entered (Delta raw/foot_traffic)"),
                expected.assign(series="arrival model mean"),
            ]
        )
        order = [s.label for s in SLOTS]
        fig = px.bar(
            both,
            x="time_slot",
            y="customers",
            color="series",
            barmode="group",
            category_orders={"time_slot": order},
        )
        fig.update_layout(height=320, margin={"t": 10, "b": 0}, xaxis_title="")
        st.plotly_chart(fig, use_container_width=True)
        st.caption(
            f"{len(seen)} customers entered on {day} ({weekday_name(day)}); raw events land in Delta every few seconds of real time."
        )


sales()
traffic()
