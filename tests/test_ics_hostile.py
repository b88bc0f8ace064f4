"""The ics provider against the hostile and careless inputs of issue 9 (outside test campaign).

Real files in tmp_path, the real connector, real icalendar: no mocks of our own code. Each
test names the defect it guards against ("Was: ...").
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.ics import IcsCalendar, Limits
from daemon.clock import FrozenClock
from daemon.errors import ConnectorError
from daemon.protocols import AccountContext, CalendarChanges
from tests.test_ics_connector import calendar, write

WINDOW = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
ME = "me@example.com"

INTERVIEW = """
UID:interview-1@acme.example
SUMMARY:Interview with ACME
DTSTART:20250310T140000Z
DTEND:20250310T150000Z
ORGANIZER;CN=Rita Recruiter:mailto:rita@acme.example
ATTENDEE;CN=Me:mailto:me@example.com
ATTENDEE;CN=Bob Builder:mailto:bob@acme.example
"""


def context(tmp_path: Path) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=(ME,),
        state_dir=tmp_path / "state",
        clock=FrozenClock(datetime(2025, 3, 1, tzinfo=UTC)),
        timezone="Europe/Berlin",
    )


def sync(path: Path, tmp_path: Path, limits: Limits | None = None) -> CalendarChanges:
    return IcsCalendar(path, context(tmp_path), limits).changes(None, WINDOW)


# --------------------------------------------------------------------------------------------
# 11: FIFOs and other entries that are not regular files
# --------------------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_a_fifo_in_the_folder_is_reported_and_never_opened(tmp_path: Path) -> None:
    """Was: skipped without a word (and a FIFO that slipped past the check blocked forever)."""
    write(tmp_path, "cal/good.ics", calendar(INTERVIEW))
    os.mkfifo(tmp_path / "cal" / "pipe.ics")
    started = time.monotonic()
    changes = sync(tmp_path / "cal", tmp_path)
    assert time.monotonic() - started < 10
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert [(p.item, p.container, p.message, p.warning) for p in changes.problems] == [
        ("pipe.ics", "pipe.ics", "is a FIFO (named pipe); expected a regular .ics file", False)
    ]
    assert changes.complete is False  # whatever it held is unknown: nothing looks deleted
    check = IcsCalendar(tmp_path / "cal", context(tmp_path)).check()
    assert check.endswith("(skipped pipe.ics, which is a FIFO (named pipe))")


@pytest.mark.timeout(20)
def test_a_configured_path_that_is_a_fifo_is_a_clear_error(tmp_path: Path) -> None:
    """Was: "cannot be read", which sends the user looking at permissions."""
    pipe = tmp_path / "calendar.ics"
    os.mkfifo(pipe)
    source = IcsCalendar(pipe, context(tmp_path))
    expected = f"ics: {pipe} is a FIFO (named pipe); expected an .ics file or a folder of .ics"
    for call in (lambda: source.changes(None, WINDOW), source.check):
        with pytest.raises(ConnectorError) as caught:
            call()
        assert str(caught.value).startswith(expected)


@pytest.mark.timeout(20)
def test_a_file_replaced_by_a_fifo_after_the_listing_does_not_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: the daemon blocked for good in open(): the type was checked when the folder was
    listed, not when the file was opened, and a sync tool (or anyone) may swap the entry in
    between. The swap is made deterministic by doing it right after the real os.walk ends."""
    write(tmp_path, "cal/good.ics", calendar(INTERVIEW))
    swapped = write(tmp_path, "cal/swapped.ics", calendar(INTERVIEW.replace("interview-1", "x")))
    real_walk = os.walk

    def walk_then_swap(top: object, *args: object, **kwargs: object) -> Iterator[object]:
        yield from real_walk(top, *args, **kwargs)  # type: ignore[call-overload]
        swapped.unlink()
        os.mkfifo(swapped)

    monkeypatch.setattr(os, "walk", walk_then_swap)
    started = time.monotonic()
    changes = sync(tmp_path / "cal", tmp_path)
    assert time.monotonic() - started < 10
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    assert [(p.item, p.message) for p in changes.problems] == [
        ("swapped.ics", "is a FIFO (named pipe); expected a regular .ics file")
    ]


