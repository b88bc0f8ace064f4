"""The caldav provider against a real Radicale server started by the tests, over real HTTP
(requests; no mocks): discovery, first sync, the idle poll's one request, changes,
deletions, expired tokens, wrong passwords and broken resources."""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.caldav import PROVIDER
from connectors.caldav.calendar import CaldavCalendar
from daemon import options as o
from daemon.clock import FrozenClock
from daemon.errors import AuthNeeded, ConnectorError, CursorExpired, TransientError
from daemon.protocols import AccountContext, CalendarChanges
from daemon.redaction import redact
from tests.servers.digest import digest_front
from tests.servers.radicale import DavUser, Radicale, dav_user, free_port, radicale, start

__all__ = ["dav_user", "radicale"]  # fixtures

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
WINDOW = (NOW - timedelta(days=30), NOW + timedelta(days=90))


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event(
    uid: str,
    start: datetime,
    summary: str = "Interview with Acme",
    *lines: str,
    minutes: int = 60,
) -> str:
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followupd tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp(NOW - timedelta(days=10))}",
        f"DTSTART:{stamp(start)}",
        f"DTEND:{stamp(start + timedelta(minutes=minutes))}",
        f"SUMMARY:{summary}",
        "ORGANIZER;CN=Jane Smith:mailto:jane.smith@acme.example",
        "ATTENDEE;CN=Jane Smith;PARTSTAT=ACCEPTED:mailto:jane.smith@acme.example",
        "ATTENDEE;CN=Alex;PARTSTAT=ACCEPTED:mailto:alex@example.org",
        *lines,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(body)


def options(user: DavUser, **changes: Any) -> dict[str, Any]:
    """The calendar table as the config validates it (defaults filled, one password source)."""
    table: dict[str, Any] = {
        "url": user.server.url,
        "username": user.name,
        "password_command": [sys.executable, "-c", f"print({user.password!r})"],
        **changes,
    }
    table = {k: v for k, v in table.items() if v is not None}
    problems: list[str] = []
    values = o.validate(table, PROVIDER.calendar_options, "test.calendar", problems)
    PROVIDER.validate_options("calendar", values, "test.calendar", problems)
    assert problems == []
    return values


def source(tmp_path: Path, user: DavUser, **changes: Any) -> CaldavCalendar:
    ctx = AccountContext(
        name="work",
        addresses=("alex@example.org",),
        state_dir=tmp_path,
        clock=FrozenClock(NOW),
        timezone="Europe/Berlin",
    )
    return PROVIDER.calendar(ctx, options(user, **changes), {})


def ids(changes: CalendarChanges) -> list[str]:
    return [e.id for e in changes.events]


# -- discovery --------------------------------------------------------------------------------


def test_discovery_from_the_base_url_finds_the_calendars_that_hold_events(
    tmp_path: Path, dav_user: DavUser
) -> None:
    dav_user.make_calendar("work", "Work")
    dav_user.make_calendar("personal", "Personal life")
    dav_user.make_calendar("tasks", "Tasks", component="VTODO")
    shown = source(tmp_path, dav_user).check()
    assert shown.startswith(f"caldav: 2 calendars of {dav_user.name} at {dav_user.server.url}")
    assert "Work" in shown and "Personal life" in shown and "Tasks" not in shown


def test_discovery_falls_back_to_the_well_known_address(
    tmp_path: Path, dav_user: DavUser, radicale: Radicale
) -> None:
    dav_user.make_calendar("work", "Work")
    mark = radicale.mark()
    shown = source(tmp_path, dav_user, url=f"{radicale.url}no/dav/here/").check()
    assert "1 calendar of" in shown and "Work" in shown
    assert ("PROPFIND", "/.well-known/caldav") in radicale.requests_since(mark)


