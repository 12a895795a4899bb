"""One training run: the demand panel from the lake, its features written where analysts read them,
rolling-origin evaluation against the baselines, the final model on every day, its artifact and its
registry row.

The history comes from the Delta tables `make history` (and the live store) write: the per-shelf
days (`analytics/shelf_daily`) and the visits (`raw/foot_traffic`) for the daily customers. The last
HOLDOUT_DAYS are held out: one origin per supplier cutoff in them, the model refitted at each on the
days before it, the baselines on the same origins. The final model is fitted on every closed day;
it becomes the champion only when the evaluation clears the bar (smart_shelf.forecast.evaluate).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from smart_shelf import delta_tables
from smart_shelf.contracts import ModelVersion
from smart_shelf.forecast import registry
from smart_shelf.forecast.evaluate import (
    DAYS_BEFORE_HOLDOUT,
    ModelParams,
    demand_of,
    evaluate,
    fit,
    promotion,
    training_rows,
)
from smart_shelf.forecast.features import FEATURES, MIN_HISTORY, feature_rows
from smart_shelf.forecast.lake import lake_panel
from smart_shelf.forecast.panel import Panel
from smart_shelf.history.postgres_out import PostgresOut
from smart_shelf.history.record import Lake
from smart_shelf.settings import SupplierManagerSettings, TrainingSettings
from spark_apps.wh_supplier_manager.job import calendar

log = logging.getLogger("training-service")


def load_panel(settings: TrainingSettings) -> Panel:
    what = (
        f"training ({MIN_HISTORY} days of features, a week to learn from, "
        f"HOLDOUT_DAYS={settings.holdout_days} held out)"
    )
    return lake_panel(settings, DAYS_BEFORE_HOLDOUT + settings.holdout_days, what)


def write_features(settings: TrainingSettings, panel: Panel, progress: Callable[[str], None]) -> int:
    """The features at every day of the panel as an origin (each shelf, the next four days), over
    what the tables held: Delta analytics/shelf_daily_features and analytics.shelf_daily_features."""
    began = time.monotonic()
    rows = [r for origin in range(MIN_HISTORY, panel.observed + 1) for r in feature_rows(panel, origin)]
    table = delta_tables.table("analytics", "shelf_daily_features")
    Lake(settings.delta_root).overwrite(table.relative_path, rows)
    PostgresOut(settings).upsert("analytics.shelf_daily_features", table.model, rows, list(table.keys))
    progress(
        f"features: {len(rows):,} rows ({panel.observed - MIN_HISTORY + 1} days) written in {time.monotonic() - began:.1f}s"
    )
    return len(rows)


def train(
    settings: TrainingSettings,
    params: ModelParams | None = None,
    progress: Callable[[str], None] = log.info,
) -> ModelVersion:
    params = params or ModelParams()
    panel = load_panel(settings)
    observed = panel.observed
    first_holdout = observed - settings.holdout_days
    progress(
        f"{len(panel.shelves):,} shelves, {observed} days from {panel.days[0]}; holding out the last "
        f"{settings.holdout_days} (from {panel.days[first_holdout]})"
    )
    write_features(settings, panel, progress)
    evaluation = evaluate(
        panel, calendar(SupplierManagerSettings()), first_holdout, observed, params, progress=progress
    )
    promoted, note = promotion(evaluation.scores)
    progress(f"evaluation over {len(evaluation.origins)} cutoffs: {note}")

    began = time.monotonic()
    rows = training_rows(panel, observed, {})
    model = fit(rows, demand_of(panel, rows), params)
    progress(f"final model on {len(rows):,} rows in {time.monotonic() - began:.1f}s")
    version = registry.next_version(settings, settings.model_name)
    path, sha256 = registry.save_artifact(model, settings.artifact_dir, settings.model_name, version)
    data_to = panel.days[observed - 1]
    record = ModelVersion(
        model_name=settings.model_name,
        model_version=version,
        trained_at=datetime.now(UTC),
        trained_sim_at=datetime.combine(data_to + timedelta(days=1), clock_time(0), UTC),
        data_from=panel.days[0],
        data_to=data_to,
        features=list(FEATURES),
        features_sha256=registry.features_sha256(FEATURES),
        params_json=params.__dict__,
        metrics_json={
            **{name: s.as_dict() for name, s in evaluation.scores.items()},
            "evaluation": {
                "origins": len(evaluation.origins),
                "first_origin": panel.days[evaluation.origins[0].index].isoformat(),
                "fit_seconds_per_origin": round(sum(evaluation.fit_seconds) / len(evaluation.fit_seconds), 2),
            },
        },
        artifact_path=str(path),
        artifact_sha256=sha256,
        champion=promoted,
        promotion_note=note,
    )
    registry.register(settings, record)
    progress(
        f"registered {record.model_name} {version} ({'champion' if promoted else 'not champion'}): {path}"
    )
    return record
