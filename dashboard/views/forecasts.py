"""Forecasts: the model registry with each version's metrics beside its baselines, predictions against
what then sold, the orders they proposed."""

import plotly.express as px
import streamlit as st

from dashboard import data, ui
from dashboard.shaping import metrics_table

st.title("Forecasts")
ui.sim_clock_caption()


@st.fragment(run_every=ui.REFRESH)
def registry() -> None:
    with ui.shown_if_missing():
        models = data.models()
        if models.empty:
            st.info(
                "No model has been trained yet. The training service (`ml-model/`) writes each version to "
                "`analytics.ml_models` with its metrics beside the baselines', and the inference service logs "
                "its predictions to `analytics.ml_predictions_log`; this page shows them once they exist. "
                "Until then the warehouse orders by its reorder-point rule."
            )
            return
        st.subheader("Model registry")
        ui.table(models.drop(columns=["metrics_json"]), "No model.")
        st.markdown("**Metrics, the model beside its baselines** (same evaluation origins)")
        ui.table(metrics_table(models), "No metrics recorded.")
        predictions = data.predictions()
        st.subheader("Predictions against what sold")
        if predictions.empty:
            st.info("No prediction logged yet: the inference service runs once a simulated day.")
            return
        daily = predictions.groupby("feature_date", as_index=False)[["suggested_qty", "units_sold"]].sum()
        fig = px.line(daily, x="feature_date", y=["suggested_qty", "units_sold"], markers=True)
        fig.update_layout(height=320, margin={"t": 10, "b": 0}, xaxis_title="", yaxis_title="units")
        st.plotly_chart(fig, use_container_width=True)
        ui.table(predictions.head(200), "No predictions.", height=320)


registry()
