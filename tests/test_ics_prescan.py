"""The prescan (connectors/ics/prescan.py) leaves out only what the full parse leaves out.

Every comparison reads the same items twice through :func:`connectors.ics.changes.read`: once
as the provider does (events certainly outside the window removed before icalendar parses
them) and once with ``prescan=False`` (every event parsed), and requires the same events, the
same problems (the same line numbers in them) and the same completeness. The inputs are the
shared corpus (skipped where absent) and generated calendars full of the cases that could
tell the two apart: all-day, floating and unknown-zone times, DURATION instead of DTEND, series
with UNTIL/COUNT/EXDATE and overrides moved into and out of the window, updates with a higher
SEQUENCE in the same or another file, folded lines, LF and CRLF, broken lines and events.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.ics import IcsCalendar, changes, prescan
from daemon.clock import FrozenClock
from daemon.protocols import AccountContext, CalendarChanges
from tests.conftest import corpus_files

FILES = corpus_files("ics")
ADDRESSES = frozenset({"me@example.org"})
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=60), NOW + timedelta(days=90))


def both(items: list[changes.Item], window=WINDOW, zone: str = "Europe/Berlin"):
    local = ZoneInfo(zone)
    fast = changes.read(items, window, local, ADDRESSES)
    full = changes.read(items, window, local, ADDRESSES, prescan=False)
    return fast, full


def assert_same(fast: CalendarChanges, full: CalendarChanges) -> None:
    assert [(e.id, e.start, e.end) for e in fast.events] == [
        (e.id, e.start, e.end) for e in full.events
    ]
    assert fast.events == full.events
    assert fast.problems == full.problems
    assert fast.complete == full.complete


def item(text: str, label: str = "cal.ics", newline: str = "\r\n") -> changes.Item:
    return changes.Item(label, text.replace("\n", newline).encode(), "Cal")


def calendar(*events: str, head: str = "") -> str:
    body = "\n".join(e.strip("\n") for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{head}{body}\nEND:VCALENDAR\n"


def event(uid: str | None, *lines: str, start: str | None = None, end: str | None = None) -> str:
    out = ["BEGIN:VEVENT"]
    if uid is not None:
        out.append(f"UID:{uid}")
    out += ["DTSTAMP:20260101T000000Z", "SUMMARY:Interview with ACME"]
    if start:
        out.append(start)
    if end:
        out.append(end)
    out += [
        "ORGANIZER;CN=Olga:mailto:olga@acme.example",
        "ATTENDEE;CN=Me;PARTSTAT=ACCEPTED:mailto:me@example.org",
        *lines,
        "END:VEVENT",
    ]
    return "\n".join(out)


def utc(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%SZ")


def local_time(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def day(value: datetime | date) -> str:
    return value.strftime("%Y%m%d")


# --- the corpus --------------------------------------------------------------------------------

CORPUS_WINDOWS = [
    (datetime(year, month, 1, tzinfo=UTC), datetime(year, month, 1, tzinfo=UTC) + timedelta(150))
    for year, month in ((2008, 1), (2019, 1), (2025, 9))
]


@pytest.mark.skipif(not FILES, reason="../shared/corpus is not present")
def test_corpus_reads_the_same_with_and_without_the_prescan() -> None:
    removed = 0
    for path in FILES:
        data = path.read_bytes()
        items = [changes.Item(path.name, data, "Corpus")]
        for window in CORPUS_WINDOWS:
            fast, full = both(items, window, "America/New_York")
            assert_same(fast, full)
        scan = prescan.prescan(data.decode("utf-8", "replace"), CORPUS_WINDOWS[0])
        removed += len(scan.skipped_uids)
    assert removed > 0  # the prescan did remove events of the corpus, so this compared something


# --- generated calendars -----------------------------------------------------------------------


def _random_event(rng: random.Random, n: int) -> list[str]:
    """One or more VEVENTs (a series comes with its overrides) around the window's edges."""
    edge = rng.choice([WINDOW[0], WINDOW[1], NOW])
    start = edge + timedelta(hours=rng.randrange(-24 * 30, 24 * 30))
    start = start.replace(minute=rng.choice([0, 30]), second=0)
    end = start + timedelta(minutes=rng.choice([0, 30, 60, 24 * 60 * 3]))
    uid = f"ev-{n}@test"
    kind = rng.randrange(16)
    if kind == 0:  # all day, with or without DTEND
        ends = [f"DTEND;VALUE=DATE:{day(end + timedelta(days=1))}"] if rng.random() < 0.5 else []
        return [event(uid, *ends, start=f"DTSTART;VALUE=DATE:{day(start)}")]
    if kind == 1:  # floating
        return [event(uid, start=f"DTSTART:{local_time(start)}", end=f"DTEND:{local_time(end)}")]
    if kind == 2:  # a zone nobody knows, and one that is known
        tz = rng.choice(
            ["Mars/Olympus", "Europe/Berlin", "W. Europe Standard Time", '"Asia/Tokyo"']
        )
        return [
            event(
                uid,
                start=f"DTSTART;TZID={tz}:{local_time(start)}",
                end=f"DTEND;TZID={tz}:{local_time(end)}",
            )
        ]
    if kind == 3:  # DURATION instead of DTEND
        span = rng.choice(["PT1H", "P1D", "P2W", "PT0S", "P", "-PT1H", "P1DT2H"])
        return [event(uid, f"DURATION:{span}", start=f"DTSTART:{utc(start)}")]
    if kind == 4:  # a weekly series with COUNT or UNTIL, an EXDATE, overrides moved around
        rule = rng.choice(
            [
                f"RRULE:FREQ=WEEKLY;COUNT={rng.randrange(2, 30)}",
                f"RRULE:FREQ=WEEKLY;UNTIL={utc(end + timedelta(weeks=8))}",
            ]
        )
        master = event(
            uid,
            rule,
            f"EXDATE:{utc(start + timedelta(weeks=2))}",
            start=f"DTSTART:{utc(start)}",
            end=f"DTEND:{utc(start + timedelta(hours=1))}",
        )
        out = [master]
        for week in (1, 3):
            original = start + timedelta(weeks=week)
            moved = original + timedelta(days=rng.choice([-120, -3, 0, 5, 150]))
            out.append(
                event(
                    uid,
                    f"RECURRENCE-ID:{utc(original)}",
                    "SEQUENCE:1",
                    start=f"DTSTART:{utc(moved)}",
                    end=f"DTEND:{utc(moved + timedelta(hours=1))}",
                )
            )
        rng.shuffle(out)
        return out
    if kind == 5:  # an update with a higher SEQUENCE moves the event into or out of the window
        other = start + timedelta(days=rng.choice([-200, 200, 0]))
        return [
            event(uid, "SEQUENCE:0", start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}"),
            event(uid, "SEQUENCE:2", start=f"DTSTART:{utc(other)}", end=f"DTEND:{utc(other)}"),
        ]
    if kind == 6:  # no UID
        return [event(None, start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}")]
    if kind == 7:  # ends before it starts: a problem that must stay
        return [
            event(uid, start=f"DTSTART:{utc(end)}", end=f"DTEND:{utc(start - timedelta(hours=1))}")
        ]
    if kind == 8:  # a date that does not exist, a time that is not one
        bad = rng.choice(["20250230T100000Z", "2025-01-01", "20250101T250000Z", "20250101T1000"])
        return [event(uid, start=f"DTSTART:{bad}", end=f"DTEND:{utc(end)}")]
    if kind == 9:  # a broken address line: its warning names the line
        broken = rng.choice(
            [
                'ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example',
                "ATTENDEE;X-KEY=a:b;CN=Jane:mailto:jane@acme.example",
                "ATTENDEE;CN=Jane",
            ]
        )
        return [event(uid, broken, start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}")]
    if kind == 10:  # a VALARM with its own DURATION and UID (Apple), or an e-mail alarm
        alarm = [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT15M",
            "DURATION:P400D",
            f"UID:alarm-{n}",
            "REPEAT:1",
            "END:VALARM",
        ]
        if rng.random() < 0.5:  # its address line gets a warning, which must stay
            alarm[1:2] = ["ACTION:EMAIL", 'ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example']
        return [event(uid, *alarm, start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}")]
    if kind == 11:  # lines in unusual forms: lower case, spaces, parameters, escapes
        form = rng.choice(
            [
                f"dtstart:{utc(start)}",
                f"DTSTART :{utc(start)}",
                f"DTSTART;X-FOO=1:{utc(start)}",
                f"DTSTART;VALUE=DATE:{utc(start)}",
                f"DTSTART;TZID=Europe/Berlin:{utc(start)}",
            ]
        )
        return [event(uid.replace("@", "\\,"), start=form, end=f"DTEND:{utc(end)}")]
    if kind == 12:  # DTEND in another zone than DTSTART
        return [
            event(
                uid,
                start=f"DTSTART;TZID=America/New_York:{local_time(start)}",
                end=f"DTEND;TZID=Asia/Tokyo:{local_time(start + timedelta(hours=2))}",
            )
        ]
    if kind == 13:  # RDATE, or an override of a series that is not in the file
        extra = rng.choice([f"RDATE:{utc(NOW)}", f"RECURRENCE-ID:{utc(start)}"])
        return [event(uid, extra, start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}")]
    if kind == 14:  # a long, folded line everywhere
        long = "DESCRIPTION:" + "word " * 40
        folded = "\n ".join(long[i : i + 70] for i in range(0, len(long), 70))
        attendee = 'ATTENDEE;CN="A very long name that has to be folded somewhere";PARTSTAT=ACCEPTED:mailto:long@acme.example'
        folded_attendee = attendee[:60] + "\n " + attendee[60:]
        dtstart = f"DTSTART:{utc(start)}"
        return [
            event(
                uid,
                folded,
                folded_attendee,
                start=dtstart[:10] + "\n " + dtstart[10:],
                end=f"DTEND:{utc(end)}",
            )
        ]
    return [event(uid, start=f"DTSTART:{utc(start)}", end=f"DTEND:{utc(end)}")]


@pytest.mark.parametrize("seed", range(6))
def test_generated_calendars_read_the_same(seed: int) -> None:
    rng = random.Random(seed)
    events = [text for n in range(60) for text in _random_event(rng, n)]
    rng.shuffle(events)
    head = rng.choice(["", "X-WR-TIMEZONE:America/Los_Angeles\n", "X-WR-CALNAME:Work\n"])
    newline = "\r\n" if seed % 2 else "\n"
    text = calendar(*events, head=head)
    # A second file that holds updates of some events of the first (a folder of invitations).
    updates = [
        e.replace("DTSTAMP:2026", "SEQUENCE:5\nDTSTAMP:2026") for e in events if rng.random() < 0.1
    ]
    items = [item(text, "a.ics", newline)]
    if updates and seed % 3 == 0:
        items.append(item(calendar(*updates), "b.ics", newline))
    fast, full = both(items, zone=rng.choice(["Europe/Berlin", "UTC"]))
    assert_same(fast, full)


def test_the_prescan_removes_events_outside_the_window() -> None:
    """Not vacuous: far events are removed, near ones and series kept."""
    far = NOW - timedelta(days=400)
    text = calendar(
        event("far", start=f"DTSTART:{utc(far)}", end=f"DTEND:{utc(far + timedelta(hours=1))}"),
        event("near", start=f"DTSTART:{utc(NOW)}", end=f"DTEND:{utc(NOW + timedelta(hours=1))}"),
        event("edge", start=f"DTSTART:{utc(WINDOW[0] - timedelta(days=3))}"),
        event("series", "RRULE:FREQ=WEEKLY", start=f"DTSTART:{utc(far)}"),
        event(  # Apple's alarms have a UID (and may have a DURATION) of their own
            "alarmed",
            "BEGIN:VALARM",
            "UID:alarm-1",
            "TRIGGER:-PT15M",
            "DURATION:P400D",
            "REPEAT:1",
            "ACTION:DISPLAY",
            "END:VALARM",
            start=f"DTSTART:{utc(far)}",
        ),
    )
    scan = prescan.prescan(text, WINDOW)
    assert scan.skipped_uids == {"far", "alarmed"}
    assert "UID:far" not in scan.text and "UID:edge" in scan.text and "UID:series" in scan.text


def test_an_update_in_another_file_keeps_the_event_it_replaces_out() -> None:
    """b.ics moves the interview out of the window with a higher SEQUENCE: the update is far
    outside (the prescan would remove it), so a.ics's copy must not be read as current."""
    far = NOW + timedelta(days=300)
    first = event("moved", "SEQUENCE:0", start=f"DTSTART:{utc(NOW)}", end=f"DTEND:{utc(NOW)}")
    update = event("moved", "SEQUENCE:3", start=f"DTSTART:{utc(far)}", end=f"DTEND:{utc(far)}")
    fast, full = both([item(calendar(first), "a.ics"), item(calendar(update), "b.ics")])
    assert_same(fast, full)
    assert fast.events == []


def test_a_warning_names_the_line_of_the_file_after_events_were_removed() -> None:
    far = NOW - timedelta(days=400)
    removed = [
        event(f"far-{n}", start=f"DTSTART:{utc(far)}", end=f"DTEND:{utc(far)}") for n in range(5)
    ]
    broken = event(
        "near",
        'ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example',
        start=f"DTSTART:{utc(NOW)}",
        end=f"DTEND:{utc(NOW)}",
    )
    text = calendar(*removed, broken)
    fast, full = both([item(text)])
    assert_same(fast, full)
    line = text.splitlines().index('ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example') + 1
    assert f"cal.ics line {line}:" in fast.problems[0].message
    assert prescan.prescan(text, WINDOW).skipped_uids  # lines were removed


def test_a_collection_item_outside_the_window_keeps_its_calendar_name(tmp_path: Path) -> None:
    """A folder's name names the calendar of a one-event file named after its UID; a file
    whose one event lies outside the window is named the same, so nothing else changes."""
    folder = tmp_path / "Work"
    folder.mkdir()
    far = NOW - timedelta(days=400)
    (folder / "far-1.ics").write_text(
        calendar(event("far-1", start=f"DTSTART:{utc(far)}", end=f"DTEND:{utc(far)}"))
    )
    (folder / "near-1.ics").write_text(
        calendar(event("near-1", start=f"DTSTART:{utc(NOW)}", end=f"DTEND:{utc(NOW)}"))
    )
    ctx = AccountContext(
        name="t",
        addresses=("me@example.org",),
        state_dir=tmp_path,
        clock=FrozenClock(NOW),
        timezone="UTC",
    )
    source = IcsCalendar(folder, ctx)
    names = {}
    from connectors.ics import reading

    for path in sorted(folder.iterdir()):
        parsed = reading.parse(path.read_bytes(), path.name, WINDOW)
        names[path.name] = source._calendar_name(path, parsed)
    assert names == {"far-1.ics": "Work", "near-1.ics": "Work"}
    found = source.changes(None, WINDOW)
    assert [e.calendar for e in found.events] == ["Work"]


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN:VEVENT\nUID:bare\nDTSTART:20200101T100000Z\nEND:VEVENT\n",  # no VCALENDAR
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20200101T100000Z\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nbegin:vevent\nUID:x\nDTSTART:20200101T100000Z\nend:vevent\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20200101T100000Z\nEND:VEVENT\n X\nEND:VCALENDAR\n",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART:20200101T100000Z\nEND:VEVENT\n",
    ],
    ids=["bare", "unclosed", "lower-case", "continued-end", "truncated"],
)
def test_an_unusual_structure_removes_nothing(text: str) -> None:
    assert prescan.prescan(text, WINDOW).text == text
    fast, full = both([item(text)])
    assert_same(fast, full)


# --- series wholly outside the window ----------------------------------------------------------


def _series_near_an_edge(rng: random.Random, n: int) -> list[str]:
    """A series (and maybe overrides) whose last or first instance lies near an edge of the
    window or of the prescan's bounds: plain rules it may judge and odd ones it must keep."""
    uid = f"series-{n}@test"
    # (DAILY;INTERVAL=7 with a BYDAY other than its own weekday matches no day: dateutil then
    # walks to the year 9999, in both reads; not what this test is about.)
    count, interval = rng.choice([1, 2, 5, 30]), rng.choice([1, 1, 2, 3])
    freq = rng.choice(["DAILY", "WEEKLY"])
    byday = rng.choice(["", ";BYDAY=MO", ";BYDAY=MO,WE,FR", ";BYDAY=SA,SU"])
    reach = timedelta(weeks=(count + 1) * interval)  # the prescan's latest start for COUNT
    edge = rng.choice([WINDOW[0] - reach, WINDOW[0], WINDOW[1], WINDOW[0] - timedelta(days=400)])
    start = edge + timedelta(hours=rng.randrange(-24 * 20, 24 * 20))
    start = start.replace(minute=0, second=0)
    style = rng.randrange(4)
    if style == 0:
        when, end = f"DTSTART:{utc(start)}", f"DTEND:{utc(start + timedelta(hours=1))}"
        until = utc(start + timedelta(days=rng.choice([0, 10, 90])))
    elif style == 1:
        tz = rng.choice(["Europe/Berlin", "America/New_York", "Mars/Olympus"])
        when = f"DTSTART;TZID={tz}:{local_time(start)}"
        end = f"DTEND;TZID={tz}:{local_time(start + timedelta(hours=1))}"
        until = utc(start + timedelta(days=rng.choice([0, 10, 90])))
    elif style == 2:  # floating
        when, end = f"DTSTART:{local_time(start)}", "DURATION:PT45M"
        until = local_time(start + timedelta(days=rng.choice([0, 10, 90])))
    else:  # all day
        when, end = f"DTSTART;VALUE=DATE:{day(start)}", ""
        until = day(start + timedelta(days=rng.choice([0, 10, 90])))
    ends = rng.choice(
        [
            f"COUNT={count}",
            f"UNTIL={until}",
            f"UNTIL={utc(start - timedelta(days=1))}",  # before DTSTART
            f"COUNT={count};UNTIL={until}",
            "COUNT=1500",
            "",  # endless
        ]
    )
    plain = rng.random() < 0.6  # a series the prescan may judge: it must judge it right
    rules = [
        f"RRULE:FREQ={freq};INTERVAL={interval}{byday};{ends}",
        f"RRULE:FREQ={freq}{byday};{ends};WKST=SU",
    ]
    if not plain:
        rules += [
            f"RRULE:FREQ=MONTHLY;{ends}",
            f"RRULE:FREQ=HOURLY;{ends}",
            f"RRULE:FREQ={freq};BYDAY=1MO;{ends}",
            f"RRULE:FREQ={freq};INTERVAL=0;{ends}",
            f"RRULE;X-P=1:FREQ={freq};{ends}",
        ]
    rule = rng.choice(rules).replace(";;", ";").rstrip(";")
    extras = [[], [when.replace("DTSTART", "EXDATE", 1)]]
    if not plain:
        extras += [
            [f"EXDATE:{utc(start + timedelta(days=7))}"],
            [f"EXDATE;TZID=Europe/Berlin:{local_time(start)},{local_time(start)}"],
            [f"EXDATE;VALUE=DATE:{day(start)}"],
            [f"RDATE:{utc(NOW)}"],
            ["EXDATE:not-a-date"],
        ]
    extra = rng.choice(extras)
    out = [event(uid, rule, *extra, *([end] if end else []), start=when)]
    for week in rng.sample([0, 1, 2], rng.randrange(3)):
        original = start + timedelta(weeks=week)
        moved = original + timedelta(days=rng.choice([0, 2, 120, -120, 200]))
        rid = f"RECURRENCE-ID:{utc(original)}"
        if not plain and rng.random() < 0.3:
            rid = f"RECURRENCE-ID;RANGE=THISANDFUTURE:{utc(original)}"
        out.append(
            event(
                uid,
                rid,
                "SEQUENCE:1",
                start=f"DTSTART:{utc(moved)}",
                end=f"DTEND:{utc(moved + timedelta(hours=1))}",
            )
        )
    if rng.random() < 0.05:  # an update of the series with a higher SEQUENCE
        out.append(out[0].replace("DTSTAMP:", "SEQUENCE:4\nDTSTAMP:"))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_generated_series_read_the_same(seed: int) -> None:
    rng = random.Random(seed)
    events = [text for n in range(40) for text in _series_near_an_edge(rng, n)]
    rng.shuffle(events)
    head = rng.choice(["", "X-WR-TIMEZONE:America/Los_Angeles\n"])
    fast, full = both(
        [item(calendar(*events, head=head))], zone=rng.choice(["Europe/Berlin", "UTC"])
    )
    assert_same(fast, full)


def test_a_series_wholly_outside_the_window_is_removed_with_its_overrides() -> None:
    """Not vacuous: a series that ended long before the window goes, with its overrides, and
    so does one that starts after it; a series with an override moved into the window, an
    endless one and a monthly one stay."""
    far = NOW - timedelta(days=400)
    late = WINDOW[1] + timedelta(days=30)
    reach = WINDOW[0] - timedelta(weeks=12) + timedelta(days=1)

    def series(uid: str, rule: str, begins: datetime, *overrides: datetime) -> list[str]:
        out = [
            event(
                uid,
                rule,
                f"EXDATE:{utc(begins + timedelta(weeks=1))}",
                start=f"DTSTART:{utc(begins)}",
                end=f"DTEND:{utc(begins + timedelta(hours=1))}",
            )
        ]
        for moved in overrides:
            out.append(
                event(
                    uid,
                    f"RECURRENCE-ID:{utc(begins + timedelta(weeks=2))}",
                    start=f"DTSTART:{utc(moved)}",
                    end=f"DTEND:{utc(moved + timedelta(hours=1))}",
                )
            )
        return out

    text = calendar(
        *series("ended", "RRULE:FREQ=WEEKLY;COUNT=10", far, far + timedelta(days=20)),
        *series("until", "RRULE:FREQ=DAILY;BYDAY=MO,TU;UNTIL=" + utc(far + timedelta(30)), far),
        *series("later", "RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3", late),
        *series("moved-in", "RRULE:FREQ=WEEKLY;COUNT=10", far, NOW),
        *series("endless", "RRULE:FREQ=WEEKLY", far),
        *series("monthly", "RRULE:FREQ=MONTHLY;COUNT=2", far),
        # Its 5th instance, 12 weeks after DTSTART, is in the window: COUNT counts intervals.
        *series("spaced", "RRULE:FREQ=WEEKLY;INTERVAL=3;COUNT=5", reach),
        # An unreadable EXDATE is a problem the full parse reports.
        event(
            "bad-exdate",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "EXDATE:not-a-date",
            start=f"DTSTART:{utc(far)}",
        ),
        # THISANDFUTURE moves the instances after the override too (RFC 5545 3.8.4.4): such a
        # series is left to the full parse.
        *series("future", "RRULE:FREQ=WEEKLY;COUNT=10", far),
        event(
            "future",
            f"RECURRENCE-ID;RANGE=THISANDFUTURE:{utc(far + timedelta(weeks=8))}",
            start=f"DTSTART:{utc(far + timedelta(weeks=7))}",
            end=f"DTEND:{utc(far + timedelta(weeks=7, hours=1))}",
        ),
    )
    scan = prescan.prescan(text, WINDOW)
    assert scan.skipped_uids == {"ended", "until", "later"}
    for kept in ("moved-in", "endless", "monthly", "spaced", "bad-exdate", "future"):
        assert f"UID:{kept}" in scan.text
    fast, full = both([item(text)])
    assert_same(fast, full)
    assert {e.id.split("/")[0] for e in fast.events} == {"moved-in", "endless", "spaced"}
    assert any("EXDATE" in p.message for p in fast.problems)
