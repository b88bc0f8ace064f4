"""followupd's speed and memory figures, measured on the real CLI in subprocesses.

    python3 bench/bench.py            # all figures
    python3 bench/bench.py --events 5000

Prints, for the targets of the core issue:

- ``run --once`` on a calendar of N interviews (default 1,000): wall time, cold and warm;
- start-up: time from exec to READY=1 on a real sd_notify socket; best-of-5 wall time and
  import time of ``--version`` and of ``run --once`` on the demo (nothing due: start-up only);
- idle: CPU seconds used over a quiet window after start, and RSS;
- punctuality: how long after its due time a thank-you draft appears with a 1 h poll interval.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

FOLLOWUPD = [sys.executable, "-m", "daemon"]
ROOT = Path(__file__).resolve().parent.parent


def ics_event(uid: str, start: datetime, minutes: int, summary: str, people: list[str]) -> str:
    def t(v: datetime) -> str:
        return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{t(start)}",
        f"DTEND:{t(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{summary}",
        f"ORGANIZER;CN=Organizer:mailto:{people[0]}",
    ]
    lines += [f"ATTENDEE;CN=Person {i};PARTSTAT=ACCEPTED:mailto:{p}" for i, p in enumerate(people)]
    lines += ["ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.org", "END:VEVENT"]
    return "\r\n".join(lines)


def setup(root: Path, events: int, poll: str = "5m") -> Path:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    body = []
    for i in range(events):
        start = now + timedelta(hours=(i % 2000) - 1000)
        kind = "Interview" if i % 3 else "Team sync"
        people = [f"a{i}@company{i % 97}.example", f"b{i}@company{i % 97}.example"]
        body.append(ics_event(f"ev-{i}", start, 60, f"{kind} {i} with Company{i % 97}", people))
    (root / "cal").mkdir(parents=True)
    (root / "cal" / "big.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
        + "\r\n".join(body)
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    for folder in ("cur", "new", "tmp", ".Drafts/cur", ".Drafts/new", ".Drafts/tmp"):
        (root / "mail" / folder).mkdir(parents=True, exist_ok=True)
    config = root / "config.toml"
    config.write_text(
        f"""
[daemon]
state_dir = "state"
timezone = "UTC"
poll_interval = "{poll}"
sync_past = "60d"
sync_ahead = "90d"

[candidate]
name = "Bench Mark"

[[accounts]]
name = "bench"
addresses = ["me@example.org"]
calendar = {{ provider = "ics", path = "cal" }}
mailbox = {{ provider = "maildir", path = "mail" }}
"""
    )
    return config


def run_once(config: Path, *extra: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one ``run --once`` (``extra``: its flags).

    CPU time is the figure to compare on a busy machine, where wall time includes waiting for
    the other processes.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [*FOLLOWUPD, "--config", str(config), "run", "--once", *extra],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def copy_seconds(config: Path) -> float:
    """How long the dry run's private copy of the state takes (daemon/running/snapshot.py)."""
    from daemon import config as config_mod
    from daemon.running.snapshot import snapshot

    loaded = config_mod.load(config)
    started = time.perf_counter()
    with snapshot(loaded):
        taken = time.perf_counter() - started
    return taken


