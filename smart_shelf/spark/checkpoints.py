"""How far each streaming query has read its Kafka topics, from its checkpoint alone (no Spark session).

A query's checkpoint (delta/_checkpoints/<job>/<query>) logs, per micro-batch N, the offsets the
batch reads up to (`offsets/N`: a version line, the batch's metadata, then one JSON line per source,
`{"topic": {"partition": offset}}` for Kafka) and, once the batch's output is written, `commits/N`.
The offsets of the last committed batch are what the query has finished with: a query whose topics
end there has nothing left to do, which is how `make reconcile --wait` knows the pipeline drained.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

Offsets = dict[tuple[str, int], int]  # (topic, partition) -> the next offset to read


def _batches(log_dir: Path) -> set[int]:
    if not log_dir.is_dir():
        return set()
    return {int(f.name) for f in log_dir.iterdir() if f.name.isdigit()}


def _kafka_offsets(line: str) -> Offsets:
    """One source line of an offsets file: Kafka's {"topic": {"partition": offset}}; {} for others."""
    try:
        source = json.loads(line)
    except json.JSONDecodeError:
        return {}
    if not isinstance(source, dict):
        return {}
    offsets: Offsets = {}
    for topic, partitions in source.items():
        if not isinstance(partitions, dict):
            return {}  # not a Kafka source (a Delta or rate source's offset)
        for partition, offset in partitions.items():
            if not (partition.lstrip("-").isdigit() and isinstance(offset, int)):
                return {}
            offsets[(topic, int(partition))] = offset
    return offsets


def _offsets_of(checkpoint: Path, batch: int) -> Offsets:
    lines = (checkpoint / "offsets" / str(batch)).read_text().splitlines()
    offsets: Offsets = {}
    for line in lines[2:]:  # after the version and the batch's metadata
        offsets.update(_kafka_offsets(line))
    return offsets


def committed_offsets(checkpoint: Path) -> Offsets | None:
    """The Kafka offsets the query's last committed batch read up to; None before its first commit."""
    done = _batches(checkpoint / "commits") & _batches(checkpoint / "offsets")
    return _offsets_of(checkpoint, max(done)) if done else None


def query_topics(checkpoint: Path) -> set[str]:
    """The topics the query reads, as its latest planned batch names them (none before its first)."""
    planned = _batches(checkpoint / "offsets")
    return {topic for topic, _ in _offsets_of(checkpoint, max(planned))} if planned else set()


def query_checkpoints(root: Path) -> dict[str, Path]:
    """Every query checkpoint under the checkpoint root, named <job>/<query>."""
    if not root.is_dir():
        return {}
    return {
        f"{job.name}/{query.name}": query
        for job in sorted(root.iterdir())
        if job.is_dir()
        for query in sorted(job.iterdir())
        if (query / "offsets").is_dir()
    }


def records_behind(
    committed: Offsets | None, ends: Mapping[tuple[str, int], int], topics: Iterable[str]
) -> int:
    """Records on `topics` past what the query has committed (all of them before its first commit)."""
    topics = set(topics)
    done = committed or {}
    return sum(max(end - done.get(tp, 0), 0) for tp, end in ends.items() if tp[0] in topics)


def queries_behind(
    root: Path, end_offsets: Callable[[list[str]], Mapping[tuple[str, int], int]]
) -> dict[str, int]:
    """{query: records behind} for every query under `root`, 0 for one at the end of its topics;
    `end_offsets(topics)` gives each partition's end offset as the broker has it now (one call). A
    query that has not planned a batch yet is not known to read anything."""
    checkpoints = query_checkpoints(root)
    topics = {name: query_topics(path) for name, path in checkpoints.items()}
    wanted = sorted(set().union(*topics.values())) if topics else []
    ends = end_offsets(wanted) if wanted else {}
    return {
        name: records_behind(committed_offsets(path), ends, topics[name])
        for name, path in checkpoints.items()
    }


def lagging_queries(
    root: Path, end_offsets: Callable[[list[str]], Mapping[tuple[str, int], int]]
) -> dict[str, int]:
    """{query: records behind} for the queries under `root` not at the end of their topics."""
    return {name: n for name, n in queries_behind(root, end_offsets).items() if n}
