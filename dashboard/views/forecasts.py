"""Forecasts: the model registry with each version's metrics beside its baselines, the inference
service's runs (a refused one is an alert: no orders came from the model), and its predictions
against the demand that then came."""

import plotly.express as px
import streamlit as st

from dashboard import data, ui
from dashboard.shaping import metrics_table

st.title("Forecasts")
ui.sim_clock_caption()


def runs() -> None:
    latest = data.inference_runs()
    st.subheader("Inference runs (one per supplier cutoff)")
    if latest.empty:
        st.info("No inference run yet: the inference service runs before each supplier cutoff.")
        return
    last = latest.iloc[0]
    if last["status"] == "refused":
        st.error(f"Cutoff {last['cutoff_ts']}: {last['reason']}")
    else:
        st.success(f"Cutoff {last['cutoff_ts']}: {last['model_version']}: {last['reason']}")
    ui.table(latest, "No runs.", height=240)


def predictions() -> None:
    found = data.predictions()
    st.subheader("Forecast demand against the demand that came")
    if found.empty:
        st.info("No prediction logged yet: the inference service logs one per product at each cutoff.")
        return
    per_cutoff = found.groupby("feature_date", as_index=False)[
        ["forecast_units", "demand", "suggested_qty"]
    ].sum(min_count=1)
    fig = px.line(per_cutoff, x="feature_date", y=["forecast_units", "demand", "suggested_qty"], markers=True)
    fig.update_layout(height=320, margin={"t": 10, "b": 0}, xaxis_title="cutoff", yaxis_title="units")
    st.plotly_chart(fig, use_container_width=True)
    st.caption("Demand (units sold plus lost-sale units) appears once every day an order covers has closed.")
    ui.table(found.head(200), "No predictions.", height=320)


@st.fragment(run_every=ui.REFRESH)
def registry() -> None:
    with ui.shown_if_missing():
        models = data.models()
        if models.empty:
            st.info(
                "No model has been trained yet. `make history` then `make ml` train one: the training "
                "service writes each version to `analytics.ml_models` with its metrics beside the "
                "baselines', and the inference service logs its predictions to "
                "`analytics.ml_predictions_log` before each cutoff. Until a champion orders "
                "(ORDER_POLICY=ml), the warehouse orders by its reorder-point rule."
            )
            runs()
            return
        st.subheader("Model registry")
        ui.table(models.drop(columns=["metrics_json"]), "No model.")
        st.markdown("**Metrics, the model beside its baselines** (same evaluation origins)")
        ui.table(metrics_table(models), "No metrics recorded.")
        runs()
        predictions()


registry()
