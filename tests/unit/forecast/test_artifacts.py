"""Model artifacts: saved and loaded to the same predictions; a missing, corrupted or foreign file refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from smart_shelf.forecast.registry import ArtifactError, features_sha256, load_artifact, save_artifact

FEATURES = ["a", "b"]


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.random((200, 2)), columns=FEATURES)
    y = 3 * x["a"] + rng.random(200)
    fitted = xgb.XGBRegressor(tree_method="hist", n_estimators=20, n_jobs=1, random_state=0)
    fitted.fit(x, y)
    return fitted, x


def test_a_saved_model_loads_to_the_same_predictions(model, tmp_path):
    fitted, x = model
    path, sha256 = save_artifact(fitted, tmp_path, "demand", "v1")
    assert path == tmp_path / "demand" / "v1.ubj"
    loaded = load_artifact(path, sha256, FEATURES)
    assert np.array_equal(loaded.predict(x), fitted.predict(x))


def test_a_missing_artifact_is_refused_with_its_path(tmp_path):
    with pytest.raises(ArtifactError, match="missing"):
        load_artifact(tmp_path / "demand" / "v9.ubj", "0" * 64, FEATURES)


def test_a_corrupted_artifact_is_refused(model, tmp_path):
    path, sha256 = save_artifact(model[0], tmp_path, "demand", "v1")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="not the registered one"):
        load_artifact(path, sha256, FEATURES)


def test_an_artifact_of_other_features_is_refused(model, tmp_path):
    path, sha256 = save_artifact(model[0], tmp_path, "demand", "v1")
    with pytest.raises(ArtifactError, match="other features"):
        load_artifact(path, sha256, ["a", "c"])


def test_the_feature_list_hash_follows_names_and_order():
    assert features_sha256(["a", "b"]) == features_sha256(("a", "b"))
    assert features_sha256(["a", "b"]) != features_sha256(["b", "a"])