# --------------------------------------------------------------------------------------------
# 7: one bad byte must not turn a UTF-8 file into Windows-1252
# --------------------------------------------------------------------------------------------


def test_one_bad_byte_is_replaced_and_the_rest_stays_utf8(tmp_path: Path) -> None:
    """Was: the whole file decoded as cp1252: "Dear JÃ¼rgen", and a keyword with an umlaut
    ("Vorstellungsgespräch") no longer found."""
    body = INTERVIEW.replace("Interview with ACME", "Vorstellungsgespräch").replace(
        "Bob Builder", "Jürgen Müller"
    )
    data = calendar(body).encode("utf-8")
    data = data.replace(b"PRODID:-//followupd tests//EN", b"PRODID:-//followupd \xff tests//EN")
    path = write(tmp_path, "cal/work.ics", data)
    changes = sync(path.parent, tmp_path)
    [event] = changes.events
    assert event.title == "Vorstellungsgespräch"
    assert [a.name for a in event.attendees if not a.is_self] == ["Jürgen Müller"]
    assert [(p.item, p.container, p.warning, p.message) for p in changes.problems] == [
        (
            "work.ics",
            "work.ics",
            True,
            "1 byte at line 3 was not UTF-8 and was replaced by U+FFFD; expected a UTF-8 file"
            " (RFC 5545)",
        )
    ]
    assert changes.complete is True  # a warning: the events are all there


def test_bad_bytes_on_several_lines_are_counted_per_byte(tmp_path: Path) -> None:
    body = INTERVIEW.replace("Interview with ACME", "Interview über \xc3 \xff\xfe")
    data = calendar(body).encode("utf-8").replace(b"\xc3\x83 \xc3\xbf\xc3\xbe", b"\xc3 \xff\xfe")
    data = data.replace(b"DTEND:", b"X-NOTE:\x80\r\nDTEND:")
    path = write(tmp_path, "c.ics", data)
    changes = sync(path, tmp_path)
    assert [e.title for e in changes.events] == ["Interview über \ufffd \ufffd\ufffd"]
    assert [p.message for p in changes.problems] == [
        "4 bytes at lines 6 and 8 were not UTF-8 and were replaced by U+FFFD; expected a UTF-8"
        " file (RFC 5545)"
    ]


def test_a_file_that_is_not_utf8_at_all_is_read_as_windows_1252(tmp_path: Path) -> None:
    """A legacy export (no valid UTF-8 sequence anywhere) is still read right, silently."""
    body = INTERVIEW.replace("Interview with ACME", "Vorstellungsgespräch – Jürgen’s team")
    path = write(tmp_path, "c.ics", calendar(body).encode("cp1252"))
    changes = sync(path, tmp_path)
    assert [e.title for e in changes.events] == ["Vorstellungsgespräch – Jürgen’s team"]
    assert changes.problems == []