def test_calendars_are_chosen_by_name_or_url(tmp_path: Path, dav_user: DavUser) -> None:
    work = dav_user.make_calendar("work", "Work")
    personal = dav_user.make_calendar("personal", "Personal")
    dav_user.put(work, "a.ics", event("work-1", NOW + timedelta(days=1)))
    dav_user.put(personal, "b.ics", event("personal-1", NOW + timedelta(days=2)))
    by_name = source(tmp_path, dav_user, calendars=["work"]).changes(None, WINDOW)
    assert ids(by_name) == ["work-1"] and by_name.events[0].calendar == "Work"
    by_url = source(tmp_path, dav_user, calendars=[personal]).changes(None, WINDOW)
    assert ids(by_url) == ["personal-1"] and by_url.events[0].calendar == "Personal"
    with pytest.raises(ConnectorError, match=r"no calendar named 'Jobs' .*'Work', 'Personal'"):
        source(tmp_path, dav_user, calendars=["Jobs"]).check()


# -- syncing ----------------------------------------------------------------------------------


def test_first_sync_reads_the_window_and_the_idle_poll_is_one_request_per_calendar(
    tmp_path: Path, dav_user: DavUser, radicale: Radicale
) -> None:
    work = dav_user.make_calendar("work", "Work")
    other = dav_user.make_calendar("other", "Other")
    dav_user.put(work, "soon.ics", event("soon", NOW + timedelta(days=1)))
    dav_user.put(work, "past.ics", event("past", NOW - timedelta(days=3)))
    # Far outside the window, and with an attendee line the reader would have to repair (a
    # warning): no problem below shows the server's time-range query left it out.
    far = event(
        "far-away", NOW + timedelta(days=300), "Later", "ATTENDEE;CN=A\rB:mailto:a@b.example"
    )
    dav_user.put(work, "far.ics", far)
    dav_user.put(other, "weekly.ics", event("weekly", NOW, "Standup", "RRULE:FREQ=WEEKLY;COUNT=2"))
    calendar = source(tmp_path, dav_user)
    mark = radicale.mark()
    first = calendar.changes(None, WINDOW)
    home = f"/{dav_user.name}/"
    # principal, its calendar home, the home's calendars; then one query per calendar
    assert sorted(radicale.requests_since(mark)) == [
        ("PROPFIND", "/"),
        ("PROPFIND", home),
        ("PROPFIND", home),
        ("REPORT", f"{home}other/"),
        ("REPORT", f"{home}work/"),
    ]
    assert first.complete and not first.problems
    assert sorted(ids(first)) == sorted(
        ["past", "soon", "weekly/2026-12-07T09:00:00Z", "weekly/2026-12-14T09:00:00Z"]
    )
    soon = next(e for e in first.events if e.id == "soon")
    assert (soon.calendar, soon.title, soon.start) == (
        "Work",
        "Interview with Acme",
        NOW + timedelta(days=1),
    )
    assert [a.email for a in soon.attendees] == ["jane.smith@acme.example", "alex@example.org"]
    assert [a.is_self for a in soon.attendees] == [False, True]

    mark = radicale.mark()
    idle = calendar.changes(first.cursor, WINDOW)
    assert idle.events == [] and not idle.complete and idle.removed == []
    assert sorted(radicale.requests_since(mark)) == [
        ("REPORT", f"/{dav_user.name}/other/"),
        ("REPORT", f"/{dav_user.name}/work/"),
    ]
    # A fresh process (run --once, check) with the stored cursor costs no more.
    mark = radicale.mark()
    again = source(tmp_path, dav_user).changes(idle.cursor, WINDOW)
    assert again.events == [] and len(radicale.requests_since(mark)) == 2


