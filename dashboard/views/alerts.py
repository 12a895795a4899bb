"""Alerts: the stream with its lifecycle (open, acknowledged, resolved) and how long they take to resolve."""

from datetime import timedelta

import plotly.express as px
import streamlit as st

from dashboard import data, ui

st.title("Alerts")
ui.sim_clock_caption()
TYPES = ("refill_request", "near_expiry", "supplier_request", "expired_removal")
STATUSES = ("open", "acknowledged", "resolved")
WINDOWS = {
    "last simulated day": timedelta(days=1),
    "last 7 simulated days": timedelta(days=7),
    "everything": None,
}

cols = st.columns(3)
chosen_types = cols[0].multiselect("Type", TYPES, placeholder="every type")
chosen_statuses = cols[1].multiselect("Status", STATUSES, placeholder="every status")
window = cols[2].selectbox("Created in", list(WINDOWS), index=2)


@st.fragment(run_every=ui.REFRESH)
def lifecycle() -> None:
    with ui.shown_if_missing():
        since = data.now() - WINDOWS[window] if WINDOWS[window] else None
        summary = data.alert_lifecycle(since)
        if summary.empty:
            st.info("No alerts yet: the alert engines raise them as shelves and the warehouse run low.")
            return
        long = summary.melt(
            id_vars="event_type", value_vars=list(STATUSES), var_name="status", value_name="alerts"
        )
        left, right = st.columns([3, 2])
        fig = px.bar(
            long, x="event_type", y="alerts", color="status", barmode="stack",
            color_discrete_map={"open": "#d7301f", "acknowledged": "#fdae61", "resolved": "#66bd63"},
        )  # fmt: skip
        fig.update_layout(height=300, margin={"t": 10, "b": 0}, xaxis_title="")
        left.plotly_chart(fig, use_container_width=True)
        right.markdown("**Simulated hours to resolve**")
        right.dataframe(
            summary[["event_type", "median_hours_to_resolve", "p90_hours_to_resolve"]].round(2),
            hide_index=True,
            use_container_width=True,
        )
        rows = data.alerts(since, tuple(chosen_types) or None, tuple(chosen_statuses) or None)
        st.markdown(f"**Latest alerts** ({len(rows)} shown, newest first)")
        ui.table(rows, "No alert matches the filters.", height=420)


lifecycle()