# --------------------------------------------------------------------------------------------
# 6: a broken ATTENDEE line is repaired or reported, never dropped silently
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name", "fault", "shown"),
    [
        (
            b'ATTENDEE;CN=Jane "JJ" Smith;ROLE=OPT-PARTICIPANT:mailto:Jane@acme.example',
            'Jane "JJ" Smith',
            "has a quote inside a parameter value",
            'ATTENDEE;CN=Jane "JJ" Smith;ROLE=OPT-PARTICIPANT:mailto:Jane@acme.example',
        ),
        (
            b'ATTENDEE;CN="Jane "JJ" Smith":mailto:jane@acme.example',
            'Jane "JJ" Smith',
            "has a quote inside a parameter value",
            'ATTENDEE;CN="Jane "JJ" Smith":mailto:jane@acme.example',
        ),
        (
            b"ATTENDEE;CN=Ja\x00ne Smith:mailto:jane@acme.example",
            "Jane Smith",
            "has a control character in a parameter",
            "ATTENDEE;CN=Ja\\x00ne Smith:mailto:jane@acme.example",
        ),
        (
            b'ATTENDEE;CN="Jane\r\nSmith":mailto:jane@acme.example',
            "Jane Smith",
            "has a line break inside a quoted parameter",
            'ATTENDEE;CN="Jane\\nSmith":mailto:jane@acme.example',
        ),
        (  # what is left of a fold "\r\n " that lost its "\n " (seen in real exports)
            b"ATTENDEE;PARTSTAT=DECLINED;CN=Jane \rSmith:mailto:jane@acme.example",
            "Jane Smith",
            "has a stray carriage return (CR) in a parameter",
            "ATTENDEE;PARTSTAT=DECLINED;CN=Jane \\x0dSmith:mailto:jane@acme.example",
        ),
    ],
    ids=["unescaped-quote", "quote-in-quotes", "nul", "raw-crlf", "raw-cr"],
)
def test_a_broken_attendee_line_is_recovered_with_a_warning(
    tmp_path: Path, line: bytes, name: str, fault: str, shown: str
) -> None:
    """Was: icalendar dropped the line, Jane got no thank-you and nothing said so."""
    data = calendar(INTERVIEW).encode().replace(b"ATTENDEE;CN=Me:", line + b"\r\nATTENDEE;CN=Me:")
    path = write(tmp_path, "cal/work.ics", data)
    changes = sync(path.parent, tmp_path)
    [event] = changes.events
    people = {a.email: a for a in event.attendees}
    assert sorted(people) == ["bob@acme.example", "jane@acme.example", ME]
    assert people["jane@acme.example"].name == name
    assert [(p.item, p.container, p.warning, p.message) for p in changes.problems] == [
        (
            'UID interview-1@acme.example ("Interview with ACME") ATTENDEE jane@acme.example',
            "work.ics",
            True,
            f"work.ics line 10: {shown} {fault}; read as {name} <jane@acme.example>; expected"
            ' ATTENDEE;CN="NAME":mailto:ADDRESS (RFC 5545)',
        )
    ]
    assert changes.complete is True


@pytest.mark.parametrize(
    "line",
    [  # folded at 75 octets as exporters fold them, inside a parameter and inside a name
        b"ATTENDEE;CN=Anna M\xc3\xbcller;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=AC\r\n"
        b" CEPTED:mailto:jane@acme.example",
        b'ATTENDEE;CN="Anna M\xc3\xbc\r\n ller";PARTSTAT=ACCEPTED:mailto:jane@acme.example',
        b"ATTENDEE;CN=Anna M\xc3\xbcller;PARTSTAT=ACCEPTED:mailto:jane@acme.exa\r\n\tmple",
    ],
    ids=["in-a-parameter", "in-a-quoted-name", "in-the-address-tab"],
)
def test_a_properly_folded_attendee_line_is_no_problem(tmp_path: Path, line: bytes) -> None:
    """Was: the CR of every CRLF fold stayed inside the unfolded line, so any folded ATTENDEE
    line that icalendar's quick check did not pass was "repaired" with a warning in status."""
    data = calendar(INTERVIEW).encode().replace(b"ATTENDEE;CN=Me:", line + b"\r\nATTENDEE;CN=Me:")
    changes = sync(write(tmp_path, "cal/work.ics", data).parent, tmp_path)
    [event] = changes.events
    people = {a.email: a for a in event.attendees}
    assert people["jane@acme.example"].name == "Anna Müller"
    assert changes.problems == []


def test_a_broken_organizer_line_is_recovered_too(tmp_path: Path) -> None:
    body = INTERVIEW.replace("ORGANIZER;CN=Rita Recruiter:", 'ORGANIZER;CN=Rita "R" Recruiter:')
    changes = sync(write(tmp_path, "c.ics", calendar(body)), tmp_path)
    [event] = changes.events
    assert event.organizer is not None
    assert (event.organizer.email, event.organizer.name) == (
        "rita@acme.example",
        'Rita "R" Recruiter',
    )
    assert [p.warning for p in changes.problems] == [True]


