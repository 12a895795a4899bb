"""The model registry: artifacts on disk, checked by sha256, and their versions in analytics.ml_models.

An artifact is XGBoost's UBJSON (`save_model`, which keeps the feature names). Loading compares the
file's sha256 with the registry's and the model's features with the registered list, and refuses a
missing, corrupted or replaced file with the reason, rather than ordering from the wrong model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from psycopg2 import sql
from psycopg2.extras import Json

from smart_shelf.contracts import ModelVersion
from smart_shelf.postgres_client import connect_postgres, fetch_rows
from smart_shelf.settings import Settings

TABLE = "analytics.ml_models"


class ArtifactError(RuntimeError):
    """A model artifact that cannot be trusted: missing, corrupted, or for other features."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def features_sha256(features: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(features)).encode()).hexdigest()


def save_artifact(model, directory: Path, name: str, version: str) -> tuple[Path, str]:
    """Writes the model as `<directory>/<name>/<version>.ubj`; returns the path and its sha256."""
    path = directory / name / f"{version}.ubj"
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save_model(path)
    return path, sha256_of(path)


def load_artifact(path: Path, sha256: str, features: Sequence[str]):
    """The registered model, or ArtifactError saying why it cannot be used."""
    import xgboost as xgb

    if not path.is_file():
        raise ArtifactError(f"model artifact {path} is missing: train the model again (make ml)")
    found = sha256_of(path)
    if found != sha256:
        raise ArtifactError(
            f"model artifact {path} is not the registered one (sha256 {found[:12]}..., registered "
            f"{sha256[:12]}...): corrupted or replaced; train the model again (make ml)"
        )
    model = xgb.XGBRegressor()
    try:
        model.load_model(path)
    except xgb.core.XGBoostError as exc:
        raise ArtifactError(f"model artifact {path} cannot be read: {exc}") from exc
    names = model.get_booster().feature_names or []
    if list(names) != list(features):
        raise ArtifactError(f"model artifact {path} was trained on other features than registered: {names}")
    return model


_COLUMNS = tuple(ModelVersion.model_fields)
_JSON = {"features", "params_json", "metrics_json"}


def register(settings: Settings, version: ModelVersion) -> None:
    """Records a version, in one transaction with taking the title from the name's earlier champion."""
    row = tuple(Json(getattr(version, c)) if c in _JSON else getattr(version, c) for c in _COLUMNS)
    insert = sql.SQL(
        "INSERT INTO analytics.ml_models ({}) VALUES ({}) ON CONFLICT (model_name, model_version) DO UPDATE SET {}"
    ).format(
        sql.SQL(", ").join(map(sql.Identifier, _COLUMNS)),
        sql.SQL(", ").join(sql.Placeholder() * len(_COLUMNS)),
        sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in _COLUMNS[2:]),
    )
    conn = connect_postgres(settings, deadline_seconds=120)
    try:
        with conn, conn.cursor() as cur:
            if version.champion:
                cur.execute(
                    "UPDATE analytics.ml_models SET champion = false WHERE model_name = %s AND champion",
                    (version.model_name,),
                )
            cur.execute(insert, row)
    finally:
        conn.close()


def versions(settings: Settings, name: str) -> list[ModelVersion]:
    rows = fetch_rows(
        settings,
        f"SELECT {', '.join(_COLUMNS)} FROM {TABLE} WHERE model_name = %s ORDER BY trained_at",
        (name,),
    )
    return [ModelVersion.model_validate(r) for r in rows]


def champion(settings: Settings, name: str) -> ModelVersion | None:
    return next((v for v in reversed(versions(settings, name)) if v.champion), None)


def next_version(settings: Settings, name: str) -> str:
    """v1, v2, ...: one more than the name's versions so far."""
    return f"v{len(versions(settings, name)) + 1}"
