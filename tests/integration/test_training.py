"""The training service on a fast-forwarded history, against a Postgres of its own: it evaluates the
model beside its baselines on the held-out cutoffs, registers the version, and the registered
artifact loads back to the same predictions. Too little history is refused, naming what to run."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ml_model.training_service.service import load_panel
from smart_shelf.forecast import registry
from smart_shelf.forecast.evaluate import training_rows
from smart_shelf.forecast.features import FEATURES
from smart_shelf.settings import TrainingSettings
from tests.integration.private_stack import history_stack

DAYS, HOLDOUT = 42, 7  # 28 days of features, a week to learn from, a week held out
MODEL = "demand_test"


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=1200
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    stack = history_stack(root)
    env = {
        **stack.env,
        "DELTA_ROOT": str(root / "delta"),
        "ARTIFACT_DIR": str(root / "models"),
        "MODEL_NAME": MODEL,
        "HOLDOUT_DAYS": str(HOLDOUT),
    }
    try:
        refused = _run(env, "ml_model.training_service")  # before any history
        history = _run(env, "smart_shelf.history", "--days", str(DAYS))
        assert history.returncode == 0, history.stdout[-3000:] + history.stderr[-3000:]
        done = _run(env, "ml_model.training_service")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        settings = TrainingSettings(
            **{
                **stack.settings.model_dump(),
                "delta_root": root / "delta",
                "artifact_dir": root / "models",
                "model_name": MODEL,
                "holdout_days": HOLDOUT,
            }
        )
        yield settings, refused, done.stdout
    finally:
        stack.down()


def test_too_little_history_is_refused_naming_what_to_run(trained):
    _, refused, _ = trained
    assert refused.returncode == 2
    assert "0 closed days" in refused.stderr and "make history DAYS=42" in refused.stderr


def test_the_version_is_registered_with_its_evaluation_beside_the_baselines(trained):
    settings, _, out = trained
    (version,) = registry.versions(settings, MODEL)
    assert version.model_version == "v1" and f"registered {MODEL} v1" in out
    assert (version.data_to - version.data_from).days == DAYS - 1
    assert version.features == list(FEATURES)
    assert set(version.metrics_json) == {
        "model",
        "seasonal naive 7",
        "moving average 7",
        "moving average 28",
        "evaluation",
    }
    assert version.metrics_json["evaluation"]["origins"] >= 2  # the cutoffs in the held-out week
    for scores in (version.metrics_json[k] for k in ("model", "seasonal naive 7", "moving average 28")):
        assert 0 < scores["rmsse"] < 3 and 0 < scores["wape"] < 2
    # promoted exactly when it clears the bar, and the registry says which part it missed otherwise
    assert version.promotion_note.startswith("promoted" if version.champion else "not promoted: ")
    assert (registry.champion(settings, MODEL) == version) == version.champion


def test_the_registered_artifact_loads_to_the_model_s_predictions(trained):
    settings, _, _ = trained
    (version,) = registry.versions(settings, MODEL)
    path = settings.artifact_dir / MODEL / "v1.ubj"
    assert version.artifact_path == str(path) and registry.sha256_of(path) == version.artifact_sha256
    model = registry.load_artifact(path, version.artifact_sha256, version.features)
    panel = load_panel(settings)
    rows = training_rows(panel, DAYS, {}).tail(500)
    predicted = model.predict(rows[list(FEATURES)])
    assert predicted.shape == (500,) and np.all(predicted >= 0) and predicted.std() > 0
