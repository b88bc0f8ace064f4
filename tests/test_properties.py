"""Properties of the code that turns strangers' text into drafts and reads hostile files.

Event titles, attendee names, .ics files and e-mails come from people the user does not control.
Each property below is a ``check_*`` function over one generated input and a strategy that
generates it; the tests are thin ``@given`` wrappers, and ``bench/fuzz.py`` runs the same
checks for a fixed time. Example counts are per property for the "ci" profile (see
tests/hypothesis_profiles.py); the real libraries and real files are used throughout.
"""

from __future__ import annotations

import dataclasses
import mailbox
import os
import re
from datetime import UTC, date, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import CI, ENV, examples

from connectors.ics import IcsCalendar
from connectors.maildir.connector import MaildirMailbox
from daemon.autoreply import MAX_AHEAD, auto_reply_reason, is_auto_reply, return_date
from daemon.clock import FrozenClock
from daemon.errors import BadItem
from daemon.message import (
    build_message,
    display_name,
    draft_message_id,
    header_text,
    is_message_id_of,
    key_value,
    one_line,
)
from daemon.protocols import (
    KEY_HEADER,
    AccountContext,
    Address,
    CalendarChanges,
    DraftRef,
    DraftRequest,
    DraftStatus,
    ReplyTarget,
)

# ============================================================================================
# Text that people and programs put where we do not expect it
# ============================================================================================

FRAGMENTS = [
    "\r\nBcc: x@evil.test",
    "\r\n",
    "\r",
    "\n",
    "\x00",
    "\t",
    " ",
    "  ",
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\ufeff",  # zero-width no-break space / BOM
    "\u2028",
    "\x85",
    "\udcff",  # a surrogate-escaped undecodable byte
    "<script>alert(1)</script>",
    "<b>bold</b>",
    "{{ 7*7 }}",
    "{% for x in y %}",
    "jаne@аcme.com",  # Cyrillic а
    "=?utf-8?q?=0D=0ABcc:_x@evil.test?=",
    "=?utf-8?b?DQpCY2M6IHhAZXZpbC50ZXN0?=",
    "=?",
    "?=",
    '"',
    "\\",
    ",",
    ";",
    ":",
    "<",
    ">",
    "(",
    ")",
    "@",
    "é",
    "Zoë Ärger-Łukasz",
    "😀",
    "中文",
    "x" * 120,
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12
).map("".join)
short_text = st.one_of(st.text(max_size=60), hostile_text)
long_text = st.one_of(
    st.text(min_size=300, max_size=1200),
    st.lists(st.sampled_from(FRAGMENTS), min_size=40, max_size=120).map("".join),
)


def test_the_ci_profile_is_deterministic_and_writes_nothing() -> None:
    """``python3 -m pytest`` must give the same verdict on every run and machine."""
    if os.environ.get(ENV, CI) != CI:
        pytest.skip(f"{ENV}={os.environ[ENV]} chose another profile")
    assert settings.default.derandomize is True
    assert settings.default.database is None
    assert settings.default.deadline is None
    assert examples(120) == 120


# ============================================================================================
# 1. The MIME builder
# ============================================================================================

_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_LOCAL = st.lists(st.text(_ATEXT, min_size=1, max_size=8), min_size=1, max_size=3).map(".".join)
_LABEL = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10),
    st.sampled_from(["аcme", "gооgle", "müller", "例え", "xn--mller-kva", "a-b"]),  # IDN
)
emails = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    _LOCAL,
    st.lists(_LABEL, min_size=1, max_size=3),
    st.sampled_from(["com", "de", "test", "рф"]),
)
addresses = st.builds(Address, emails, st.one_of(st.none(), short_text))


def requests(text: st.SearchStrategy[str] = short_text) -> st.SearchStrategy[DraftRequest]:
    return st.builds(
        DraftRequest,
        key=text,
        sender=addresses,
        to=st.lists(addresses, min_size=1, max_size=3).map(tuple),
        subject=text,
        text=text,
        html=st.one_of(st.none(), text),
        reply_to=st.one_of(
            st.none(),
            st.builds(
                ReplyTarget,
                message_id=st.one_of(st.just("<sent.1@mail.example>"), text),
                references=st.lists(
                    st.one_of(st.just("<root@mail.example>"), text), max_size=3
                ).map(tuple),
            ),
        ),
        message_id=st.one_of(st.none(), st.just("<k3y@followupd.invalid>"), text),
    )


