"""One harness per calendar provider, so that each promise of
:class:`daemon.protocols.CalendarSource` is written once
(tests/contract/test_contract_calendar.py) and checked the same way everywhere.

A harness builds the provider's source through its real client library against the server the
provider's own tests use (a folder of .ics files, a real Radicale, the Google and Graph fakes)
and plays what the organizer and the server do: an interview is added, moved, cancelled,
deleted; the server stops accepting the cursor. ``requests_since()`` counts what the server saw
(None where there is no server to ask).
"""

from __future__ import annotations

import json
import sys
from abc import ABC, abstractmethod
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from daemon.clock import FrozenClock, SystemClock
from daemon.protocols import AccountContext, CalendarSource

ME = "alex@example.org"
JANE = ("jane.smith@acme.example", "Jane Smith")


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics(uid: str, start: datetime, me: str, *lines: str, title: str = "Interview") -> str:
    """One VEVENT as an organizer's server stores it: Jane organizes, Jane and the user attend."""
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//followupd contract tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_stamp(start - timedelta(days=10))}",
        f"DTSTART:{_stamp(start)}",
        f"DTEND:{_stamp(start + timedelta(hours=1))}",
        f"SUMMARY:{title}",
        f"ORGANIZER;CN={JANE[1]}:mailto:{JANE[0]}",
        f"ATTENDEE;CN={JANE[1]};PARTSTAT=ACCEPTED:mailto:{JANE[0]}",
        f"ATTENDEE;CN=Alex;PARTSTAT=ACCEPTED:mailto:{me}",
        *lines,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    return "\r\n".join(body)


class CalendarHarness(ABC):
    """What every provider's harness offers the contract tests."""

    name: str
    me: str = ME
    now: datetime
    idle_budget: int | None = None  # requests an unchanged poll may cost (None: not countable)
    expiry: str | None = None  # why the provider has no cursor a server could refuse

    @property
    def window(self) -> tuple[datetime, datetime]:
        return (self.now - timedelta(days=30), self.now + timedelta(days=90))

    @abstractmethod
    def source(self) -> CalendarSource: ...

    @abstractmethod
    def add(self, uid: str, start: datetime) -> str:
        """The interview is put in the user's calendar; returns its id as the source names it."""
        ...

    @abstractmethod
    def move(self, uid: str, start: datetime) -> None: ...

    @abstractmethod
    def cancel(self, uid: str) -> None:
        """The organizer cancels the meeting."""
        ...

    @abstractmethod
    def delete(self, uid: str) -> None:
        """The event is deleted from the calendar."""
        ...

    def expire(self, cursor: str | None) -> str | None:
        """The server no longer accepts ``cursor``; returns the cursor the core holds now.

        Only a source with a server has a cursor to refuse: the others set ``expiry`` to say
        why, and the contract skips with it before asking."""
        raise AssertionError(f"{self.name}: no cursor to expire ({self.expiry})")

    def mark(self) -> Any:
        """A point in the server's record of requests."""
        return None

    def requests_since(self, mark: Any) -> int | None:
        """How many requests the server saw after ``mark`` (None: nothing to count)."""
        return None


# --- ics (a vdirsyncer-style folder, one file per event) ---------------------------------------


class IcsHarness(CalendarHarness):
    name = "ics"
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    expiry = (
        "ics reads local files: no server can refuse its cursor (each change is a complete read)"
    )

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.folder = tmp_path / "calendar"
        self.folder.mkdir()
        self.starts: dict[str, datetime] = {}

    def source(self) -> CalendarSource:
        from connectors.ics import IcsCalendar

        ctx = AccountContext(
            name="personal",
            addresses=(self.me,),
            state_dir=self.tmp_path / "state",
            clock=FrozenClock(self.now),
            timezone="Europe/Berlin",
        )
        return IcsCalendar(self.folder, ctx)

    def _write(self, uid: str, start: datetime, *lines: str) -> None:
        self.starts[uid] = start
        (self.folder / f"{uid}.ics").write_text(_ics(uid, start, self.me, *lines), newline="")

    def add(self, uid: str, start: datetime) -> str:
        self._write(uid, start)
        return uid

    def move(self, uid: str, start: datetime) -> None:
        self._write(uid, start, "SEQUENCE:1")

    def cancel(self, uid: str) -> None:
        self._write(uid, self.starts[uid], "SEQUENCE:2", "STATUS:CANCELLED")

    def delete(self, uid: str) -> None:
        (self.folder / f"{uid}.ics").unlink()


# --- caldav (a real Radicale) -------------------------------------------------------------------


