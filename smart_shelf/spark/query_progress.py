"""Each Spark query's latest micro-batch, published to Redis by the Spark application and read by the
dashboard's Pipeline page: one hash, a field per query, so every Spark container of a Docker run
reports to the same place."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

PROGRESS_KEY = "spark:query_progress"


def summary(name: str, progress: Mapping) -> dict:
    """What the Pipeline page shows of a StreamingQueryProgress (as `query.lastProgress` gives it)."""
    return {
        "query": name,
        "batch_id": progress.get("batchId"),
        "timestamp": progress.get("timestamp"),
        "input_rows": progress.get("numInputRows", 0),
        "rows_per_second": round(float(progress.get("processedRowsPerSecond") or 0.0), 1),
        "batch_seconds": (progress.get("durationMs") or {}).get("triggerExecution", 0) / 1000,
    }


def busy_seconds(progresses: Iterable[Mapping], since: datetime) -> float:
    """Seconds a query spent in micro-batches that started at or after `since` (its share of the
    application's time: the queries' batches run side by side on the same cores)."""
    total = 0
    for progress in progresses:
        started = datetime.fromisoformat(progress["timestamp"].replace("Z", "+00:00"))
        if started >= since:
            total += (progress.get("durationMs") or {}).get("triggerExecution", 0)
    return total / 1000


def publish(client, summaries: list[dict]) -> None:
    if summaries:
        client.hset(PROGRESS_KEY, mapping={s["query"]: json.dumps(s) for s in summaries})


def read(client) -> list[dict]:
    return [json.loads(raw) for raw in client.hgetall(PROGRESS_KEY).values()]
