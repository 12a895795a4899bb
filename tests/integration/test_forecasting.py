"""Training and inference on a fast-forwarded history, against a Postgres and a Kafka of their own.

Training evaluates the model beside its baselines on the held-out cutoffs, registers the version, and
the registered artifact loads back to the same predictions; too little history is refused, naming
what to run. Inference, before the first cutoff after the history, logs a prediction per product and
sends the orders as pending supplier plans on Kafka; a panel that does not reach the day before the
cutoff, or a corrupted artifact, gives no orders and a refused run saying why."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ml_model.inference_service import service as inference
from ml_model.training_service.service import load_panel
from simulated_time.clock import SIM_NOW_KEY
from smart_shelf.forecast import registry
from smart_shelf.forecast.evaluate import training_rows
from smart_shelf.forecast.features import FEATURES, MIN_HISTORY
from smart_shelf.kafka_client import make_consumer, make_producer, send_events
from smart_shelf.postgres_client import fetch_rows
from smart_shelf.redis_client import connect_redis
from smart_shelf.settings import InferenceSettings, TrainingSettings
from tests.integration.private_stack import history_stack
from tests.integration.spark_apps.ledger_harness import wait_for

DAYS, HOLDOUT = 42, 7  # 28 days of features, a week to learn from, a week held out
# the first test builds `trained`: 42 simulated days and two trainings
pytestmark = pytest.mark.timeout(1800)
MODEL = "demand_test"


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *args], env=env, capture_output=True, text=True, timeout=1200
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("training")
    stack = history_stack(root, "kafka", "kafka-init")
    env = {
        **stack.env,
        "DELTA_ROOT": str(root / "delta"),
        "ARTIFACT_DIR": str(root / "models"),
        "MODEL_NAME": MODEL,
        "HOLDOUT_DAYS": str(HOLDOUT),
        # a smaller store than the demo's 1,000 a day: what is checked here is the pipeline from the
        # lake to the registry and the plans, not the model's accuracy (make bench measures that)
        "DAILY_CUSTOMERS": "300",
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
        yield settings, refused, done.stdout, env
    finally:
        stack.down()


def test_too_little_history_is_refused_naming_what_to_run(trained):
    _, refused, *_ = trained
    assert refused.returncode == 2
    assert "0 closed days" in refused.stderr and "make history DAYS=42" in refused.stderr


def test_the_version_is_registered_with_its_evaluation_beside_the_baselines(trained):
    settings, _, out, _ = trained
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
    settings, *_ = trained
    (version,) = registry.versions(settings, MODEL)
    path = settings.artifact_dir / MODEL / "v1.ubj"
    assert version.artifact_path == str(path) and registry.sha256_of(path) == version.artifact_sha256
    model = registry.load_artifact(path, version.artifact_sha256, version.features)
    panel = load_panel(settings)
    rows = training_rows(panel, DAYS, {}).tail(500)
    predicted = model.predict(rows[list(FEATURES)])
    assert predicted.shape == (500,) and np.all(predicted >= 0) and predicted.std() > 0


def test_training_writes_the_features_of_every_day_where_the_views_read_them(trained):
    settings, *_ = trained
    shelves = fetch_rows(settings, "SELECT count(*) AS n FROM ref.store_inventory")[0]["n"]
    days = DAYS - MIN_HISTORY + 1  # every day with four weeks before it, and the day after the history
    counted = fetch_rows(
        settings,
        "SELECT count(*) AS n, count(DISTINCT feature_date) AS days FROM analytics.shelf_daily_features",
    )[0]
    assert (counted["n"], counted["days"]) == (4 * shelves * days, days)
    latest = fetch_rows(settings, "SELECT DISTINCT feature_date FROM analytics.v_ml_features")
    assert [r["feature_date"] for r in latest] == [date(2026, 2, 12)]  # the first day after the history
    train = fetch_rows(
        settings,
        "SELECT count(*) AS n, sum(demand) AS demand, max(target_date) AS last FROM analytics.v_ml_train",
    )[0]
    assert train["last"] == date(2026, 2, 11) and train["demand"] > 0  # closed target days only
    assert train["n"] < counted["n"]


# ------------------------------------------------------------------ inference

# the history covers 1 January to 11 February: Thursday the 12th's cutoff is the first after it
CUTOFF = datetime(2026, 2, 12, 12, tzinfo=UTC)
RUN_AT = datetime(2026, 2, 12, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def serving(trained):
    """The trained version as the champion (promoted if the short history's evaluation did not)."""
    settings, *_ = trained
    (version,) = registry.versions(settings, MODEL)
    if not version.champion:  # 42 days decide little: the service orders from whatever is champion
        registry.register(settings, version.model_copy(update={"champion": True}))
    return InferenceSettings(**{**settings.model_dump(), "order_policy": "ml"})


def _plans_on_topic(settings, group: str) -> list[dict]:
    consumer = make_consumer(settings, "wh_supplier_plan", group_id=group, consumer_timeout_ms=5000)
    try:
        return [json.loads(r.value) for r in consumer]
    finally:
        consumer.close()


def _runs(settings) -> dict:
    rows = fetch_rows(settings, "SELECT * FROM analytics.ml_inference_runs WHERE model_name = %s", (MODEL,))
    return {r["cutoff_ts"]: r for r in rows}


def test_inference_logs_every_product_and_sends_its_orders_as_pending_plans(serving):
    settings = serving
    producer = make_producer(settings)
    send = lambda plans: send_events(producer, "wh_supplier_plan", plans)  # noqa: E731
    result = inference.run(settings, CUTOFF, RUN_AT, send)
    again = inference.run(settings, CUTOFF, RUN_AT, send)  # a run repeated: the same plans
    producer.close()
    assert result.status == "ok" and result.model_version == "v1"
    logged = fetch_rows(
        settings,
        "SELECT * FROM analytics.ml_predictions_log WHERE model_name = %s AND cutoff_ts = %s",
        (MODEL, CUTOFF),
    )
    shelves = fetch_rows(settings, "SELECT count(*) AS n FROM ref.warehouse_inventory")[0]["n"]
    assert len(logged) == shelves == len(result.proposals)
    assert all(r["covered_days"] == 4 and r["feature_date"] == CUTOFF.date() for r in logged)  # Thu -> Mon
    assert sum(float(r["forecast_units"]) for r in logged) > 1000  # a store's four days of demand
    ordered = {p.shelf_id: p.quantity for p in result.proposals if p.quantity > 0}
    assert ordered and {p.shelf_id: p.suggested_qty for p in result.plans} == ordered
    sent = _plans_on_topic(settings, "inference-test")
    assert len(sent) == 2 * len(result.plans)
    assert {p["supplier_plan_id"] for p in sent} == {p.supplier_plan_id for p in again.plans}
    assert all(p["status"] == "pending" and p["created_at"].startswith("2026-02-12T11:30") for p in sent)
    run = _runs(settings)[CUTOFF]
    assert (run["status"], run["orders"], run["order_policy"]) == ("ok", len(result.plans), "ml")


def test_features_that_do_not_reach_the_day_before_the_cutoff_give_no_orders(serving):
    settings = serving
    sent = []
    sunday = CUTOFF + timedelta(days=3)  # the lake still ends on Wednesday 11 February
    result = inference.run(settings, sunday, sunday - timedelta(minutes=30), sent.extend)
    assert result.status == "refused" and sent == []
    assert "ends on 2026-02-11" in result.reason and "2026-02-14" in result.reason
    assert _runs(settings)[sunday]["status"] == "refused"


def test_a_corrupted_artifact_gives_no_orders_and_says_so(serving, tmp_path):
    settings = serving
    (version,) = [v for v in registry.versions(settings, MODEL) if v.champion]
    broken = tmp_path / "v1.ubj"
    broken.write_bytes(Path(version.artifact_path).read_bytes()[:-100])
    other = InferenceSettings(**{**settings.model_dump(), "model_name": MODEL + "_broken"})
    registry.register(
        other, version.model_copy(update={"model_name": other.model_name, "artifact_path": str(broken)})
    )
    sent = []
    result = inference.run(other, CUTOFF, RUN_AT, sent.extend)
    assert result.status == "refused" and sent == []
    assert "not the registered one" in result.reason


def test_the_service_runs_on_the_simulated_clock_before_the_cutoff(serving, trained):
    settings = serving
    env = {
        **trained[3],
        "USE_SIMULATED_TIME": "1",
        "MODEL_NAME": MODEL,
        "ORDER_POLICY": "rule",
    }
    client = connect_redis(settings)
    client.set(SIM_NOW_KEY, datetime(2026, 2, 15, 11, 45, tzinfo=UTC).isoformat())  # Sunday, after 11:30
    service = subprocess.Popen(
        [sys.executable, "-m", "ml_model.inference_service"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        sunday = datetime(2026, 2, 15, 12, tzinfo=UTC)
        wait_for(
            lambda: sunday in _runs(settings) and _runs(settings)[sunday]["ran_at"].minute == 45, 300, "a run"
        )
    finally:
        service.send_signal(signal.SIGTERM)
        out, _ = service.communicate(timeout=120)
    assert service.returncode == 0, out[-3000:]
    run = _runs(settings)[sunday]
    assert run["status"] == "refused" and run["order_policy"] == "rule"  # the lake ends on the 11th
    assert "no orders from the model" in out
