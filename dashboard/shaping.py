"""Pure reshaping of what the sources return into what a page draws."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from kafka_components.kafka_producer_foot_traffic.arrival_model import (
    AVERAGE_DAY_WEIGHT,
    SLOT_WEIGHTS,
    SLOTS,
    weekday_name,
)


def expected_per_slot(day: date, base_daily_customers: int) -> pd.DataFrame:
    """The arrival model's mean customers per time slot on that weekday (before the daily variation)."""
    weights = SLOT_WEIGHTS[weekday_name(day)]
    return pd.DataFrame(
        {
            "time_slot": [s.label for s in SLOTS],
            "customers": [base_daily_customers * w / AVERAGE_DAY_WEIGHT for w in weights],
        }
    )


def metrics_table(models: pd.DataFrame) -> pd.DataFrame:
    """One row per model version and scorer, one column per metric. A registry row's metrics_json is
    either flat ({"wape": ...}: the model's own) or nested by scorer ({"model": {...}, "ma7": {...}})."""
    rows = []
    for model in models.itertuples():
        metrics = model.metrics_json
        if isinstance(metrics, str):
            metrics = json.loads(metrics or "{}")
        head = {"model": model.model_name, "version": model.model_version}
        flat = {k: v for k, v in metrics.items() if not isinstance(v, dict)}
        if flat:
            rows.append({**head, "scored": "model", **flat})
        rows += [{**head, "scored": scorer, **v} for scorer, v in metrics.items() if isinstance(v, dict)]
    return pd.DataFrame(rows)
