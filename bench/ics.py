"""A first ``run --once`` on one big .ics calendar: CPU seconds and peak RSS of the real CLI.

    python3 bench/ics.py                      # 10,000 and 50,000 events
    python3 bench/ics.py --events 10000 --runs 3
    python3 bench/ics.py --write /tmp/big.ics --events 10000   # only write the calendar

The calendar looks like a few years of a real export: most events (about 84 %) lie outside
the sync window (60 days back, 90 ahead), some recur (weekly and daily rules with COUNT or
UNTIL, EXDATEs) and have overrides (RECURRENCE-ID, some moved into or out of the window),
times are in VTIMEZONE-defined zones, UTC, floating or all-day, and events have attendees.

Each run is a fresh state folder and a subprocess of ``python -m daemon run --once``; CPU is
user + system of that child (``resource.getrusage(RUSAGE_CHILDREN)``), memory its peak RSS
(``ru_maxrss`` of a child that ran alone). A second ``run --once`` on the unchanged file is
printed too. Target (issue 14): 10,000 events in <= 3 s CPU and <= 120 MB.

The runs use compiled bytecode, as an installed followupd does (pip compiles it at install):
where PYTHONDONTWRITEBYTECODE is set (as in this project's dev containers), every run would
otherwise compile followupd's ~140 modules from source, about 0.3 s CPU that no user pays.
The bytecode goes to a temporary PYTHONPYCACHEPREFIX, written by a small warm-up run;
``--source`` measures with PYTHONDONTWRITEBYTECODE as it is.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

FOLLOWUPD = [sys.executable, "-m", "daemon"]
ROOT = Path(__file__).resolve().parent.parent

_VTIMEZONES = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""

_ZONES = {"Europe/Berlin": 1, "America/New_York": -5}  # rough offsets, for writing local times
_PAST_DAYS, _AHEAD_DAYS = 800, 140  # the calendar's span around now; the window is 60 + 90


def _utc(v: datetime) -> str:
    return v.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 folding at 75 octets (ASCII here), as exporters write long lines."""
    if len(line) <= 75:
        return line
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def _times(rng: random.Random, start: datetime, minutes: int) -> list[str]:
    """DTSTART/DTEND in one of the styles real files use."""
    end = start + timedelta(minutes=minutes)
    style = rng.random()
    if style < 0.45:
        return [f"DTSTART:{_utc(start)}", f"DTEND:{_utc(end)}"]
    if style < 0.85:
        tz = rng.choice(list(_ZONES))
        shift = timedelta(hours=_ZONES[tz])
        fmt = "%Y%m%dT%H%M%S"
        return [
            f"DTSTART;TZID={tz}:{(start + shift).strftime(fmt)}",
            f"DTEND;TZID={tz}:{(end + shift).strftime(fmt)}",
        ]
    if style < 0.92:  # floating, with a DURATION instead of DTEND
        return [f"DTSTART:{start.strftime('%Y%m%dT%H%M%S')}", f"DURATION:PT{minutes}M"]
    day = start.date()
    return [
        f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
    ]


def _event(rng: random.Random, i: int, start: datetime, extra: list[str]) -> list[str]:
    company = f"Company{i % 97}"
    kind = rng.choice(["Interview", "Interview", "Team sync", "Lunch", "1:1", "Dentist"])
    people = [f"a{i}@company{i % 97}.example", f"b{i}@company{i % 97}.example"]
    lines = [
        "BEGIN:VEVENT",
        f"UID:ev-{i}@bench.example",
        "DTSTAMP:20260101T000000Z",
        "SEQUENCE:0",
        *_times(rng, start, rng.choice([30, 45, 60, 90])),
        f"SUMMARY:{kind} {i} with {company}",
        f"DESCRIPTION:Notes for event {i}: "
        + "agenda, dial-in details and a long line that exporters fold " * 2,
        f"LOCATION:Room {i % 40}, {company} HQ",
        "STATUS:CONFIRMED",
        f'ORGANIZER;CN="Organizer {i}":mailto:{people[0]}',
    ]
    lines += [
        f'ATTENDEE;CN="Person {n}";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:{p}'
        for n, p in enumerate(people)
    ]
    lines += ["ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.org", *extra]
    lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM", "END:VEVENT"]
    return [_fold(line) for line in lines]


