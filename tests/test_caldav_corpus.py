"""One code path: every invitation of the shared corpus that Radicale accepts reads, through the
caldav provider, as the ics provider reads the file itself (same events, times, people,
cancellations). Uploaded the way a client imports a calendar file: one PUT of the whole file to
a new collection, which Radicale splits into one resource per UID.

What the server changes on the way is part of the lesson: it drops calendar-level properties
(X-WR-TIMEZONE: the instants stay, the zone they are shown in does not) and gives an event
without UID one of its own (so its id differs from the one derived from the file)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.caldav import PROVIDER as CALDAV
from connectors.ics import IcsCalendar
from daemon import options as o
from daemon.clock import FrozenClock
from daemon.protocols import AccountContext, CalendarChanges
from tests.servers.radicale import DavUser, dav_user, radicale

__all__ = ["dav_user", "radicale"]  # fixtures

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "ics"
WINDOW = (datetime(2014, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
# The invitations (files with people on them: what drafts are made from) and the iCloud
# exports. Radicale parses and writes each upload again, about half a second per file, so not
# all 72 files.
FILES = [
    path
    for path in (sorted(CORPUS.glob("*.ics")) if CORPUS.is_dir() else [])
    if b"ATTENDEE" in path.read_bytes()
    or b"ORGANIZER" in path.read_bytes()
    or any(name in path.name for name in ("icloud", "apple"))
]


def shape(changes: CalendarChanges, with_ids: bool) -> list[tuple[Any, ...]]:
    """What detection reads of each event, instants in UTC, within the window proper (the
    caldav read reaches a day past it)."""
    return sorted(
        (
            e.id if with_ids else "",
            e.start.astimezone(UTC),
            e.end.astimezone(UTC),
            e.title,
            e.cancelled,
            e.all_day,
            e.organizer.email if e.organizer else None,
            tuple((a.email, a.name, a.is_self) for a in e.attendees),
        )
        for e in changes.events
        if e.start < WINDOW[1]
    )


@pytest.mark.skipif(not FILES, reason="../shared corpus is absent")
def test_corpus_calendars_read_the_same_from_radicale_as_from_the_file(
    tmp_path: Path, dav_user: DavUser
) -> None:
    ctx = AccountContext(
        name="corpus",
        addresses=("me@example.com",),
        state_dir=tmp_path,
        clock=FrozenClock(WINDOW[0]),
        timezone="Europe/Berlin",
    )
    compared, refused = [], []
    for number, path in enumerate(FILES):
        url = dav_user.make_calendar(f"c{number}", path.stem)
        answer = dav_user.request(
            "PUT", url, data=path.read_bytes(), headers={"Content-Type": "text/calendar"}
        )
        if answer.status_code >= 300:  # Radicale refuses what vobject cannot read
            refused.append(path.name)
            continue
        problems: list[str] = []
        table = {
            "url": dav_user.server.url,
            "username": dav_user.name,
            "password_command": [sys.executable, "-c", f"print({dav_user.password!r})"],
            "calendars": [url],
        }
        values = o.validate(table, CALDAV.calendar_options, "corpus", problems)
        assert problems == []
        served = CALDAV.calendar(ctx, values, {}).changes(None, WINDOW)
        copy = tmp_path / "file.ics"
        copy.write_bytes(path.read_bytes())
        local = IcsCalendar(copy, ctx).changes(None, WINDOW)
        with_ids = not any(e.id.startswith("noid-") for e in local.events)
        assert shape(served, with_ids) == shape(local, with_ids), path.name
        compared.append(path.name)
    assert len(compared) >= 15, (compared, refused)
    assert "jazzband-icalevents__icloud.ics" in compared
    assert "nylas-sync-engine__event_with_no_participants.ics" in compared
