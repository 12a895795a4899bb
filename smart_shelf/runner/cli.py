"""`smart-shelf up|down|status|logs|reset`: the commands behind make demo, down, status, logs, reset."""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys

from smart_shelf.logs import configure_logging
from smart_shelf.runner.supervisor import WATCHDOG, Supervisor
from smart_shelf.settings import SettingsError, get_settings, load_dotenv

log = logging.getLogger("smart_shelf.runner")


def _print_status(supervisor: Supervisor) -> int:
    rows = supervisor.status()
    print(f"{'SERVICE':<28}{'STATE':<11}{'HEALTH':<11}{'PID':>8}{'RSS MiB':>10}{'RESTARTS':>10}")
    for row in rows:
        rss = f"{row.rss_mib:.0f}" if row.rss_mib else "-"
        print(f"{row.name:<28}{row.state:<11}{row.health:<11}{row.pid or '-':>8}{rss:>10}{row.restarts:>10}")
    watchdog = supervisor.table.pid(WATCHDOG)
    print(f"\nwatchdog: {f'running (pid {watchdog})' if watchdog else 'not running'}")
    for row in rows:
        record = supervisor.restarts.load(row.name)
        if row.state == "failed" and record.last_lines:
            print(f"\n{row.name} failed after {record.restarts} restarts; last lines of its log:")
            print("\n".join(f"  {line}" for line in record.last_lines))
    kafka = next((r for r in rows if r.name == "kafka"), None)
    if kafka and kafka.health == "healthy":
        from smart_shelf.kafka_client import consumer_group_lag, make_admin

        admin = make_admin(supervisor.settings, deadline_seconds=10)
        try:
            lag = consumer_group_lag(supervisor.settings, admin)
        finally:
            admin.close()
        print("\nCONSUMER GROUP LAG")
        if not lag:
            print("  (no consumer groups yet)")
        for group, topics in lag.items():
            detail = (
                ", ".join(f"{topic}={n}" for topic, n in sorted(topics.items())) or "no committed offsets"
            )
            print(f"  {group}: {detail}")
    connect = next((r for r in rows if r.name == "kafka-connect"), None)
    broken_connectors = _print_connectors(supervisor) if connect and connect.health == "healthy" else []
    unhealthy = [r.name for r in rows if r.state in ("running", "external") and r.health != "healthy"]
    failed = [r.name for r in rows if r.state == "failed"]
    return 1 if unhealthy or failed or broken_connectors else 0


def _print_connectors(supervisor: Supervisor) -> list[str]:
    """Each connector's and task's state, with the first line of a failure's trace; the failed ones."""
    from smart_shelf.connect.client import ConnectClient

    client = ConnectClient(supervisor.settings.kafka_connect_url)
    print("\nKAFKA CONNECT")
    names = sorted(client.names())
    if not names:
        print("  (no connectors registered: make up S=connect-init)")
    failed = []
    for name in names:
        state = client.state(name)
        print(f"  {name:<28}{state.summary()}")
        if state.failed:
            failed.append(name)
            print(f"    {state.trace.splitlines()[0] if state.trace else 'no trace'}")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smart-shelf", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start services (default: all) and wait until healthy")
    up.add_argument("services", nargs="*")
    down = sub.add_parser("down", help="stop what the runner started, keeping data")
    down.add_argument("services", nargs="*")
    sub.add_parser("status", help="state, health, memory and consumer lag of every service")
    logs = sub.add_parser("logs", help="follow logs/<service>.log")
    logs.add_argument("service")
    logs.add_argument("-n", "--lines", default="100")
    run = sub.add_parser("exec", help="run one infrastructure service in the foreground (containers)")
    run.add_argument("service")
    sub.add_parser("reset", help="stop everything and wipe data, Delta tables, checkpoints and logs")
    sub.add_parser("watch", help="the watchdog: start again the services that exit (make up starts it)")
    args = parser.parse_args(argv)

    load_dotenv()
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    supervisor = Supervisor(settings)

    if args.command == "up":
        supervisor.up(args.services or None)
        supervisor.ensure_watchdog()
        return _print_status(supervisor)
    if args.command == "watch":
        from smart_shelf.runner.watch import Watchdog
        from smart_shelf.service import StopSignal

        stop = StopSignal()
        Watchdog(supervisor).run(lambda: stop.requested)
        return 0
    if args.command == "down":
        supervisor.down(args.services or None)
        return 0
    if args.command == "status":
        return _print_status(supervisor)
    if args.command == "logs":
        path = supervisor.table.log_path(args.service)
        if not path.exists():
            print(f"no log yet for {args.service} ({path})", file=sys.stderr)
            return 1
        return subprocess.call(["tail", "-n", args.lines, "-F", str(path)])
    if args.command == "exec":
        return supervisor.exec_foreground(args.service)
    if args.command == "reset":
        supervisor.reset()
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
