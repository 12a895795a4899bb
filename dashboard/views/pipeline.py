"""Pipeline: services and their health, consumer lag, Spark queries, dead letters, Kafka Connect."""

import streamlit as st

from dashboard import data, ui

st.title("Pipeline")
ui.sim_clock_caption()


@st.fragment(run_every=ui.REFRESH)
def services() -> None:
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Services")
        table = data.services()
        if not table["pid"].notna().any() and not table["state"].isin(["completed", "external"]).any():
            st.info(
                "No service was started by the native runner here (`make demo`). Under Docker, "
                "`docker compose ps` and `docker compose logs <service>` show the same."
            )
        else:
            st.dataframe(table, hide_index=True, use_container_width=True, height=560)
    with right, ui.shown_if_missing():
        st.subheader("Kafka Connect")
        ui.table(data.connectors(), "No connector registered: `make up S=connect-init`.")
    with right, ui.shown_if_missing():
        st.subheader("Consumer lag")
        ui.table(data.consumer_lag(), "No consumer group has committed offsets yet.", height=260)
        st.caption("Spark queries track their offsets in their checkpoints, not in consumer groups.")


@st.fragment(run_every=ui.REFRESH)
def spark_and_dead_letters() -> None:
    with ui.shown_if_missing():
        st.subheader("Spark queries: the latest micro-batch of each")
        ui.table(
            data.query_progress(),
            "No Spark query has reported yet: the Spark application publishes each query's progress "
            "every few seconds once it runs (`make up S=spark-apps`).",
        )
    st.subheader("Dead letters")
    left, right = st.columns(2)
    with left, ui.shown_if_missing():
        st.markdown("**Quarantined events** (Delta `quarantine/<topic>`)")
        ui.table(data.quarantined(), "No event has been refused.")
    with right, ui.shown_if_missing():
        st.markdown("**Refused records** (`ops.dead_letters`)")
        ui.table(data.dead_letters(), "No record has been refused.")


services()
spark_and_dead_letters()