_ALLOWED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}
_LINE_BREAK = re.compile(r"[\r\n]")
_FOLD_SAFE = 150  # flattened values this short are never folded, so never lose a space


def wire_address(email: str) -> str:
    """The address as it must appear on the wire: a non-ASCII domain in its IDNA form."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain if domain.isascii() else domain.encode('idna').decode('ascii')}"


def body_as_read(text: str) -> str:
    """What a reader gets back for a text part: surrogates replaced, CRLF/CR read as LF, a final
    line break added (the email package writes text parts line by line)."""
    text = re.sub(r"\r\n|\r", "\n", re.sub(r"[\ud800-\udfff]", "\ufffd", text))
    return text if text.endswith("\n") else text + "\n"


def _same_text(read: str, given: str, limit: int) -> None:
    """A header read back is the flattened input; only a space at a fold may be lost (CPython)."""
    flat = one_line(given, limit)
    if "=?" in given:  # encoded-words in the input are decoded: see daemon.message
        return
    if len(flat) <= _FOLD_SAFE:
        assert read == flat
    else:
        assert read.replace(" ", "") == flat.replace(" ", "")


def check_message(request: DraftRequest) -> None:
    msg = build_message(request, date=datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    for raw in (msg.as_bytes(), msg.as_string().encode("utf-8")):
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert parsed.defects == []
        assert {name.lower() for name in parsed} <= _ALLOWED_HEADERS
        for name in ("From", "To", "Subject", "Message-ID"):
            assert len(parsed.get_all(name) or []) == 1, name
        assert KEY_HEADER not in parsed  # nothing a recipient receives names followupd
        assert "Bcc" not in parsed and "Cc" not in parsed

        [sender] = parsed["From"].addresses
        assert sender.addr_spec == wire_address(request.sender.email)
        assert sender.display_name == display_name(request.sender.name or "")
        recipients = parsed["To"].addresses
        assert [a.addr_spec for a in recipients] == [wire_address(a.email) for a in request.to]
        assert [a.display_name for a in recipients] == [
            display_name(a.name or "") for a in request.to
        ]
        for a in request.to:
            _same_text(display_name(a.name or ""), a.name or "", 300)

        subject = str(parsed["Subject"])
        assert subject == header_text(request.subject, 998, "subject")
        _same_text(subject, request.subject, 998)
        for value in (subject, str(parsed["Message-ID"])):
            assert not _LINE_BREAK.search(value) and "\x00" not in value and "\u202e" not in value
        # The deterministic Message-ID a mailbox finds the draft by, whatever the request gave.
        assert parsed["Message-ID"] == draft_message_id(request)
        assert is_message_id_of(str(parsed["Message-ID"]), request.key)
        if request.reply_to is not None:
            assert parsed["In-Reply-To"] == header_text(
                request.reply_to.message_id, 998, "in-reply-to"
            )

        if request.html:
            assert parsed.get_content_type() == "multipart/alternative"
            parts = list(parsed.iter_parts())
            assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
            assert parts[1].get_content() == body_as_read(request.html)
        else:
            assert parsed.get_content_type() == "text/plain"
        plain = parsed.get_body(preferencelist=("plain",))
        assert plain is not None
        assert plain.get_content() == body_as_read(request.text)


@settings(max_examples=examples(120))
@given(requests())
def test_built_message_reads_back_exactly(request: DraftRequest) -> None:
    check_message(request)


@settings(max_examples=examples(12))
@given(requests(long_text))
def test_built_message_with_long_values_reads_back(request: DraftRequest) -> None:
    check_message(request)


address_texts = st.one_of(
    st.text(max_size=40),
    emails,
    st.lists(
        st.one_of(
            emails,
            _LOCAL,
            st.sampled_from(
                [
                    "@",
                    "<",
                    ">",
                    ",",
                    " ",
                    '"',
                    "(c)",
                    "\r\n",
                    "\x00",
                    ".",
                    "..",
                    "[1.2.3.4]",
                    "x@evil.test",
                    "=?utf-8?q?a?=",
                    "\u202e",
                    "jаne",
                    "аcme.com",
                    "müller.de",
                ]
            ),
        ),
        max_size=6,
    ).map("".join),
)


def check_address(email: str) -> None:
    """An address is written exactly as given (IDNA for the domain) or refused with BadItem."""
    request = DraftRequest(
        key="k", sender=Address("me@example.org"), to=(Address(email, "X"),), subject="s", text="t"
    )
    try:
        msg = build_message(request)
    except BadItem as err:
        assert err.item == repr(email)
        assert err.message == "expected an e-mail address like name@example.com"
        return
    parsed = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    [recipient] = parsed["To"].addresses
    assert recipient.addr_spec == wire_address(email)
    assert recipient.addr_spec.isascii() and recipient.username.isascii()


@settings(max_examples=examples(300))
@given(address_texts)
def test_addresses_are_written_exactly_or_refused_as_bad_items(email: str) -> None:
    check_address(email)


# ============================================================================================
# 2. The ICS calendar source
# ============================================================================================

ICS_SEEDS = [
    b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//followupd tests//EN
X-WR-CALNAME:Jobs
BEGIN:VTIMEZONE
TZID:Custom Zone
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:interview-1@acme.example
DTSTAMP:20250201T120000Z
DTSTART;TZID=Europe/Berlin:20250310T140000
DTEND;TZID=Europe/Berlin:20250310T150000
SUMMARY:Interview with ACME
DESCRIPTION:Second round\\, bring the slides\\nRoom 4
ORGANIZER;CN=Jane Doe:mailto:jane@acme.example
ATTENDEE;CN="Bob";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@acme.example
ATTENDEE;CUTYPE=ROOM;CN=Room 4:mailto:room4@acme.example
CATEGORIES:Interview,Jobs
SEQUENCE:1
END:VEVENT
BEGIN:VEVENT
UID:weekly@acme.example
DTSTAMP:20250201T120000Z
DTSTART;TZID="Custom Zone":20250303T100000
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=5;BYDAY=MO
EXDATE;TZID="Custom Zone":20250310T100000
SUMMARY:Weekly sync
END:VEVENT
BEGIN:VEVENT
UID:weekly@acme.example
RECURRENCE-ID;TZID="Custom Zone":20250317T100000
DTSTART;TZID="Custom Zone":20250317T153000
DTEND;TZID="Custom Zone":20250317T163000
SUMMARY:Weekly sync (moved)
END:VEVENT
BEGIN:VEVENT
UID:allday
DTSTART;VALUE=DATE:20250305
RRULE:FREQ=DAILY;UNTIL=20250308
RDATE;VALUE=DATE:20250320
SUMMARY:Offsite
STATUS:CANCELLED
END:VEVENT
""",
    b"""BEGIN:VCALENDAR
VERSION:2.0
METHOD:REQUEST
X-WR-TIMEZONE:America/New_York
BEGIN:VEVENT
UID:g@google.com
SEQUENCE:2
DTSTART:20250310T170000Z
DTEND:20250310T180000Z
SUMMARY:Google
LOCATION:Online
X-FOLLOWUPD:on
END:VEVENT
BEGIN:VEVENT
SUMMARY:No uid
DTSTART;TZID=W. Europe Standard Time:20250311T090000
RRULE:FREQ=HOURLY;INTERVAL=5;COUNT=10
END:VEVENT
""",
]
# The last event of every seed. Damage to the lines of the other events must never lose it.
SENTINEL = b"""BEGIN:VEVENT
UID:sentinel@followupd.test
DTSTAMP:20250201T120000Z
DTSTART;TZID=Europe/Berlin:20250601T100000
DTEND;TZID=Europe/Berlin:20250601T110000
SUMMARY:Sentinel
ATTENDEE;CN=Sam:mailto:sam@acme.example
END:VEVENT
END:VCALENDAR
"""
ICS_SEEDS = [(seed + SENTINEL).replace(b"\n", b"\r\n") for seed in ICS_SEEDS]
ICS_WINDOW = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC))
ICS_VALUES = [
    b"",
    b"99991231T235959Z",
    b"00010101",
    b"00000101",
    b"20251332T250000",
    b"20250229",
    b"FREQ=SECONDLY;COUNT=999999999",
    b"FREQ=YEARLY;COUNT=2147483648",
    b"FREQ=MINUTELY;BYSECOND=" + b",".join(str(i).encode() for i in range(60)),
    b"FREQ=DAILY;UNTIL=00010101",
    b"FREQ=DAILY;UNTIL=99991231T235959Z",
    b"FREQ=WEEKLY;BYDAY=XX",
    b"FREQ=FOO",
    b"FREQ=DAILY;INTERVAL=0",
    b"FREQ=DAILY;COUNT=-1",
    b"FREQ=MONTHLY;BYMONTHDAY=31,-31;BYSETPOS=1,-1",
    b"P99999999W",
    b"-PT1H",
    b"PT",
    b"mailto:",
    b"Mars/Olympus_Mons",
    b"/freeassociation.sourceforge.net/Europe/Berlin",
    b"Customized Time Zone",
    b"+5328",
    b"99999999999999999999",
    b"\xff\xfe\x00",
    b"\xc3",
    b"\\",
    b";",
    b'"',
    b"=?utf-8?q?=0D=0A?=",
]
ICS_NAMES = [
    b"DTSTART",
    b"DTEND",
    b"DTSTART;TZID=Mars/Olympus_Mons",
    b"DTSTART;TZID=Custom Zone",
    b"DTSTART;VALUE=DATE",
    b"RRULE",
    b"EXDATE",
    b"RDATE",
    b"DURATION",
    b"RECURRENCE-ID",
    b"RECURRENCE-ID;RANGE=THISANDFUTURE",
    b"UID",
    b"SEQUENCE",
    b"TZID",
    b"TZOFFSETFROM",
    b"ATTENDEE;CN=x",
    b"ORGANIZER",
    b"DTSTAMP",
    b"STATUS",
    b"CATEGORIES",
]
ics_values = st.one_of(st.sampled_from(ICS_VALUES), st.binary(max_size=24))


