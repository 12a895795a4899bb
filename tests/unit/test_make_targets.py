"""The README's commands are wired: `make demo` and `make test` run setup first, setup installs."""

import subprocess

from smart_shelf.paths import REPO_ROOT


def _dry_run(target: str) -> str:
    return subprocess.run(
        ["make", "-n", target], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_setup_runs_the_install_script():
    assert "conf/setup/install.sh" in _dry_run("setup")


def test_demo_sets_up_then_starts_everything():
    commands = _dry_run("demo")
    assert commands.index("conf/setup/install.sh") < commands.index("smart_shelf.runner up")


def test_test_sets_up_then_runs_every_tier():
    commands = _dry_run("test")
    assert commands.index("conf/setup/install.sh") < commands.index("pytest -n ")
    (pytest,) = [line for line in commands.splitlines() if " pytest " in line]
    assert pytest.endswith(" tests")  # every tier
