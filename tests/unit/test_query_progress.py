from datetime import UTC, datetime

from smart_shelf.spark import query_progress


def _progress(timestamp: str, ms: int) -> dict:
    return {"timestamp": timestamp, "durationMs": {"triggerExecution": ms, "addBatch": ms - 100}}


def test_busy_time_counts_only_the_batches_that_started_in_the_interval():
    progresses = [
        _progress("2026-11-30T06:00:58.000Z", 4000),  # before the interval
        _progress("2026-11-30T06:01:00.000Z", 2500),
        _progress("2026-11-30T06:01:30.500Z", 1250),
    ]
    since = datetime(2026, 11, 30, 6, 1, tzinfo=UTC)
    assert query_progress.busy_seconds(progresses, since) == 3.75


def test_a_query_without_batches_was_not_busy():
    assert query_progress.busy_seconds([], datetime(2026, 11, 30, tzinfo=UTC)) == 0
