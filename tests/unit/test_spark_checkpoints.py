"""How far a streaming query has read its topics, from checkpoint files laid out as Spark 3.5 writes them."""

import json

from smart_shelf.spark.checkpoints import committed_offsets, lagging_queries, query_topics, records_behind

METADATA = json.dumps({"batchWatermarkMs": 0, "batchTimestampMs": 1796661620244, "conf": {}})


def _batch(checkpoint, n: int, *sources: dict, committed: bool = True) -> None:
    (checkpoint / "offsets").mkdir(parents=True, exist_ok=True)
    (checkpoint / "commits").mkdir(parents=True, exist_ok=True)
    lines = ["v1", METADATA, *(json.dumps(s) for s in sources)]
    (checkpoint / "offsets" / str(n)).write_text("\n".join(lines))
    (checkpoint / "offsets" / f".{n}.crc").write_text("")  # Spark's checksum files are ignored
    if committed:
        (checkpoint / "commits" / str(n)).write_text('v1\n{"nextBatchWatermarkMs":0}')


def test_the_last_committed_batch_gives_the_offsets_read_up_to(tmp_path):
    _batch(tmp_path, 0, {"shelf_events": {"0": 10, "1": 4}})
    _batch(tmp_path, 1, {"shelf_events": {"0": 25, "1": 9}})
    _batch(tmp_path, 2, {"shelf_events": {"0": 40, "1": 9}}, committed=False)  # planned, not written
    assert committed_offsets(tmp_path) == {("shelf_events", 0): 25, ("shelf_events", 1): 9}
    assert query_topics(tmp_path) == {"shelf_events"}


def test_a_query_before_its_first_commit_has_read_nothing(tmp_path):
    _batch(tmp_path, 0, {"shelf_events": {"0": 10}}, committed=False)
    assert committed_offsets(tmp_path) is None
    assert records_behind(None, {("shelf_events", 0): 10}, {"shelf_events"}) == 10


def test_sources_other_than_kafka_are_left_out(tmp_path):
    delta = {"sourceVersion": 1, "reservoirId": "x", "reservoirVersion": 3, "index": -1}
    _batch(tmp_path, 0, {"wh_events": {"0": 7}}, delta)
    _batch(tmp_path / "rate", 0, 42)
    assert committed_offsets(tmp_path) == {("wh_events", 0): 7}
    assert committed_offsets(tmp_path / "rate") == {}


def test_records_behind_counts_only_the_query_s_topics_and_never_below_zero():
    committed = {("a", 0): 5, ("a", 1): 8}
    ends = {("a", 0): 9, ("a", 1): 8, ("b", 0): 100, ("a", 2): 3}  # a partition it has not read yet
    assert records_behind(committed, ends, {"a"}) == 4 + 0 + 3
    assert records_behind({("a", 0): 12}, {("a", 0): 9}, {"a"}) == 0


def test_lagging_queries_names_each_query_behind_and_asks_the_broker_once(tmp_path):
    _batch(tmp_path / "shelf-aggregator" / "raw_shelf_events", 3, {"shelf_events": {"0": 100}})
    _batch(tmp_path / "shelf-aggregator" / "shelf_state", 7, {"shelf_events": {"0": 120}})
    _batch(tmp_path / "alerts-sink" / "alerts", 1, {"alerts": {"0": 5}})
    (tmp_path / "alerts-sink" / "state").mkdir()  # not a query: no offsets log
    asked = []

    def end_offsets(topics):
        asked.append(topics)
        return {("shelf_events", 0): 120, ("alerts", 0): 5}

    assert lagging_queries(tmp_path, end_offsets) == {"shelf-aggregator/raw_shelf_events": 20}
    assert asked == [["alerts", "shelf_events"]]


def test_no_checkpoints_nothing_behind(tmp_path):
    assert lagging_queries(tmp_path / "missing", lambda topics: {}) == {}