@st.composite
def mutated(
    draw: st.DrawFn,
    seeds: list[bytes],
    names: list[bytes],
    values: st.SearchStrategy[bytes],
) -> bytes:
    """A seed file after 1-6 mutations anywhere: byte flips, truncation, duplicated, dropped
    or inserted lines, ``name:value`` lines whose value or name is replaced by an odd one."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        lines = bytes(data).splitlines(keepends=True)
        if not lines:
            break
        op = draw(st.sampled_from(["flip", "truncate", "dup", "drop", "value", "name", "insert"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "flip":
            j = draw(st.integers(0, len(data) - 1))
            data[j] ^= draw(st.integers(1, 255))
            continue
        if op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
            continue
        if op == "dup":
            lines.insert(i, lines[i])
        elif op == "drop":
            del lines[i]
        elif op in ("value", "name"):
            name = lines[i].split(b":", 1)[0] if op == "value" else draw(st.sampled_from(names))
            lines[i] = name + b":" + draw(values) + b"\r\n"
        else:
            lines.insert(i, draw(st.binary(max_size=40)) + b"\r\n")
        data = bytearray(b"".join(lines))
    return bytes(data)


def mutated_calendars(seeds: list[bytes] | None = None) -> st.SearchStrategy[bytes]:
    return mutated(seeds or ICS_SEEDS, ICS_NAMES, ics_values)


def _structure(data: bytes) -> list[bytes]:
    return [
        line.strip().upper()
        for line in data.splitlines()
        if line.strip().upper().startswith((b"BEGIN:", b"END:"))
    ]


@st.composite
def damaged_calendars(draw: st.DrawFn) -> bytes:
    """A seed whose components before the sentinel have damaged property lines; every
    BEGIN/END line and the sentinel itself are left as they were."""
    seed = draw(st.sampled_from(ICS_SEEDS))
    lines = seed.splitlines(keepends=True)
    stop = seed[: seed.index(b"UID:sentinel")].count(b"\n") - 1  # the sentinel's BEGIN line
    depth, inside = 0, []
    for i, line in enumerate(lines[:stop]):
        upper = line.strip().upper()
        if upper.startswith(b"BEGIN:"):
            depth += 1
        elif upper.startswith(b"END:"):
            depth -= 1
        elif depth >= 2:
            inside.append(i)
    for _ in range(draw(st.integers(1, 5))):
        i = draw(st.sampled_from(inside))
        op = draw(st.sampled_from(["flip", "dup", "drop", "value", "name"]))
        line = lines[i]
        if op == "flip":
            if len(line) > 2:  # a dropped line stays dropped
                j = draw(st.integers(0, len(line) - 3))
                line = line[:j] + bytes([line[j] ^ draw(st.integers(1, 255))]) + line[j + 1 :]
        elif op == "dup":
            line = line + line
        elif op == "drop":
            line = b""
        else:
            name = line.split(b":", 1)[0] if op == "value" else draw(st.sampled_from(ICS_NAMES))
            value = draw(ics_values).replace(b"\r", b"").replace(b"\n", b"")
            line = name + b":" + value + b"\r\n"
        lines[i] = line
    data = b"".join(lines)
    assume(_structure(data) == _structure(seed))
    return data


def calendar_context(root: Path) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=("me@example.com",),
        state_dir=root / "state",
        clock=FrozenClock(datetime(2025, 3, 1, tzinfo=UTC)),
        timezone="Europe/Berlin",
    )


def check_ics(data: bytes, folder: Path) -> CalendarChanges:
    """Whatever the bytes, ``changes`` answers: events, and Problems that say what was expected."""
    path = folder / "calendar.ics"
    path.write_bytes(data)
    source = IcsCalendar(path, calendar_context(folder))
    changes = source.changes(None, ICS_WINDOW)
    assert isinstance(changes, CalendarChanges)
    for problem in changes.problems:
        assert problem.container == path.name and problem.item
        assert "expected" in problem.message, problem
    assert changes.complete == all(problem.warning for problem in changes.problems)
    for event in changes.events:
        assert event.id and isinstance(event.title, str)
        assert event.start.tzinfo is not None and event.end.tzinfo is not None
        assert event.start <= event.end
    again = source.changes(changes.cursor, ICS_WINDOW)  # the same bytes: nothing changed
    assert (again.events, again.cursor) == ([], changes.cursor)
    return changes


@pytest.fixture(scope="module")
def ics_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ics")


@settings(max_examples=examples(150))
@given(data=mutated_calendars())
def test_ics_mutations_give_events_and_problems_never_exceptions(
    ics_folder: Path, data: bytes
) -> None:
    check_ics(data, ics_folder)


def check_sentinel(data: bytes, folder: Path) -> None:
    changes = check_ics(data, folder)
    # The instance cap is per series: a damaged rule can no longer push the sentinel out.
    found = [e for e in changes.events if e.id == "sentinel@followupd.test"]
    assert len(found) == 1, changes.problems
    [event] = found
    assert (event.title, event.start, event.end) == (
        "Sentinel",
        datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
        datetime(2025, 6, 1, 9, 0, tzinfo=UTC),
    )
    assert [a.email for a in event.attendees] == ["sam@acme.example"]


@settings(max_examples=examples(120))
@given(data=damaged_calendars())
def test_ics_damage_to_one_event_never_loses_another(ics_folder: Path, data: bytes) -> None:
    check_sentinel(data, ics_folder)


# ============================================================================================
# 3. The Maildir mailbox
# ============================================================================================

ME = "me@example.org"
KEY = "followupd:personal:0123456789abcdef:jane@acme.com:thank-you:0"
SENT_ID = "<sent.1@laptop.example.org>"
HEADER_NAMES = [
    b"From",
    b"To",
    b"Subject",
    b"Date",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    KEY_HEADER.encode(),
    b"Auto-Submitted",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Return-Path",
    b"Precedence",
    b"MIME-Version",
    b"From ",  # an mbox separator line
    b"",
    b" ",
]
HEADER_VALUES = [
    b"Jane <jane@acme.com>",
    b"jane@acme.com",
    b'"Jane\r\nBcc: x@evil.test" <jane@acme.com>',
    b"=?utf-8?q?Jane=0D=0ABcc:_x@evil.test?= <jane@acme.com>",
    b"=?utf-8?q?=0D=0ABcc:_x@evil.test?=",
    b"=?utf-8?b?DQpCY2M6IHhAZXZpbC50ZXN0?=",
    b"=?utf-8?q?jane=40acme.com?=",
    b"(comment) jane@acme.com (x)",
    b"jane@acme.com>, <x@evil.test>",
    b"mailer-daemon@acme.com",
    b"<a@b>",
    SENT_ID.encode(),
    b"<=?utf-8?q?=0D=0A?=@x>",
    b"Fri, 31 Dec 9999 23:59:59 +9999",
    b"Mon, 1 Jan 0001 00:00:00 -9999",
    b"Tue, 30 Feb 2026 25:61:61 +0000",
    b"Thu, 1 Jan 2026 10:00:00 +0100",
    KEY.encode(),
    b"=?utf-8?q?" + KEY.encode().replace(b":", b"=3A") + b"?=",
    b"auto-replied",
    b"multipart/report; boundary=x",
    b'multipart/mixed; boundary="b"',
    b"text/plain; charset=x-unknown",
    b"text/html; charset=utf-8",
    b"base64",
    b"quoted-printable",
    b"<>",
    b"",
    b"a\x00b",
    b"\x00" * 8,
    b"\xff\xfe\xc3(",
    b"\tfolded",
    b"=?unknown-8bit?q?=FF?=",
    b"jane@acme.com " + b"y " * 50_000,  # a 100 KB header line
    b"=?utf-8?q?" + b"a" * 100_000 + b"?=",
]
BODIES = [
    b"",
    b"--b\r\nContent-Type: text/plain\r\n\r\nI am back on Monday.\r\n--b--\r\n",
    b"--b\r\nContent-Type: text/html; " + b"a=b; " * 2000 + b"\r\n\r\n<p>x</p>\r\n--b--\r\n",
    b"=FF=0D=0A",
    b"I am out of office until 12/03. =?utf-8?q?x?=",
]
LINE_ENDS = [b"\r\n", b"\n", b"\r", b"\n\r"]


@st.composite
def hostile_messages(draw: st.DrawFn) -> bytes:
    lines = [
        draw(st.sampled_from(HEADER_NAMES))
        + b": "
        + draw(st.one_of(st.sampled_from(HEADER_VALUES), st.binary(max_size=30)))
        for _ in range(draw(st.integers(0, 10)))
    ]
    end = draw(st.sampled_from(LINE_ENDS))
    body = draw(st.one_of(st.sampled_from(BODIES), st.binary(max_size=200)))
    return end.join(lines) + end + end + body


MAIL_SEEDS = [
    b"""From: Jane Doe <jane@acme.com>\r