def test_an_attendee_line_without_a_readable_address_is_reported(tmp_path: Path) -> None:
    """Nothing to recover: the event is used without that attendee, and status names the event
    and the line, once per broken event of the file."""
    first = INTERVIEW.replace(
        "ATTENDEE;CN=Me:", 'ATTENDEE;CN=Jane "JJ" Smith:jane at acme\nATTENDEE;CN=Me:'
    )
    second = first.replace("interview-1", "interview-2").replace("with ACME", "with Initech")
    path = write(tmp_path, "work.ics", calendar(first, second))
    changes = sync(path, tmp_path)
    assert len(changes.events) == 2
    assert all([a.email for a in e.attendees] == [ME, "bob@acme.example"] for e in changes.events)
    assert [(p.item, p.container, p.warning, p.message) for p in changes.problems] == [
        (
            f'UID interview-{n}@acme.example ("Interview with {company}") line {line}',
            "work.ics",
            True,
            f'work.ics line {line}: ATTENDEE;CN=Jane "JJ" Smith:jane at acme has no readable'
            ' mailto: address and was skipped; expected ATTENDEE;CN="NAME":mailto:ADDRESS'
            " (RFC 5545)",
        )
        for n, company, line in ((1, "ACME", 10), (2, "Initech", 20))
    ]
    assert changes.complete is True  # both events are there; only an attendee is missing


# --------------------------------------------------------------------------------------------
# 3: an event without UID is identified by its meeting, not by its title or file
# --------------------------------------------------------------------------------------------

NO_UID = """
SUMMARY:Call
DTSTART;TZID=Europe/Berlin:20250310T100000
DTEND;TZID=Europe/Berlin:20250310T110000
ORGANIZER:mailto:rita@acme.example
ATTENDEE:mailto:bob@acme.example
ATTENDEE:mailto:Jane@ACME.example
ATTENDEE:mailto:me@example.com
"""


def only_id(path: Path, tmp_path: Path) -> str:
    changes = sync(path, tmp_path)
    [event] = changes.events
    assert changes.problems == []
    return event.id


def test_a_uid_less_event_keeps_its_id_when_retitled_or_its_file_renamed(tmp_path: Path) -> None:
    """Was: hashed from DTSTART, SUMMARY and the file name: a new identity, a second thank-you."""
    path = write(tmp_path, "cal/call.ics", calendar(NO_UID))
    original = only_id(tmp_path / "cal", tmp_path)
    assert original.startswith("noid-")
    path.write_text(calendar(NO_UID.replace("Call", "Interview with ACME")), newline="")
    path.rename(tmp_path / "cal" / "acme-interview.ics")
    assert only_id(tmp_path / "cal", tmp_path) == original
    # The same meeting written differently: the instant in UTC, addresses in another order/case.
    same = (
        NO_UID.replace(";TZID=Europe/Berlin:20250310T100000", ":20250310T090000Z")
        .replace("mailto:bob@acme.example", "mailto:JANE@acme.example")
        .replace("mailto:Jane@ACME.example", "mailto:BOB@acme.example")
    )
    assert only_id(write(tmp_path, "other/x.ics", calendar(same)), tmp_path) == original


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("20250310T100000\nDTEND", "20250310T103000\nDTEND"),  # another time
        ("ORGANIZER:mailto:rita@", "ORGANIZER:mailto:sam@"),  # another organizer
        ("ATTENDEE:mailto:bob@acme.example\n", ""),  # other people
    ],
    ids=["start", "organizer", "attendees"],
)
def test_a_uid_less_event_of_another_meeting_gets_another_id(
    tmp_path: Path, old: str, new: str
) -> None:
    first = only_id(write(tmp_path, "a.ics", calendar(NO_UID)), tmp_path)
    assert old in NO_UID
    assert only_id(write(tmp_path, "b.ics", calendar(NO_UID.replace(old, new))), tmp_path) != first


def test_the_same_uid_less_event_in_two_files_is_one_event(tmp_path: Path) -> None:
    """A saved invitation and an export of the same meeting: one identity, one event."""
    write(tmp_path, "cal/invite.ics", calendar(NO_UID))
    write(tmp_path, "cal/export.ics", calendar(NO_UID.replace("Call", "Interview")))
    changes = sync(tmp_path / "cal", tmp_path)
    assert len(changes.events) == 1 and changes.problems == []


# --------------------------------------------------------------------------------------------
# 5: a series that repeats more often than daily is no interview and costs nothing
# --------------------------------------------------------------------------------------------

