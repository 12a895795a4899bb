"""Start, find and stop local processes by PID file; each writes logs/<service>.log."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this user (Postgres refuses to run as root)


class ProcessTable:
    """PID files under <run_dir>/pids, exit codes of one-shot services under <run_dir>/exits."""

    def __init__(self, run_dir: Path, log_dir: Path):
        self.pids = run_dir / "pids"
        self.exits = run_dir / "exits"
        self.log_dir = log_dir
        for folder in (self.pids, self.exits, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """The PID of a running service, or None (stale PID files are removed)."""
        path = self.pids / f"{name}.pid"
        if not path.exists():
            return None
        pid = int(path.read_text().strip() or 0)
        if pid and _alive(pid):
            return pid
        path.unlink(missing_ok=True)
        return None

    def exit_code(self, name: str) -> int | None:
        path = self.exits / f"{name}.exit"
        return int(path.read_text()) if path.exists() else None

    def start(self, name: str, launch: Launch) -> int:
        with self.log_path(name).open("ab") as out:
            out.write(
                f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} starting {name}\n".encode()
            )
            out.flush()
            proc = subprocess.Popen(
                launch.argv,
                cwd=launch.cwd,
                env={**os.environ, **launch.env},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() signals the whole tree
                user=launch.user,
            )
        (self.pids / f"{name}.pid").write_text(str(proc.pid))
        (self.exits / f"{name}.exit").unlink(missing_ok=True)
        return proc.pid

    def run_to_completion(self, name: str, launch: Launch, timeout: float) -> int:
        pid = self.start(name, launch)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = _reap(pid)
            if code is not None:
                (self.pids / f"{name}.pid").unlink(missing_ok=True)
                (self.exits / f"{name}.exit").write_text(str(code))
                return code
            time.sleep(0.2)
        self.stop(name)
        raise TimeoutError(f"{name} did not finish within {timeout:.0f}s; see {self.log_path(name)}")

    def stop(self, name: str, timeout: float = 30.0) -> bool:
        """SIGTERM the service's process group, SIGKILL after `timeout`; True if it was running."""
        pid = self.pid(name)
        if pid is None:
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(pid):
            _reap(pid)
            time.sleep(0.2)
        if _alive(pid):
            log.warning("%s did not stop within %.0fs; killing it", name, timeout)
            _signal_group(pid, signal.SIGKILL)
            time.sleep(0.5)
            _reap(pid)
        (self.pids / f"{name}.pid").unlink(missing_ok=True)
        return True


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process and its descendants, in MiB (Linux /proc)."""
    total_kib = 0
    for proc in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024 if total_kib else None


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _reap(pid: int) -> int | None:
    """Exit code if `pid` is our child and has exited; None while it runs (or is not our child)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None if _alive(pid) else 0
    if done == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)
