"""The ledgers of one streaming query, kept in the driver and saved with each micro-batch.

A ledger query's state is small (a JSON document per shelf: about a thousand) and read and written
at every micro-batch, so it lives in the driver's memory instead of Spark's state store, which costs
a shuffle, an Arrow round trip to Python workers and a store commit per partition for every batch.
Exactly once comes from the batch ids Spark gives foreachBatch:

- the state after batch N is saved as a file named N beside the query's checkpoint (`ledgers/`):
  the documents the batch changed, and every `FULL_EVERY` batches all of them;
- batch N always starts from the state after N-1. Spark runs a batch again, with the same records,
  when it died before its commit: the files of that batch and later ones are then dropped and the
  state is rebuilt from the newest full file before N and the changes after it, so the batch yields
  the same documents and the same output as the first time.

The store also remembers the records it has applied (`seen`: a record's dedupe id, its event id or
its payload's hash, to its Kafka append time), so a copy re-sent by a producer or bridge after a
crash is dropped (`smart_shelf.spark.ledger.first_sightings`) without a state operator in the query.
An id is forgotten once the newest id is `remember_us` younger, at batches that are multiples of
`FORGET_EVERY`, in the run and in recovery alike, so a batch run again drops the same copies.

Files are written to a temporary name and renamed, so a file is either whole or absent.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)
FULL_EVERY = 200  # batches between two full files: recovery reads at most this many change files
FORGET_EVERY = 20  # batches between two sweeps of the ids older than the window
FORMAT = 2  # files hold {"format", "documents", "seen"}; format 1 held the documents alone


class LedgerStore:
    def __init__(self, directory: Path, full_every: int = FULL_EVERY, remember_us: int = 0):
        self.directory = directory
        self.full_every = full_every
        self.remember_us = remember_us
        self.documents: dict[str, str] = {}
        self.seen: dict[str, int] = {}  # dedupe id -> Kafka append time (microseconds)
        self.version: int | None = None  # the batch whose state `documents` holds; None: not loaded
        self.last_full: int = -1

    def before(self, batch_id: int) -> Mapping[str, str]:
        """The documents as they stood after batch_id - 1 (read from disk when not already held)."""
        if self.version != batch_id - 1:
            self._recover(batch_id)
        return self.documents

    def commit(
        self, batch_id: int, changed: Mapping[str, str], sighted: Mapping[str, int] | None = None
    ) -> None:
        """Record the documents batch_id changed (a key to its new document) and the records it
        applied (`sighted`: dedupe id -> Kafka append time in microseconds)."""
        if self.version != batch_id - 1:
            raise RuntimeError(f"{self.directory}: batch {batch_id} committed on the state of {self.version}")
        sighted = sighted or {}
        self._apply(batch_id, changed, sighted)
        full = batch_id - self.last_full >= self.full_every
        if full:
            self._write(batch_id, "full", self.documents, self.seen)
            self._drop(lambda n, kind: n < self.last_full)  # the full before this one stays, with its changes
            self.last_full = batch_id
        elif changed or sighted:
            self._write(batch_id, "changes", changed, sighted)
        self.version = batch_id

    def _apply(self, batch_id: int, changed: Mapping[str, str], sighted: Mapping[str, int]) -> None:
        self.documents.update(changed)
        self.seen.update(sighted)
        if batch_id % FORGET_EVERY == 0 and self.seen:
            oldest = max(self.seen.values()) - self.remember_us
            self.seen = {k: t for k, t in self.seen.items() if t >= oldest}

    def _recover(self, batch_id: int) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        files = self._files()
        stale = [(n, kind) for n, kind in files if n >= batch_id]
        if stale:  # written by a run of these batches that died before Spark committed them
            log.info(
                "%s: batches %s run again; their saved ledgers dropped",
                self.directory,
                sorted({n for n, _ in stale}),
            )
            self._drop(lambda n, kind: n >= batch_id)
        fulls = [n for n, kind in files if kind == "full" and n < batch_id]
        start = max(fulls, default=-1)
        self.documents, self.seen = self._read(start, "full") if start >= 0 else ({}, {})
        # the changes after the full, each as commit applied it (the same ids forgotten)
        for n, kind in files:
            if start < n < batch_id and kind == "changes":
                self._apply(n, *self._read(n, kind))
        self.version, self.last_full = batch_id - 1, start
        log.info(
            "%s: %d ledgers and %d record ids as of batch %d",
            self.directory, len(self.documents), len(self.seen), batch_id - 1,
        )  # fmt: skip

    def _files(self) -> list[tuple[int, str]]:
        found = []
        for path in self.directory.glob("*.json"):
            number, _, kind = path.stem.partition(".")
            if number.isdigit() and kind in ("full", "changes"):
                found.append((int(number), kind))
        return sorted(found)

    def _path(self, batch_id: int, kind: str) -> Path:
        return self.directory / f"{batch_id:012d}.{kind}.json"

    def _write(self, batch_id: int, kind: str, documents: Mapping[str, str], seen: Mapping[str, int]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(batch_id, kind)
        temporary = path.with_suffix(".tmp")
        with temporary.open("w") as out:
            json.dump({"format": FORMAT, "documents": documents, "seen": seen}, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)

    def _read(self, batch_id: int, kind: str) -> tuple[dict[str, str], dict[str, int]]:
        saved = json.loads(self._path(batch_id, kind).read_text())
        if saved.get("format") == FORMAT:
            return saved["documents"], saved["seen"]
        return saved, {}  # format 1: documents only (the query deduplicated in Spark's state store)

    def _drop(self, which) -> None:
        for n, kind in self._files():
            if which(n, kind):
                self._path(n, kind).unlink(missing_ok=True)