TICK = """
UID:tick@spam.example
SUMMARY:Interview
DTSTART:20250301T000000Z
DURATION:PT1M
RRULE:FREQ=MINUTELY;UNTIL=20250320T000000Z
"""
DAILY = """
UID:daily@acme.example
SUMMARY:Interview loop with ACME
DTSTART:20250310T090000Z
DTEND:20250310T100000Z
RRULE:FREQ=DAILY;COUNT=3
ATTENDEE:mailto:bob@acme.example
"""


@pytest.mark.timeout(60)
def test_a_minutely_series_never_pushes_a_real_interview_out(tmp_path: Path) -> None:
    """Was: 5,000 instances of the MINUTELY series (within the rule-step budget: ~27,000 from
    DTSTART), the file's whole instance budget, and the real interviews after it dropped."""
    path = write(tmp_path, "work.ics", calendar(TICK, DAILY, INTERVIEW))
    started = time.monotonic()
    changes = sync(path, tmp_path)
    assert time.monotonic() - started < 10
    assert [e.id for e in changes.events] == [
        "daily@acme.example/2025-03-10T09:00:00Z",
        "interview-1@acme.example",
        "daily@acme.example/2025-03-11T09:00:00Z",
        "daily@acme.example/2025-03-12T09:00:00Z",
    ]
    assert [(p.item, p.container, p.warning, p.message) for p in changes.problems] == [
        (
            'UID tick@spam.example ("Interview")',
            "work.ics",
            True,
            'event UID tick@spam.example ("Interview") repeats every 1 minute; expected an'
            " interview, which does not recur more often than daily; not expanded",
        )
    ]


@pytest.mark.parametrize(
    ("rule", "every"),
    [
        ("FREQ=HOURLY;INTERVAL=4", "4 hours"),
        ("FREQ=DAILY;BYHOUR=9,17", "8 hours"),
        ("FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0,30", "30 minutes"),
        ("FREQ=SECONDLY;COUNT=999999999", "1 second"),
    ],
)
def test_every_sub_daily_rule_is_refused_unexpanded(tmp_path: Path, rule: str, every: str) -> None:
    tick = TICK.replace("FREQ=MINUTELY;UNTIL=20250320T000000Z", rule)
    changes = sync(write(tmp_path, "c.ics", calendar(tick, INTERVIEW)), tmp_path)
    assert [e.id for e in changes.events] == ["interview-1@acme.example"]
    [problem] = changes.problems
    assert f"repeats every {every}; expected an interview" in problem.message


def test_a_large_series_is_capped_alone(tmp_path: Path) -> None:
    """The cap is per series: a series over it never costs another series its instances."""
    standup = DAILY.replace("daily@", "standup@").replace("COUNT=3", "COUNT=300")
    path = write(tmp_path, "c.ics", calendar(standup, DAILY))
    changes = sync(path, tmp_path, Limits(max_instances=10))
    series = [e.series_id for e in changes.events]
    assert (series.count("standup@acme.example"), series.count("daily@acme.example")) == (10, 3)
    assert [p.item for p in changes.problems] == [
        'UID standup@acme.example ("Interview loop with ACME")'
    ]


def test_events_say_how_often_their_series_repeats(tmp_path: Path) -> None:
    """CalendarEvent.repeats_every: detection refuses series that repeat more often than daily."""
    weekly = DAILY.replace("daily@", "weekly@").replace(
        "DAILY;COUNT=3", "WEEKLY;BYDAY=MO,WE;COUNT=4"
    )
    moved = "UID:daily@acme.example\nRECURRENCE-ID:20250311T090000Z\nDTSTART:20250311T150000Z"
    path = write(tmp_path, "c.ics", calendar(DAILY, weekly, INTERVIEW, moved))
    changes = sync(path, tmp_path)
    assert changes.problems == []
    every = {(e.series_id or e.id, e.repeats_every) for e in changes.events}
    assert every == {
        ("daily@acme.example", timedelta(days=1)),  # the moved instance too
        ("weekly@acme.example", timedelta(days=2)),
        ("interview-1@acme.example", None),
    }