def test_changed_moved_cancelled_and_deleted_events(tmp_path: Path, dav_user: DavUser) -> None:
    work = dav_user.make_calendar("work", "Work")
    a = dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1)))
    dav_user.put(work, "b.ics", event("b", NOW + timedelta(days=2)))
    c = dav_user.put(work, "c.ics", event("c", NOW + timedelta(days=3)))
    calendar = source(tmp_path, dav_user)
    cursor = calendar.changes(None, WINDOW).cursor

    dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1), "Final interview with Acme"))
    changed = calendar.changes(cursor, WINDOW)
    assert changed.complete and sorted(ids(changed)) == ["a", "b", "c"]
    assert next(e for e in changed.events if e.id == "a").title == "Final interview with Acme"

    moved_to = NOW + timedelta(days=5, hours=3)
    dav_user.put(work, "b.ics", event("b", moved_to))
    moved = calendar.changes(changed.cursor, WINDOW)
    assert next(e for e in moved.events if e.id == "b").start == moved_to

    dav_user.put(
        work, "c.ics", event("c", NOW + timedelta(days=3), "Interview", "STATUS:CANCELLED")
    )
    cancelled = calendar.changes(moved.cursor, WINDOW)
    assert next(e for e in cancelled.events if e.id == "c").cancelled

    dav_user.delete(a)
    deleted = calendar.changes(cancelled.cursor, WINDOW)
    assert deleted.complete and sorted(ids(deleted)) == ["b", "c"]
    assert deleted.removed == ["a"]
    del c


def test_an_event_moved_to_another_calendar_is_not_removed(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    jobs = dav_user.make_calendar("jobs", "Jobs")
    a = dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1)))
    calendar = source(tmp_path, dav_user)
    first = calendar.changes(None, WINDOW)
    dav_user.put(jobs, "a.ics", event("a", NOW + timedelta(days=1)))
    dav_user.delete(a)
    moved = calendar.changes(first.cursor, WINDOW)
    assert ids(moved) == ["a"] and moved.events[0].calendar == "Jobs"
    assert moved.removed == []


def test_an_instance_taken_out_of_a_series_is_missing_from_the_complete_read(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    rule = "RRULE:FREQ=WEEKLY;COUNT=3"
    dav_user.put(work, "s.ics", event("s", NOW + timedelta(days=1), "Interview loop", rule))
    calendar = source(tmp_path, dav_user)
    first = calendar.changes(None, WINDOW)
    assert len(first.events) == 3
    second = stamp(NOW + timedelta(days=8))
    dav_user.put(
        work,
        "s.ics",
        event("s", NOW + timedelta(days=1), "Interview loop", rule, f"EXDATE:{second}"),
    )
    changed = calendar.changes(first.cursor, WINDOW)
    assert changed.complete and len(changed.events) == 2
    assert f"s/{(NOW + timedelta(days=8)).strftime('%Y-%m-%dT%H:%M:%SZ')}" not in ids(changed)


def test_an_event_far_ahead_is_found_as_the_window_reaches_it(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    dav_user.put(work, "far.ics", event("far", NOW + timedelta(days=120)))
    calendar = source(tmp_path, dav_user)
    first = calendar.changes(None, WINDOW)
    assert ids(first) == []
    later = (WINDOW[0] + timedelta(days=40), WINDOW[1] + timedelta(days=40))
    assert ids(calendar.changes(first.cursor, later)) == ["far"]


def test_an_expired_sync_token_means_a_full_resync_without_duplicates(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1)))
    dav_user.put(work, "r.ics", event("r", NOW, "Weekly sync", "RRULE:FREQ=WEEKLY;COUNT=3"))
    calendar = source(tmp_path, dav_user)
    first = calendar.changes(None, WINDOW)
    stale = json.loads(first.cursor or "")
    stale["calendars"][0]["token"] = "http://radicale.org/ns/sync/" + "0" * 64
    with pytest.raises(CursorExpired, match="no longer accepts the sync token"):
        calendar.changes(json.dumps(stale), WINDOW)
    again = calendar.changes(None, WINDOW)  # what the core does next
    assert again.complete and ids(again) == ids(first) and len(set(ids(again))) == 4


