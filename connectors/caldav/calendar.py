"""A CalDAV account's calendars as a :class:`daemon.protocols.CalendarSource`.

A poll asks each calendar one question (:func:`.queries.changed_since`: a sync-collection
REPORT with the last sync token, else the ctag, else the ETag list). When none changed, that
was all: one request per calendar. When one did, every calendar's events in the window are read
again with a time-range query and returned whole (``complete``), so an event deleted, moved,
cancelled or stripped of an instance needs no bookkeeping of ours: what is missing from the
window is gone. Resources the server reported deleted are named in ``removed`` as well, which
counts even when a broken resource makes the read incomplete.

The full read (discovery, then one query per calendar) is also made at the first poll, after
the cursor expired or the settings changed, and once the window's end passes what the last
read covered (:data:`AHEAD`: a day past the window), so that an event created far ahead and
never touched again is found as the window reaches it, and new instances of a series are read
as the window slides. A newly created calendar is found then too.

Events are read by the same code as .ics files (:mod:`connectors.ics.changes`); ids are the
UID (plus the instance's recurrence id), never the resource's URL, so a resync or an event
moved to another calendar makes no duplicate.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from connectors.caldav import discovery, queries
from connectors.caldav.cursor import CalendarMarks, Cursor
from connectors.caldav.session import NotFound, Session
from connectors.caldav.settings import Settings
from connectors.ics import changes as ics_changes
from connectors.ics.expand import Limits
from daemon.errors import CursorExpired
from daemon.protocols import AccountContext, CalendarChanges, Problem

log = logging.getLogger(__name__)

AHEAD = timedelta(days=1)  # how far past the window a full read reaches


class CaldavCalendar:
    def __init__(
        self,
        settings: Settings,
        ctx: AccountContext,
        session: Session | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.settings = settings
        self.ctx = ctx
        self.session = session or Session(settings)
        self.local = ZoneInfo(ctx.timezone)
        self.addresses = frozenset(a.lower() for a in ctx.addresses)
        self.limits = limits or Limits()

    def check(self) -> str:
        found = discovery.discover(self.session, self.settings.calendars)
        names = ", ".join(c.name for c in found)
        noun = "calendar" if len(found) == 1 else "calendars"
        return f"caldav: {len(found)} {noun} of {self.settings.username} at {self.settings.url}: {names}"

    def changes(self, cursor: str | None, window: tuple[datetime, datetime]) -> CalendarChanges:
        window = (self._aware(window[0]), self._aware(window[1]))
        setup = self.settings.fingerprint(self.ctx.timezone)
        last = Cursor.load(cursor, setup)
        if last is None or window[0] < last.since or window[1] > last.until:
            return self._full(window, setup)
        probes: list[queries.Probe] = []
        for marks in last.calendars:
            try:
                probes.append(
                    queries.changed_since(
                        self.session, marks.url, marks.token, marks.ctag, marks.etags
                    )
                )
            except NotFound as err:  # the calendar is gone: find the calendars again
                raise CursorExpired(f"{err}; finding the calendars again") from err
        for marks, probe in zip(last.calendars, probes, strict=True):
            marks.token, marks.ctag, marks.etags = probe.sync_token, probe.ctag, probe.etags
        if not any(probe.changed for probe in probes):
            log.debug("caldav: %d calendars unchanged", len(probes))
            return CalendarChanges(events=[], cursor=last.dump(), complete=False)
        deleted = [href for probe in probes for href in probe.deleted]
        return self._read(window, last.calendars, setup, deleted)

    # ---------------------------------------------------------------------------------------

    def _full(self, window: tuple[datetime, datetime], setup: str) -> CalendarChanges:
        marks = []
        for found in discovery.discover(self.session, self.settings.calendars):
            etags = None
            if not found.sync_token and not found.ctag:
                etags = queries.etag_digest(self.session, found.url)
            marks.append(
                CalendarMarks(
                    url=found.url,
                    name=found.name,
                    token=found.sync_token,
                    ctag=found.ctag,
                    etags=etags,
                )
            )
        return self._read(window, marks, setup, [])

    def _read(
        self,
        window: tuple[datetime, datetime],
        calendars: list[CalendarMarks],
        setup: str,
        deleted: list[str],
    ) -> CalendarChanges:
        """Every calendar's events from the window's start to a day past its end; the keys of
        ``deleted`` resources (URLs) that no longer appear anywhere are ``removed``."""
        span = (window[0], window[1] + AHEAD)
        items: list[ics_changes.Item] = []
        problems: list[Problem] = []
        old_keys = {label: keys for marks in calendars for label, keys in marks.keys.items()}
        labels: dict[str, list[str]] = {}  # calendar URL -> its resources' labels
        for marks in calendars:
            for resource in queries.events_between(self.session, marks.url, *span):
                label = _label(resource.href)
                labels.setdefault(marks.url, []).append(label)
                if resource.data is None:
                    problems.append(
                        ics_changes.item_problem(
                            label,
                            "the server sent no calendar data for it; expected an event"
                            " (RFC 4791 calendar-data)",
                        )
                    )
                    continue
                items.append(ics_changes.Item(label=label, data=resource.data, calendar=marks.name))
        keys: dict[str, set[str]] = {}
        found = ics_changes.read(
            items, span, self.local, self.addresses, self.limits, problems, keys
        )
        present = {key for found_keys in keys.values() for key in found_keys}
        gone = {_label(href) for href in deleted}
        found.removed = sorted(
            {key for label in gone for key in old_keys.get(label, []) if key not in present}
        )
        for marks in calendars:
            marks.keys = {
                label: sorted(keys[label]) for label in labels.get(marks.url, []) if label in keys
            }
        found.cursor = Cursor(
            setup=setup, since=window[0], until=span[1], calendars=calendars
        ).dump()
        log.debug(
            "caldav: %d events from %d resources in %d calendars, %d problems",
            len(found.events),
            len(items),
            len(calendars),
            len(found.problems),
        )
        return found

    def _aware(self, value: datetime) -> datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=self.local)


def _label(href: str) -> str:
    """How problems name a resource: its path on the server."""
    return unquote(urlsplit(href).path) or href