def calendar(events: int, now: datetime, seed: int = 14) -> str:
    """The text of a calendar of ``events`` VEVENTs (overrides count as events)."""
    rng = random.Random(seed)
    span = (_PAST_DAYS + _AHEAD_DAYS) * 24
    out = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followupd//bench ics//EN",
        "X-WR-CALNAME:Bench",
        _VTIMEZONES.replace("\n", "\r\n"),
    ]
    i = 0
    while i < events:
        start = now + timedelta(hours=rng.randrange(span) - _PAST_DAYS * 24)
        start = start.replace(minute=rng.choice([0, 15, 30, 45]))
        if rng.random() < 0.03 and i + 3 <= events:  # a weekly series and two overrides
            count = rng.choice([10, 20, 52])
            rule = (
                f"RRULE:FREQ=WEEKLY;COUNT={count}"
                if rng.random() < 0.5
                else f"RRULE:FREQ=WEEKLY;UNTIL={_utc(start + timedelta(weeks=count))}"
            )
            exdate = f"EXDATE:{_utc(start + timedelta(weeks=2))}"
            # Master and overrides use UTC so the override's RECURRENCE-ID matches exactly.
            master = _event(rng, i, start, [rule, exdate])
            master = [line for line in master if not line.startswith(("DTSTART", "DTEND", "DUR"))]
            master.insert(4, f"DTEND:{_utc(start + timedelta(hours=1))}")
            master.insert(4, f"DTSTART:{_utc(start)}")
            out += master
            for week, moved in ((1, timedelta(days=rng.randrange(-200, 200))), (3, timedelta(0))):
                original = start + timedelta(weeks=week)
                new = original + moved + timedelta(hours=2)
                override = _event(rng, i, new, [f"RECURRENCE-ID:{_utc(original)}"])
                override = [
                    line for line in override if not line.startswith(("DTSTART", "DTEND", "DUR"))
                ]
                override.insert(4, f"DTEND:{_utc(new + timedelta(hours=1))}")
                override.insert(4, f"DTSTART:{_utc(new)}")
                out += [line.replace("SEQUENCE:0", "SEQUENCE:1") for line in override]
            i += 3
            continue
        if rng.random() < 0.01:  # a daily stand-up that ends
            out += _event(rng, i, start, ["RRULE:FREQ=DAILY;COUNT=30;BYDAY=MO,TU,WE,TH,FR"])
        else:
            out += _event(rng, i, start, [])
        i += 1
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


def setup(root: Path, events: int) -> Path:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    (root / "cal").mkdir(parents=True)
    (root / "cal" / "big.ics").write_text(calendar(events, now), newline="")
    for folder in ("cur", "new", "tmp", ".Drafts/cur", ".Drafts/new", ".Drafts/tmp"):
        (root / "mail" / folder).mkdir(parents=True, exist_ok=True)
    config = root / "config.toml"
    config.write_text(
        """
[daemon]
state_dir = "state"
timezone = "Europe/Berlin"
poll_interval = "5m"
sync_past = "60d"
sync_ahead = "90d"

[candidate]
name = "Bench Mark"

[[accounts]]
name = "bench"
addresses = ["me@example.org"]
calendar = { provider = "ics", path = "cal" }
mailbox = { provider = "maildir", path = "mail" }
"""
    )
    return config


def run_once(config: Path) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS in MB of one ``run --once``.

    ``ru_maxrss`` of RUSAGE_CHILDREN is the largest of all children so far, so each measured
    run is the first child of a fresh interpreter (see :func:`_measure`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [*FOLLOWUPD, "--config", str(config), "run", "--once"],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss / 1024


def _measure(config: Path) -> tuple[float, float]:
    """One run in a child interpreter of its own, so ru_maxrss is this run's alone."""
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(config)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, action="append", help="default: 10000 and 50000")
    parser.add_argument("--runs", type=int, default=1, help="first runs per size (median)")
    parser.add_argument("--write", type=Path, help="only write the calendar to this file")
    parser.add_argument(
        "--source", action="store_true", help="no bytecode cache: compile modules in every run"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        cpu, rss = run_once(args.measure)
        print(f"{cpu:.3f} {rss:.1f}")
        return
    with contextlib.ExitStack() as stack:
        if not args.source:
            _compiled(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        _bench(args)


def _compiled(cache: Path) -> None:
    """Children read (and write) bytecode under ``cache``: a warm-up run fills it."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    run_once(setup(cache / "warm-up", 10))


def _bench(args: argparse.Namespace) -> None:
    sizes = args.events or [10_000, 50_000]
    if args.write:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        args.write.write_text(calendar(sizes[0], now), newline="")
        return
    print(
        f"{'events':>8} {'MB file':>8} {'first CPU s':>12} {'first RSS MB':>13}"
        f" {'unchanged CPU s':>16} {'unchanged RSS MB':>17}"
    )
    for events in sizes:
        firsts = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                config = setup(Path(tmp) / "ics", events)
                size = (config.parent / "cal" / "big.ics").stat().st_size / 1e6
                firsts.append(_measure(config))
                again = _measure(config)
        cpu = sorted(f[0] for f in firsts)[len(firsts) // 2]
        rss = sorted(f[1] for f in firsts)[len(firsts) // 2]
        print(
            f"{events:>8,} {size:>8.1f} {cpu:>12.2f} {rss:>13.0f} {again[0]:>16.2f}"
            f" {again[1]:>17.0f}"
        )
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores;"
        " target: 10,000 events <= 3 s CPU, <= 120 MB"
    )


if __name__ == "__main__":
    main()