def test_a_server_without_sync_tokens_is_polled_by_ctag(
    tmp_path: Path, dav_user: DavUser, radicale: Radicale
) -> None:
    work = dav_user.make_calendar("work", "Work")
    dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1)))
    calendar = source(tmp_path, dav_user)
    raw = json.loads(calendar.changes(None, WINDOW).cursor or "")
    assert raw["calendars"][0]["ctag"]
    raw["calendars"][0]["token"] = None  # as a server that offers only a ctag
    mark = radicale.mark()
    idle = calendar.changes(json.dumps(raw), WINDOW)
    assert idle.events == [] and radicale.requests_since(mark) == [
        ("PROPFIND", f"/{dav_user.name}/work/")
    ]
    dav_user.put(work, "b.ics", event("b", NOW + timedelta(days=2)))
    assert ids(calendar.changes(idle.cursor, WINDOW)) == ["a", "b"]


# -- errors -----------------------------------------------------------------------------------


def test_a_wrong_password_is_auth_needed_and_never_shown(tmp_path: Path, dav_user: DavUser) -> None:
    dav_user.make_calendar("work", "Work")
    wrong = "not-the-Password-42"
    calendar = source(
        tmp_path, dav_user, password_command=[sys.executable, "-c", f"print({wrong!r})"]
    )
    with pytest.raises(AuthNeeded) as caught:
        calendar.changes(None, WINDOW)
    assert caught.value.fix == "followupd check"
    assert "HTTP 401" in str(caught.value) and dav_user.name in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in redact(f"x {wrong} y")


def test_a_server_that_does_not_answer_is_a_transient_error(
    tmp_path: Path, dav_user: DavUser
) -> None:
    calendar = source(tmp_path, dav_user, url=f"http://127.0.0.1:{free_port()}/", timeout=5)
    with pytest.raises(TransientError, match="cannot reach the server"):
        calendar.changes(None, WINDOW)


