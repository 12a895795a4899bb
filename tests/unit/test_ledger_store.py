"""The driver's ledger store: each micro-batch starts from the state after the batch before it,
whether the process kept it in memory, restarted, or runs a batch again after a crash."""

import pytest

from smart_shelf.spark.ledger_store import FORGET_EVERY, LedgerStore


def _run(store, first, last):
    """Batches first..last, batch n setting shelf S<n % 3> to n."""
    for n in range(first, last + 1):
        assert store.before(n) is not None
        store.commit(n, {f"S{n % 3}": str(n)})


def test_a_new_store_starts_empty_and_keeps_each_batch_in_memory(tmp_path):
    store = LedgerStore(tmp_path)
    assert store.before(0) == {}
    store.commit(0, {"S1": "a"})
    store.commit(1, {})
    assert store.before(2) == {"S1": "a"}


def test_a_restarted_process_reads_the_state_back(tmp_path):
    _run(LedgerStore(tmp_path), 0, 4)
    assert dict(LedgerStore(tmp_path).before(5)) == {"S0": "3", "S1": "4", "S2": "2"}


def test_a_batch_run_again_after_a_crash_starts_from_the_batch_before_it(tmp_path):
    _run(LedgerStore(tmp_path), 0, 4)  # batch 4 saved, but Spark did not commit it
    store = LedgerStore(tmp_path)
    assert dict(store.before(4)) == {"S0": "3", "S1": "1", "S2": "2"}
    store.commit(4, {"S1": "4b"})
    assert dict(LedgerStore(tmp_path).before(5)) == {"S0": "3", "S1": "4b", "S2": "2"}


def test_full_files_bound_what_recovery_reads_and_older_files_go(tmp_path):
    store = LedgerStore(tmp_path, full_every=3)
    _run(store, 0, 10)
    names = sorted(p.name for p in tmp_path.glob("*.json"))
    # the full before the newest stays with the changes after it (a batch run again may need them)
    assert names == [f"{n:012d}.{'full' if n in (5, 8) else 'changes'}.json" for n in range(5, 11)]
    expected = {"S0": "9", "S1": "10", "S2": "8"}
    assert dict(store.before(11)) == expected
    assert dict(LedgerStore(tmp_path, full_every=3).before(11)) == expected
    # batch 9 run again: the full of 8 and nothing after it
    assert dict(LedgerStore(tmp_path, full_every=3).before(9)) == {"S0": "6", "S1": "7", "S2": "8"}


def test_committing_out_of_order_is_refused(tmp_path):
    store = LedgerStore(tmp_path)
    store.before(0)
    with pytest.raises(RuntimeError, match="batch 2"):
        store.commit(2, {"S1": "x"})


def test_applied_record_ids_are_kept_across_restarts_and_forgotten_after_the_window(tmp_path):
    store = LedgerStore(tmp_path, full_every=50, remember_us=100)
    store.before(0)
    store.commit(0, {"S1": "a"}, {"e0": 1_000})
    for n in range(1, FORGET_EVERY):  # no sweep before batch FORGET_EVERY
        store.commit(n, {}, {f"e{n}": 1_000 + n})
    restarted = LedgerStore(tmp_path, full_every=50, remember_us=100)
    restarted.before(FORGET_EVERY)
    assert set(restarted.seen) == {f"e{n}" for n in range(FORGET_EVERY)}
    restarted.commit(FORGET_EVERY, {}, {"late": 1_150})  # ids older than 1_150 - 100 go
    assert restarted.seen == {"late": 1_150}
    # recovery sweeps at the same batch: a batch run again sees the same ids
    again = LedgerStore(tmp_path, full_every=50, remember_us=100)
    again.before(FORGET_EVERY + 1)
    assert again.seen == {"late": 1_150}
    assert again.documents == {"S1": "a"}


def test_files_of_the_first_format_are_read_as_documents_without_ids(tmp_path):
    (tmp_path / "000000000000.full.json").write_text('{"S1": "a"}')
    store = LedgerStore(tmp_path)
    assert dict(store.before(1)) == {"S1": "a"}
    assert store.seen == {}
