"""The native runner's watchdog: what compose's `restart: unless-stopped` does for containers.

`make demo` / `make up` start it (`python -m smart_shelf.runner watch`, logs/runner-watch.log). Every
few seconds it looks at each long-running service the user asked for (`up` marks it wanted, `down`
unmarks it first, so nothing is restarted while stopping): one that is no longer running is started
again after a pause that doubles with each recent restart (infrastructure on its own data: Redis
replays its AOF, Postgres recovers from its WAL, Kafka from its log). A service that needed
`GIVE_UP_AFTER` restarts within `WINDOW_SECONDS` is marked failed, with the last lines of its log,
and left alone until the next `up`. Restarts are counted per service and shown by `make status`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600.0
GIVE_UP_AFTER = 5
MAX_DELAY_SECONDS = 60.0
LAST_LINES = 20


@dataclass
class RestartRecord:
    """What the watchdog knows of one service, kept in <run_dir>/restarts/<name>.json."""

    restarts: int = 0
    recent: list[float] = field(default_factory=list)  # when it was restarted (epoch seconds)
    failed: bool = False
    last_lines: list[str] = field(default_factory=list)


def decide(record: RestartRecord, now: float, *, window: float = WINDOW_SECONDS, limit: int = GIVE_UP_AFTER,
           max_delay: float = MAX_DELAY_SECONDS) -> tuple[str, float]:  # fmt: skip
    """('restart', after how many seconds) for a service found dead, or ('give_up', 0): 1, 2, 4, ...
    seconds by the restarts within the window, until `limit` of them."""
    recent = [t for t in record.recent if now - t < window]
    if len(recent) >= limit:
        return "give_up", 0.0
    return "restart", min(max_delay, 2.0 ** len(recent))


class RestartBook:
    """The restart records and the wanted marks, as files under the run directory."""

    def __init__(self, run_dir: Path):
        self.records, self.wanted_dir = run_dir / "restarts", run_dir / "wanted"
        for folder in (self.records, self.wanted_dir):
            folder.mkdir(parents=True, exist_ok=True)

    def want(self, name: str) -> None:
        (self.wanted_dir / name).touch()
        self.save(name, RestartRecord())  # a fresh `up` forgets earlier failures

    def unwant(self, name: str) -> None:
        (self.wanted_dir / name).unlink(missing_ok=True)

    def wanted(self, name: str) -> bool:
        return (self.wanted_dir / name).exists()

    def load(self, name: str) -> RestartRecord:
        path = self.records / f"{name}.json"
        return RestartRecord(**json.loads(path.read_text())) if path.exists() else RestartRecord()

    def save(self, name: str, record: RestartRecord) -> None:
        path = self.records / f"{name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(record)))
        tmp.replace(path)


class Watchdog:
    def __init__(self, supervisor, *, window: float = WINDOW_SECONDS, limit: int = GIVE_UP_AFTER,
                 max_delay: float = MAX_DELAY_SECONDS, clock=time.time):  # fmt: skip
        self.supervisor, self.clock = supervisor, clock
        self.window, self.limit, self.max_delay = window, limit, max_delay
        self.book = supervisor.restarts
        self._due: dict[str, float] = {}

    def check_once(self) -> list[str]:
        """Look at every wanted service once; returns the names started again."""
        restarted = []
        for spec in self.supervisor.long_running():
            name = spec.name
            if not self.book.wanted(name) or self.supervisor.table.pid(name):
                self._due.pop(name, None)
                continue
            record = self.book.load(name)
            if record.failed:
                continue
            now = self.clock()
            if name not in self._due:
                action, delay = decide(
                    record, now, window=self.window, limit=self.limit, max_delay=self.max_delay
                )
                if action == "give_up":
                    self._give_up(name, record)
                    continue
                self._due[name] = now + delay
                log.warning(
                    "%s is not running; starting it again in %.0fs (restart %d)",
                    name,
                    delay,
                    record.restarts + 1,
                )
                continue
            if now < self._due[name]:
                continue
            del self._due[name]
            record.restarts += 1
            record.recent = [t for t in record.recent if now - t < self.window] + [now]
            self.book.save(name, record)
            try:
                self.supervisor.start_service(spec)
                log.info("%s started again (restart %d)", name, record.restarts)
                restarted.append(name)
            except Exception as exc:  # noqa: BLE001 - it is retried by the next round, with a longer pause
                log.error("%s did not start again: %s", name, exc)
        return restarted

    def _give_up(self, name: str, record: RestartRecord) -> None:
        path = self.supervisor.table.log_path(name)
        record.failed = True
        record.last_lines = (
            path.read_text(errors="replace").splitlines()[-LAST_LINES:] if path.exists() else []
        )
        self.book.save(name, record)
        log.error(
            "%s failed: %d restarts within %.0fs; left stopped until the next `make up`. Last lines of %s:\n%s",
            name, self.limit, self.window, path, "\n".join(record.last_lines),
        )  # fmt: skip

    def run(self, stopping, interval: float = 2.0) -> None:
        log.info("watching %d services", len(self.supervisor.long_running()))
        while not stopping():
            self.check_once()
            time.sleep(interval)
        log.info("stopped")