class Failing(BaseHTTPRequestHandler):
    """A server in trouble: every request gets the status the test sets."""

    status = 500
    headers_out: ClassVar[dict[str, str]] = {}

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PROPFIND = do_REPORT = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (500, {}, "the server failed (HTTP 500"),
        (502, {}, "the server failed (HTTP 502"),
        (503, {"Retry-After": "120"}, "the server asks to slow down (HTTP 503)"),
        (429, {"Retry-After": "7"}, "the server asks to slow down (HTTP 429)"),
    ],
)
def test_a_server_error_is_transient(
    tmp_path: Path, dav_user: DavUser, status: int, headers: dict[str, str], expected: str
) -> None:
    handler = type("Handler", (Failing,), {"status": status, "headers_out": headers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with pytest.raises(TransientError, match=re.escape(expected)) as caught:
            source(tmp_path, dav_user, url=url).changes(None, WINDOW)
        if "Retry-After" in headers:
            assert caught.value.retry_after == float(headers["Retry-After"])
    finally:
        server.shutdown()
        server.server_close()


def test_hostile_and_broken_resources_are_problems_naming_them_and_the_rest_is_read(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    dav_user.put(work, "good.ics", event("good", NOW + timedelta(days=1)))
    # Radicale stores a bare CR in a CN as it came; in the REPORT's XML the CR becomes a line
    # break (XML end-of-line handling), which cut the attendee line in two.
    cr = event("cr", NOW + timedelta(days=2)).replace(
        "ATTENDEE;CN=Jane Smith;PARTSTAT=ACCEPTED:mailto:jane.smith@acme.example",
        "ATTENDEE;PARTSTAT=ACCEPTED;CN=Jane\rSmith:mailto:jane.smith@acme.example",
    )
    dav_user.put(work, "cr.ics", cr)
    # RFC 6868's ^n puts a line break in the name itself.
    caret = event("caret", NOW + timedelta(days=3)).replace("CN=Alex;", 'CN="Alex^nBcc: x";')
    dav_user.put(work, "caret.ics", caret)
    # Radicale accepts an event that ends before it starts.
    backwards = event("backwards", NOW + timedelta(days=4)).replace(
        f"DTEND:{stamp(NOW + timedelta(days=4, minutes=60))}",
        f"DTEND:{stamp(NOW + timedelta(days=3))}",
    )
    dav_user.put(work, "backwards.ics", backwards)
    found = source(tmp_path, dav_user).changes(None, WINDOW)
    assert ids(found) == ["good", "cr", "caret"]
    by_id = {e.id: e for e in found.events}
    assert [(a.email, a.name) for a in by_id["cr"].attendees][0] == (
        "jane.smith@acme.example",
        "Jane Smith",
    )
    assert [a.name for a in by_id["caret"].attendees][1] == "Alex Bcc: x"
    repaired, broken = found.problems
    assert repaired.warning and repaired.container == f"/{dav_user.name}/work/cr.ics"
    assert "line break inside a parameter; read as Jane Smith <jane.smith@acme.example>" in (
        repaired.message
    )
    assert not broken.warning and broken.container == f"/{dav_user.name}/work/backwards.ics"
    assert "UID backwards" in broken.item and "ends before it starts" in broken.message
    assert not found.complete  # an interview in a broken event must not look deleted


# -- TLS and configuration -------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Radicale, Path]]:
    """Radicale over https with a certificate from a CA of the test's own (trustme)."""
    import trustme

    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    issued.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    issued.private_key_pem.write_to_path(str(folder / "key.pem"))
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    server = start(folder / "server", tls=(folder / "cert.pem", folder / "key.pem"))
    yield server, folder / "ca.pem"
    server.stop()


def test_a_server_with_its_own_ca_is_trusted_through_ca_bundle(
    tmp_path: Path, tls_radicale: tuple[Radicale, Path]
) -> None:
    server, ca = tls_radicale
    user = DavUser(server, "tls-user", "tls-password", verify=str(ca))
    server.add_user(user.name, user.password)
    user.make_calendar("work", "Work")
    assert "Work" in source(tmp_path, user, ca_bundle=str(ca)).check()
    with pytest.raises(ConnectorError, match=r"certificate is not trusted .*calendar.ca_bundle"):
        source(tmp_path, user).check()
    with pytest.raises(ConnectorError, match=r"ca_bundle .*missing.pem is not a file"):
        source(tmp_path, user, ca_bundle=str(tmp_path / "missing.pem")).check()


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({}, "test.calendar: expected one of password_command, keyring or password, found none"),
        (
            {"password": "x", "keyring": "fastmail"},
            "test.calendar: expected one password source, found keyring and password",
        ),
        ({"password": "x", "url": "caldav.example.com"}, "test.calendar.url: expected an http(s)"),
        ({"password": "x", "timeout": 0}, "test.calendar.timeout: expected a number of seconds"),
    ],
)
def test_configuration_mistakes_are_named(table: dict[str, Any], expected: str) -> None:
    full = {"url": "https://caldav.example.com/", "username": "me", **table}
    problems: list[str] = []
    values = o.validate(full, PROVIDER.calendar_options, "test.calendar", problems)
    PROVIDER.validate_options("calendar", values, "test.calendar", problems)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_server_that_asks_for_digest_is_answered_once_then_polled_in_one_request(
    tmp_path: Path, dav_user: DavUser
) -> None:
    work = dav_user.make_calendar("work", "Work")
    dav_user.put(work, "a.ics", event("a", NOW + timedelta(days=1)))
    with digest_front(dav_user.server.url, dav_user.name, dav_user.password) as front:
        calendar = source(tmp_path, dav_user, url=front.url)
        first = calendar.changes(None, WINDOW)
        assert ids(first) == ["a"]
        # Basic up front is refused with a Digest challenge; requests' Digest handler asks once
        # more itself (it answers only challenges it saw); then every request carries Digest.
        assert [allowed for _, _, allowed in front.requests] == [False, False] + [True] * (
            len(front.requests) - 2
        )
        seen = len(front.requests)
        idle = calendar.changes(first.cursor, WINDOW)
        assert idle.events == []
        assert front.requests[seen:] == [("REPORT", f"/{dav_user.name}/work/", True)]
