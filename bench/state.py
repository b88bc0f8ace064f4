"""CPU per unchanged account poll, engine-level, with the whole store on one SQLite file.

    python3 bench/state.py                        # 200 accounts x 50 events
    python3 bench/state.py --accounts 1000 --events 50 --polls 3
    python3 bench/state.py --profile              # and where the CPU of one cycle goes

Issue 14 asks that an unchanged account poll cost a few milliseconds of CPU however big the
store is. This builds ``--accounts`` accounts, each with an .ics calendar of ``--events``
interviews (half of them over, with their thank-you drafts waiting in a Maildir, half to come)
in one SQLite store, polls them all once (the first poll plans everything) and runs the due
work, then times unchanged poll cycles in this process: no network, no subprocess, so the
figure is the core's own work (the store, planning, reply checks) plus the local connectors'.

Prints the CPU ms and SQL statements per account poll of an unchanged cycle, and the first
cycle's figures for scale.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday


def ics_event(uid: str, start: datetime, summary: str, people: list[str], me: str) -> str:
    def t(v: datetime) -> str:
        return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    lines = [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART:{t(start)}",
        f"DTEND:{t(start + timedelta(hours=1))}",
        f"SUMMARY:{summary}",
        f"ORGANIZER;CN=Recruiter:mailto:{people[0]}",
    ]
    lines += [f"ATTENDEE;CN=Person {i};PARTSTAT=ACCEPTED:mailto:{p}" for i, p in enumerate(people)]
    lines += [f"ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:{me}", "END:VEVENT"]
    return "\r\n".join(lines)


def account_files(root: Path, n: int, events: int) -> str:
    """Account ``n``'s calendar and Maildir under ``root``; returns its config section."""
    me = f"user{n}@example.org"
    home = root / f"a{n}"
    (home / "cal").mkdir(parents=True)
    body = []
    for i in range(events):
        # Half over (the last ones within the thank-you's lateness), half to come.
        start = NOW + timedelta(hours=6 * (i - events // 2))
        company = f"company{i % 10}"
        people = [f"lead{i}@{company}.example", f"peer{i}@{company}.example"]
        summary = f"Interview: {company.title()} (Engineer {i})"
        body.append(ics_event(f"a{n}-ev{i}", start, summary, people, me))
    (home / "cal" / "interviews.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
        + "\r\n".join(body)
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    for folder in ("", ".Drafts/", ".Sent/"):
        for sub in ("cur", "new", "tmp"):
            (home / "mail" / f"{folder}{sub}").mkdir(parents=True, exist_ok=True)
    return f"""
[[accounts]]
name = "a{n}"
addresses = ["{me}"]
calendar = {{ provider = "ics", path = "{home / "cal"}" }}
mailbox = {{ provider = "maildir", path = "{home / "mail"}" }}
"""


def build(root: Path, accounts: int, events: int):  # noqa: ANN201 (the engine, its clock)
    from daemon import config as config_mod
    from daemon.clock import FrozenClock
    from daemon.running.accounts import connect_all
    from daemon.running.engine import Engine
    from daemon.store.database import open_store
    from daemon.writing.render import Renderer

    sections = "".join(account_files(root, n, events) for n in range(accounts))
    config_path = root / "config.toml"
    config_path.write_text(
        f"""
[daemon]
timezone = "UTC"
state_dir = "{root / "state"}"
database = "sqlite:///{root / "state.db"}"
sync_past = "30d"
sync_ahead = "90d"

[candidate]
name = "Bench Mark"
highlights = ["building payment systems"]

[days]
holidays = []
{sections}"""
    )
    config = config_mod.load(config_path)
    clock = FrozenClock(NOW)
    sessions = open_store(config.daemon.database)
    t, s = config.thank_you, config.status_inquiry
    engine = Engine(
        config,
        sessions,
        connect_all(config, clock, sessions),
        clock,
        Renderer(t.template, t.html_template, s.template, s.html_template),
    )
    return engine, clock


class Statements:
    """Counts the SQL statements the engine sends."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        from sqlalchemy import event

        self.count = 0
        event.listen(engine.sessions.kw["bind"], "before_cursor_execute", self._one)

    def _one(self, *_args: object) -> None:
        self.count += 1


def cycle(engine, statements: Statements) -> tuple[float, float, int]:  # noqa: ANN001
    """(CPU s, wall s, SQL statements) of one poll of every account."""
    before = statements.count
    cpu, wall = time.process_time(), time.perf_counter()
    engine.poll()
    return time.process_time() - cpu, time.perf_counter() - wall, statements.count - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--events", type=int, default=50, help="interviews per account")
    parser.add_argument("--polls", type=int, default=3, help="unchanged cycles timed")
    parser.add_argument("--profile", action="store_true", help="profile one unchanged cycle")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="followupd-state-bench-") as tmp:
        root = Path(tmp)
        engine, clock = build(root, args.accounts, args.events)
        statements = Statements(engine)
        n = args.accounts
        cpu, wall, sql = cycle(engine, statements)
        print(
            f"{n} accounts x {args.events} events, one SQLite store: first poll cycle "
            f"{wall:.1f} s wall, {cpu * 1000 / n:.1f} ms CPU and {sql / n:.0f} statements "
            "per account"
        )
        started = time.perf_counter()
        looked_at = engine.run_due()  # the due thank-yous become drafts that wait in Drafts
        print(f"due work: {looked_at} follow-ups in {time.perf_counter() - started:.1f} s")
        clock.advance(timedelta(minutes=5))
        cycle(engine, statements)  # the drafts' first check
        figures = []
        for _ in range(args.polls):
            clock.advance(timedelta(minutes=5))
            figures.append(cycle(engine, statements))
        best = min(figures)
        print(
            f"unchanged poll, per account: {best[0] * 1000 / n:.2f} ms CPU (best of "
            f"{args.polls}; all: {', '.join(f'{f[0] * 1000 / n:.2f}' for f in figures)}), "
            f"{best[2] / n:.1f} SQL statements; cycle {best[1]:.2f} s wall"
        )
        if args.profile:
            clock.advance(timedelta(minutes=5))
            profile = cProfile.Profile()
            profile.runcall(engine.poll)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
