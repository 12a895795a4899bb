"""A bench stopped with SIGTERM (`timeout`, a CI runner) still stops what it started: its `finally`
blocks run, as after Ctrl-C."""

import signal
import subprocess
import sys
import textwrap

from smart_shelf.paths import REPO_ROOT

BENCH = textwrap.dedent("""
    import time
    from tests.bench import stop_on_sigterm

    stop_on_sigterm()
    try:
        print("started", flush=True)
        time.sleep(60)
    finally:
        print("stack stopped", flush=True)
""")


def test_a_sigterm_unwinds_the_bench_through_its_finally_blocks():
    bench = subprocess.Popen([sys.executable, "-c", BENCH], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert bench.stdout.readline().strip() == "started"
    bench.send_signal(signal.SIGTERM)
    out, _ = bench.communicate(timeout=30)
    assert out.strip() == "stack stopped"
    assert bench.returncode == 128 + signal.SIGTERM
