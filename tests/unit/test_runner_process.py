"""PID-file process table: start, find, stop, one-shot exit codes (real child processes)."""

import sys

from smart_shelf.runner.process import Launch, ProcessTable, rss_mib


def test_start_status_and_stop_a_long_running_process(tmp_path):
    table = ProcessTable(tmp_path / "run", tmp_path / "logs")
    launch = Launch(
        argv=[sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"], cwd=tmp_path
    )
    pid = table.start("sleeper", launch)
    assert table.pid("sleeper") == pid
    assert rss_mib(pid) is not None
    assert table.stop("sleeper", timeout=5)
    assert table.pid("sleeper") is None
    assert not table.stop("sleeper")  # stopping twice is harmless
    assert "starting sleeper" in table.log_path("sleeper").read_text()


def test_oneshot_exit_code_is_recorded(tmp_path):
    table = ProcessTable(tmp_path / "run", tmp_path / "logs")
    ok = Launch(argv=[sys.executable, "-c", "print('fine')"], cwd=tmp_path)
    bad = Launch(argv=[sys.executable, "-c", "raise SystemExit(3)"], cwd=tmp_path)
    assert table.run_to_completion("ok", ok, timeout=30) == 0
    assert table.run_to_completion("bad", bad, timeout=30) == 3
    assert (table.exit_code("ok"), table.exit_code("bad")) == (0, 3)
    assert "fine" in table.log_path("ok").read_text()


def test_kraft_cluster_ids_never_look_like_an_option():
    from smart_shelf.runner.infra import kraft_cluster_id

    ids = [kraft_cluster_id() for _ in range(2000)]  # about 1 in 64 raw ids starts with '-'
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