To: me@example.org\r
Subject: Automatic reply: Thank you\r
Date: Fri, 20 Nov 2026 16:00:00 +0100\r
Message-ID: <r1@acme.com>\r
In-Reply-To: <sent.1@laptop.example.org>\r
References: <root@example.org> <sent.1@laptop.example.org>\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/alternative; boundary="b1"\r
\r
--b1\r
Content-Type: text/plain; charset=utf-8\r
Content-Transfer-Encoding: quoted-printable\r
\r
I am out of the office until 3 December and back on Monday, the 7th.=0D=0A\r
--b1\r
Content-Type: text/html; charset=utf-8\r
\r
<p>Back on <b>Monday</b></p><script>x()</script>\r
--b1--\r
""",
    b"""From: =?utf-8?q?J=C3=B6rg?= <joerg@acme.com>\n"""
    + KEY_HEADER.encode()
    + b""": followupd:personal:0123456789abcdef:jane@acme.com:thank-you:0\n"""
    + b"""Subject: Re: =?utf-8?b?VmllbGVuIERhbms=?=\n"""
    + b"""Message-ID: <sent.1@laptop.example.org>\n"""
    + b"""Date: Thu, 19 Nov 2026 10:00:00 +0000\n\nDanke!\n""",
]
message_files = st.one_of(
    st.binary(max_size=1000),
    hostile_messages(),
    mutated(
        MAIL_SEEDS, HEADER_NAMES, st.one_of(st.sampled_from(HEADER_VALUES), st.binary(max_size=30))
    ),
)
PLACES = {
    "INBOX": ("new", ""),
    "Archive": ("cur", ":2,S"),
    "Sent": ("cur", ":2,S"),
    "Drafts": ("cur", ":2,DS"),
}


def mail_context(root: Path) -> AccountContext:
    return AccountContext(
        name="personal",
        addresses=(ME,),
        state_dir=root / "state",
        clock=FrozenClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC)),
        timezone="Europe/Berlin",
    )


@pytest.fixture(scope="module")
def maildir_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mail") / "Mail"
    tree = mailbox.Maildir(root, create=True)
    for name in ("Drafts", "Sent", "Trash", "Archive"):
        tree.add_folder(name)
    return root


def _one_line_text(value: str | None) -> None:
    if value is not None:
        assert not _LINE_BREAK.search(value) and "\x00" not in value, repr(value)
        value.encode("utf-8")  # no surrogates: the store must be able to save it


def check_maildir_file(root: Path, data: bytes, places: list[str]) -> None:
    """A file of any bytes in any folder: every Mailbox call answers, nothing raises."""
    box = MaildirMailbox(mail_context(root), {"path": root})
    written = []
    for n, place in enumerate(places):
        sub, suffix = PLACES[place]
        base = root if place == "INBOX" else root / f".{place}"
        written.append(base / sub / f"170000000{n}.M1P1.fuzz{suffix}")
        written[-1].write_bytes(data)
    try:
        found = box.messages_since(
            datetime(1990, 1, 1, tzinfo=UTC), ["jane@acme.com"], ["acme.com"]
        )
        for message in found.messages:
            for value in (message.id, message.sender, message.subject, message.excerpt):
                _one_line_text(value)
            _one_line_text(message.thread_id)
            assert message.sender.endswith("acme.com") and message.received_at.tzinfo
        for problem in found.problems:
            assert "expected" in problem.message, problem
            _one_line_text(problem.message)
        ref = box.find_draft(KEY)
        if ref is not None:
            for value in (ref.id, ref.thread_id, ref.message_id):
                _one_line_text(value)
        state = box.draft_state(DraftRef(id="gone", message_id=SENT_ID), KEY)
        if state.status is DraftStatus.SENT:
            assert state.sent is not None
            for value in (state.sent.message_id, state.sent.subject, *state.sent.references):
                _one_line_text(value)
            _one_line_text(state.sent.thread_id)
            assert state.sent_at is None or state.sent_at.tzinfo is not None
    finally:
        for path in written:
            path.unlink()


@settings(max_examples=examples(120))
@given(
    data=message_files, places=st.lists(st.sampled_from(sorted(PLACES)), min_size=1, unique=True)
)
def test_maildir_reads_any_file_without_raising(
    maildir_root: Path, data: bytes, places: list[str]
) -> None:
    check_maildir_file(maildir_root, data, places)


def check_draft_round_trip(root: Path, request: DraftRequest) -> None:
    """Whatever the KEY, a draft is found again by it: exactly one draft per key."""
    assume(key_value(request.key))  # the core's keys are never empty
    box = MaildirMailbox(mail_context(root), {"path": root})
    drafts = root / ".Drafts" / "cur"
    before = set(drafts.iterdir())
    try:
        ref = box.create_draft(request)
        assert box.create_draft(request) == ref
        assert box.find_draft(request.key) == ref
        assert box.draft_state(ref, request.key).status is DraftStatus.DRAFT
        assert len(set(drafts.iterdir()) - before) == 1
    finally:
        for path in set(drafts.iterdir()) - before:
            path.unlink()


keys = st.one_of(
    short_text,
    st.builds(
        lambda account, email, seq: f"followupd:{account}:0123456789abcdef:{email}:thank-you:{seq}",
        short_text,
        emails,
        st.integers(0, 9),
    ),
)


@settings(max_examples=examples(60))
@given(request=requests(), key=keys)
def test_maildir_drafts_are_found_again_by_any_key(
    maildir_root: Path, request: DraftRequest, key: str
) -> None:
    check_draft_round_trip(maildir_root, dataclasses.replace(request, key=key))


# ============================================================================================
# 4. Auto-reply helpers
# ============================================================================================

MARKER_NAMES = [
    "Auto-Submitted",
    "X-Autoreply",
    "Precedence",
    "X-Precedence",
    "From",
    "Subject",
    "Content-Type",
    "Return-Path",
    "X-Failed-Recipients",
    "X-MS-Exchange-Message-Is-Ndr",
    "X-Autogenerated",
    "X-POST-MessageClass",
    "X-FC-MachineGenerated",
]
MARKER_VALUES = [
    "auto-replied",
    "no",
    "<>",
    "< >",
    "bulk",
    "list",
    "=?utf-8?q?=0D=0A?=",
    "(((",
    "mailer-daemon@acme.com",
    "Out of office",
    "Re: Out of office",
    "\r\n x",
    "\udcff",
    "multipart/report; x",
]
header_dicts = st.dictionaries(
    st.one_of(st.sampled_from(MARKER_NAMES), st.text(max_size=20)),
    st.one_of(st.sampled_from(MARKER_VALUES), st.text(max_size=50)),
    max_size=8,
)


def check_auto_reply(headers: dict[str, str], subject: str, raw: bytes) -> None:
    """Any mapping or parsed message is classified, with a reason exactly when automated."""
    assert is_auto_reply(headers, subject) == (auto_reply_reason(headers, subject) is not None)
    for chosen in (policy.default, policy.compat32):
        msg = message_from_bytes(raw, policy=chosen)
        assert isinstance(is_auto_reply(msg), bool)
        assert isinstance(is_auto_reply(msg, subject), bool)


@settings(max_examples=examples(200))
@given(header_dicts, short_text, st.one_of(st.binary(max_size=400), hostile_messages()))
def test_auto_reply_classification_never_raises(
    headers: dict[str, str], subject: str, raw: bytes
) -> None:
    check_auto_reply(headers, subject, raw)


RETURN_WORDS = [
    "I am back on",
    "back",
    "returning",
    "until",
    "through and including",
    "bis zum",
    "bis einschließlich",
    "jusqu'au",
    "de retour le",
    "zurück am",
    "wieder erreichbar ab",
    "the",
    "Monday",
    "Mon.",
    "Friday,",
    "tomorrow",
    "Dec",
    "December",
    "3rd",
    "31",
    "2.",
    "Februar",
    "février",
    "12/03",
    "31/12",
    "2/29",
    "29.02.2024",
    "3.12.2026",
    "00/00",
    "2026-12-03",
    "0000-00-00",
    "9999-12-31",
    "2026-02-30",
    "of December 2026",
    "Sunday, 8 December",
    ",",
    ".",
    "\n",
    " " * 40,
]
return_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(RETURN_WORDS), max_size=30).map(" ".join),
    st.lists(st.one_of(st.sampled_from(RETURN_WORDS), st.text(max_size=4)), max_size=30).map(
        "".join
    ),
)
received_times = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]),
)


def check_return_date(text: str, received: datetime) -> date | None:
    """None, or a day from the day received to ~6 months (+1 for "until X") after it."""
    back = return_date(text, received)
    if back is not None:
        today = received.date()
        assert today <= back <= today + MAX_AHEAD + timedelta(days=1)
    return back


@settings(max_examples=examples(300))
@given(return_texts, st.one_of(received_times, st.just(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))))
def test_return_date_stays_within_its_bounds(text: str, received: datetime) -> None:
    check_return_date(text, received)