class CaldavHarness(CalendarHarness):
    name = "caldav"
    now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    idle_budget = 1  # one REPORT (sync-collection) per calendar; this account has one

    def __init__(self, tmp_path: Path, user: Any) -> None:
        self.tmp_path = tmp_path
        self.user = user
        self.calendar = user.make_calendar("work", "Work")
        self.starts: dict[str, datetime] = {}

    def source(self) -> CalendarSource:
        from connectors.caldav import PROVIDER
        from daemon import options as o

        table = {
            "url": self.user.server.url,
            "username": self.user.name,
            "password_command": [sys.executable, "-c", f"print({self.user.password!r})"],
        }
        problems: list[str] = []
        values = o.validate(table, PROVIDER.calendar_options, "t.calendar", problems)
        assert problems == []
        ctx = AccountContext(
            name="work",
            addresses=(self.me,),
            state_dir=self.tmp_path,
            clock=FrozenClock(self.now),
            timezone="Europe/Berlin",
        )
        return PROVIDER.calendar(ctx, values, {})

    def _put(self, uid: str, start: datetime, *lines: str) -> None:
        self.starts[uid] = start
        self.user.put(self.calendar, f"{uid}.ics", _ics(uid, start, self.me, *lines))

    def add(self, uid: str, start: datetime) -> str:
        self._put(uid, start)
        return uid

    def move(self, uid: str, start: datetime) -> None:
        self._put(uid, start, "SEQUENCE:1")

    def cancel(self, uid: str) -> None:
        self._put(uid, self.starts[uid], "SEQUENCE:2", "STATUS:CANCELLED")

    def delete(self, uid: str) -> None:
        self.user.delete(f"{self.calendar}{uid}.ics")

    def expire(self, cursor: str | None) -> str | None:
        # Radicale keeps its tokens; one it never issued is what a server that dropped its
        # history answers to (403 valid-sync-token, RFC 6578 3.2).
        stale = json.loads(cursor or "")
        for calendar in stale["calendars"]:
            calendar["token"] = "http://radicale.org/ns/sync/" + "0" * 64
        return json.dumps(stale)

    def mark(self) -> Any:
        return self.user.server.mark()

    def requests_since(self, mark: Any) -> int | None:
        seen = self.user.server.requests_since(mark)
        return len([path for _, path in seen if path.startswith(f"/{self.user.name}/")])


# --- google (the Google Calendar fake) ----------------------------------------------------------


class GoogleHarness(CalendarHarness):
    name = "google"
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    idle_budget = 1  # events.list with the sync token (tests/test_google_calendar.py)

    def __init__(self, env: Any) -> None:
        self.env = env
        self.me = env.state.email

    def source(self) -> CalendarSource:
        return self.env.calendar()

    def _put(self, uid: str, start: datetime) -> None:
        self.env.state.put_event(
            {
                "id": uid,
                "summary": "Interview",
                "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
                "organizer": {"email": JANE[0], "displayName": JANE[1]},
                "attendees": [
                    {"email": JANE[0], "displayName": JANE[1], "responseStatus": "accepted"},
                    {"email": self.me, "self": True, "responseStatus": "accepted"},
                ],
            }
        )

    def add(self, uid: str, start: datetime) -> str:
        self._put(uid, start)
        return f"primary/{uid}"

    def move(self, uid: str, start: datetime) -> None:
        self._put(uid, start)

    def cancel(self, uid: str) -> None:
        self.env.state.cancel_event(uid)

    def delete(self, uid: str) -> None:
        self.env.state.cancel_event(uid)  # Google lists a deleted event as cancelled

    def expire(self, cursor: str | None) -> str | None:
        self.env.state.expire_sync_tokens()
        return cursor

    def mark(self) -> Any:
        return len(self.env.state.requests)

    def requests_since(self, mark: Any) -> int | None:
        return len(self.env.state.api_requests(mark))


# --- outlook (the Graph fake) -------------------------------------------------------------------


class OutlookHarness(CalendarHarness):
    name = "outlook"
    me = "casey@contoso.example"
    idle_budget = 1  # calendarView/delta with the delta link (tests/test_outlook_calendar.py)

    def __init__(self, tmp_path: Path, ms: Any) -> None:
        from connectors.outlook import PROVIDER

        self.ms = ms
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.ctx = AccountContext(
            name="work",
            addresses=(self.me,),
            state_dir=tmp_path / "state",
            clock=SystemClock(),
            timezone="UTC",
        )
        PROVIDER.authorize(self.ctx, ms.account_options(), lambda line: None)
        self.ids: dict[str, str] = {}

    def source(self) -> CalendarSource:
        from connectors.outlook import PROVIDER

        return PROVIDER.calendar(self.ctx, {}, self.ms.account_options())

    def add(self, uid: str, start: datetime) -> str:
        self.ids[uid] = self.ms.graph.add_event(
            "Interview",
            start,
            attendees=(
                (JANE[0], JANE[1], "required", "accepted"),
                (self.me, "Casey", "required", "accepted"),
            ),
            organizer=JANE,
        )
        return self.ids[uid]

    def move(self, uid: str, start: datetime) -> None:
        self.ms.graph.update_event(self.ids[uid], start=start, end=start + timedelta(hours=1))

    def cancel(self, uid: str) -> None:
        self.ms.graph.cancel_event(self.ids[uid])

    def delete(self, uid: str) -> None:
        self.ms.graph.delete_event(self.ids[uid])

    def expire(self, cursor: str | None) -> str | None:
        self.ms.graph.expire_delta_tokens()
        return cursor

    def mark(self) -> Any:
        return len(self.ms.graph.log)

    def requests_since(self, mark: Any) -> int | None:
        return len(self.ms.graph.log) - mark


CALENDARS = ("ics", "caldav", "google", "outlook")


def calendar_harness(name: str, tmp_path: Path, stack: ExitStack, dav_user: Any = None):
    """The harness of provider ``name``, its server started on ``stack`` (stopped after)."""
    if name == "ics":
        return IcsHarness(tmp_path)
    if name == "caldav":
        return CaldavHarness(tmp_path, dav_user)
    if name == "google":
        from tests.fakes.google_env import google_env

        return GoogleHarness(stack.enter_context(google_env(tmp_path)))
    if name == "outlook":
        from connectors.outlook import forget_runtimes
        from tests.fakes.graph_server import running_microsoft

        stack.callback(forget_runtimes)
        return OutlookHarness(tmp_path, stack.enter_context(running_microsoft(tmp_path / "fakes")))
    raise ValueError(name)
