"""Running a Spark job's queries to completion over what its topics hold (trigger availableNow)."""

from __future__ import annotations

import json
import time

from smart_shelf.kafka_client import make_producer
from tests.conftest import consume_all


def send(settings, topic: str, payloads: list, key: str = "k") -> None:
    """Each payload (a dict, or a raw string for poison) to the topic, in order, on one key."""
    producer = make_producer(settings, deadline_seconds=30)
    for payload in payloads:
        value = payload if isinstance(payload, str) else json.dumps(payload)
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def wait_for(predicate, timeout_s: float, what: str, every_s: float = 1.0) -> None:
    """Poll `predicate` until it holds; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every_s)


def run_once(spark, module, job_settings) -> None:
    """Run the job's queries (availableNow) until each has drained its input; then once more, so that
    a query reading another's output (a state table's mirror of its topic) sees all of it."""
    for _ in range(2):
        for query in module.start(spark, job_settings):
            query.awaitTermination(300)
            assert not query.isActive, f"{query.name} did not finish"
            assert query.exception() is None, query.exception()


def latest_by_key(settings, topic: str, expected: int) -> dict[str, dict]:
    """The compacted view of a topic: the last value per key."""
    return {m.key.decode(): json.loads(m.value) for m in consume_all(settings, topic, expected)}


def delta_rows(spark, path: str) -> list:
    return spark.read.format("delta").load(path).collect()


def supplier_cycle_settings(common: dict, topic_factory, **engine) -> tuple[dict, object, object]:
    """Topics of the test's own for the supplier cycle, and wh-alert-engine's and wh-supplier-manager's
    settings on them (`engine`: more of the alert engine's settings)."""
    from smart_shelf import settings as s

    topics = {"wh_state": topic_factory("wh_state"), "plans": topic_factory("wh_supplier_plan")}
    topics["wh_events"] = topic_factory("wh_events", dead_letters=True)
    engine_cfg = s.WarehouseAlertEngineSettings(
        **common, topic_wh_state=topics["wh_state"], topic_wh_supplier_plan=topics["plans"], **engine
    )
    manager_cfg = s.SupplierManagerSettings(
        **common,
        topic_wh_supplier_plan=topics["plans"],
        topic_wh_events=topics["wh_events"],
        topic_wh_state=topics["wh_state"],
    )
    return topics, engine_cfg, manager_cfg