def _best_wall(args: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def _import_ms(args: list[str]) -> float:
    """Total import time of a command, in ms: the top-level entries of ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args[1:]], check=True, capture_output=True, text=True
    )
    total = 0
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):
                total += int(cumulative)
    return total / 1000


def startup_figures(root: Path, runs: int = 5) -> dict[str, tuple[float, float]]:
    """(best wall time in s, import time in ms) of commands whose cost is mostly start-up."""
    subprocess.run([*FOLLOWUPD, "init", "--demo", str(root)], check=True, capture_output=True)
    once = [*FOLLOWUPD, "--config", str(root / "config.toml"), "run", "--once"]
    subprocess.run(once, check=True, capture_output=True)  # drafts what the demo has due
    commands = {"--version": [*FOLLOWUPD, "--version"], "run --once on the demo": once}
    return {name: (_best_wall(args, runs), _import_ms(args)) for name, args in commands.items()}


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def daemon_figures(root: Path, idle_seconds: float) -> dict[str, float]:
    config = setup(root, 20, poll="1h")
    sock_path = root / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*FOLLOWUPD, "--config", str(config), "run"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            data = sock.recv(4096).decode()
            if "READY=1" in data:
                ready = time.perf_counter() - started
                break
        time.sleep(3)  # let the first poll finish
        cpu_before = _proc_cpu(proc.pid)
        time.sleep(idle_seconds)
        idle_cpu = _proc_cpu(proc.pid) - cpu_before
        rss = _proc_rss_mb(proc.pid)

        # Punctuality: an interview whose thank-you falls due in ~15 s, with a 1 h poll interval.
        # The daemon only learns of it at a poll, so restart it (as a config change would).
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        end = datetime.now(UTC) + timedelta(seconds=15) - timedelta(hours=1)
        event = ics_event(
            "due-soon",
            end - timedelta(hours=1),
            60,
            "Interview with Initech",
            ["x@initech.example"],
        )
        text = (
            (root / "cal" / "big.ics")
            .read_text()
            .replace("END:VCALENDAR", event + "\r\nEND:VCALENDAR")
        )
        (root / "cal" / "big.ics").write_text(text, newline="")
        due = end + timedelta(hours=1)
        proc = subprocess.Popen(
            [*FOLLOWUPD, "--config", str(config), "run"], env=env, stderr=subprocess.DEVNULL
        )
        drafts = root / "mail" / ".Drafts" / "cur"
        deadline = time.time() + 120
        late = float("nan")
        while time.time() < deadline:
            if any("initech" in p.read_text(errors="replace") for p in drafts.iterdir()):
                late = (datetime.now(UTC) - due).total_seconds()
                break
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        stop_started = time.perf_counter()
        proc.wait(timeout=30)
        stop = time.perf_counter() - stop_started
        sock.close()
    return {"ready": ready, "idle_cpu": idle_cpu, "rss": rss, "late": late, "stop": stop}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle measurement")
    args = parser.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        config = setup(Path(tmp) / "once", args.events)
        cold, cold_cpu = run_once(config)
        warm, warm_cpu = run_once(config)
        print(
            f"run --once, {args.events} events: first run {cold:.2f} s ({cold_cpu:.2f} s CPU), "
            f"unchanged calendar {warm:.2f} s ({warm_cpu:.2f} s CPU) (target < 5 s); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        dry, dry_cpu = run_once(config, "--dry-run")
        copy = copy_seconds(config)
        size = (config.parent / "state" / "state.db").stat().st_size / 1e6
        print(
            f"run --once --dry-run, same state ({size:.1f} MB database): {dry:.2f} s "
            f"({dry_cpu:.2f} s CPU), of which the copy of the state {copy * 1000:.0f} ms"
        )
        shutil.rmtree(Path(tmp) / "once")
        startup = startup_figures(Path(tmp) / "demo")
        figures = daemon_figures(Path(tmp) / "daemon", args.idle)
    for name, (wall, imports) in startup.items():
        print(f"start-up, {name}: {wall:.2f} s best of 5 ({imports:.0f} ms of imports)")
    print(f"start to READY=1: {figures['ready']:.2f} s (target < 1.5 s)")
    print(
        f"idle CPU over {args.idle:.0f} s: {figures['idle_cpu']:.2f} s; RSS {figures['rss']:.1f} MB (target < 80 MB)"
    )
    print(
        f"thank-you draft created {figures['late']:.1f} s after its due time with a 1 h poll interval (target < 60 s)"
    )
    print(f"SIGTERM to exit: {figures['stop']:.2f} s")


if __name__ == "__main__":
    main()
