"""Google Calendar as a :class:`~daemon.protocols.CalendarSource`: full sync, then sync tokens.

First sync (or after an expired cursor) lists the window with ``singleEvents=true``, paging until
``nextSyncToken``; later polls send only ``syncToken`` (plus the same ``singleEvents``), so an
unchanged calendar costs one small request. The cursor is JSON holding one sync token per
calendar and the span the full sync covered::

    {"v": 1, "tokens": {"primary": "...", "team@group.calendar.google.com": "..."},
     "since": "2026-01-01T00:00:00+00:00", "until": "2026-05-08T00:00:00+00:00"}

A full sync reaches a week past the window's end; once the moving window passes ``until`` (or
the calendar set changes) the next poll is a full sync again, so an event that was created far
ahead and never changed is still seen when it comes into range. HTTP 410 on a sync token raises
:class:`~daemon.errors.CursorExpired`; the core then calls again without a cursor, and event ids
are stable, so the resync yields no duplicates.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.google.errors import Gone, NotFound
from connectors.google.events import SKIPPED_EVENT_TYPES, event_id, item_name, to_event
from connectors.google.http import GoogleSession
from connectors.google.paging import pages
from daemon.errors import BadItem, ConnectorError, CursorExpired, InvalidResponse
from daemon.protocols import AccountContext, CalendarChanges, CalendarEvent, Problem

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
AHEAD_SLACK = timedelta(days=7)  # how far past the window a full sync reaches
PAGE_SIZE = 250  # Google's default; a hint, the server may return fewer
# Page limits (connectors/google/paging.py): far above a real calendar's needs.
EVENT_PAGES = 200  # 50 000 events at full pages
CALENDAR_LIST_PAGES = 20


class GoogleCalendar:
    def __init__(
        self, session: GoogleSession, ctx: AccountContext, options: dict[str, Any]
    ) -> None:
        self.session = session
        self.ctx = ctx
        self.labels: list[str] = list(options.get("calendars") or ["primary"])
        self._ids: dict[str, str] | None = None  # calendar id -> label as configured

    # -- calendars ---------------------------------------------------------------------------

    @property
    def _events(self) -> Any:
        return self.session.service("calendar").events()

    def calendars(self) -> dict[str, str]:
        """Configured calendars as {calendar id: label}; names are looked up in the list."""
        if self._ids is not None:
            return self._ids
        ids: dict[str, str] = {}
        names = [c for c in self.labels if c != "primary" and "@" not in c]
        known: dict[str, str] = {}
        if names:
            known = self._calendar_list()
        for label in self.labels:
            if label in names:
                match = known.get(label) or known.get(label.casefold())
                if match is None:
                    listed = ", ".join(sorted({k for k in known if k == k.casefold()})) or "none"
                    raise ConnectorError(
                        f"account {self.ctx.name!r}: no Google calendar named {label!r} "
                        f"(calendars: {listed})"
                    )
                ids[match] = label
            else:
                ids[label] = label
        self._ids = ids
        return ids

    def _calendar_list(self) -> dict[str, str]:
        found: dict[str, str] = {}
        what = "Google Calendar calendarList.list"

        def fetch(token: str | None) -> dict[str, Any]:
            request = self.session.service("calendar").calendarList().list(pageToken=token)
            return self.session.execute(request, what)

        for page in pages(fetch, what, CALENDAR_LIST_PAGES):
            entries = page.get("items") or []
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                    continue
                for name in (entry.get("summaryOverride"), entry.get("summary")):
                    if isinstance(name, str) and name:
                        found.setdefault(name, entry["id"])
                        found.setdefault(name.casefold(), entry["id"])
        return found

    # -- protocol ----------------------------------------------------------------------------

    def changes(self, cursor: str | None, window: tuple[datetime, datetime]) -> CalendarChanges:
        ids = self.calendars()
        state = _parse_cursor(cursor) if cursor else None
        start, end = window
        if (
            state is None
            or set(state["tokens"]) != set(ids)
            or state["since"] > start
            or state["until"] < end
        ):
            return self._full_sync(ids, start, end + AHEAD_SLACK)
        return self._incremental(ids, state)

    def check(self) -> str:
        ids = self.calendars()
        names = []
        for cal_id, label in ids.items():
            page = self._list_page(
                cal_id, label, {"maxResults": 1, "timeMin": _rfc3339(datetime.now(UTC))}
            )
            summary = page.get("summary")
            names.append(label if not summary or summary == label else f"{label} ({summary})")
        return f"Google Calendar: {len(ids)} calendar(s) readable: {', '.join(names)}"

    # -- sync --------------------------------------------------------------------------------

    def _full_sync(self, ids: dict[str, str], since: datetime, until: datetime) -> CalendarChanges:
        events: dict[str, CalendarEvent] = {}
        problems: list[Problem] = []
        tokens: dict[str, str] = {}
        params = {"timeMin": _rfc3339(since), "timeMax": _rfc3339(until), "maxResults": PAGE_SIZE}
        for cal_id, label in ids.items():
            items, tokens[cal_id], zone = self._pages(cal_id, label, params)
            for raw in items:
                if isinstance(raw, dict) and raw.get("status") == "cancelled":
                    continue
                self._add(raw, cal_id, label, zone, events, problems)
        cursor = _dump_cursor(tokens, since, until)
        log.info(
            "Google Calendar %s: full sync of %d calendar(s), %d event(s)",
            self.ctx.name,
            len(ids),
            len(events),
        )
        return CalendarChanges(
            events=list(events.values()), cursor=cursor, complete=True, problems=problems
        )

    def _incremental(self, ids: dict[str, str], state: dict[str, Any]) -> CalendarChanges:
        events: dict[str, CalendarEvent] = {}
        removed: dict[str, None] = {}
        problems: list[Problem] = []
        tokens: dict[str, str] = {}
        for cal_id, label in ids.items():
            items, tokens[cal_id], zone = self._pages(
                cal_id, label, {"syncToken": state["tokens"][cal_id]}
            )
            for raw in items:
                if isinstance(raw, dict) and raw.get("status") == "cancelled" and raw.get("id"):
                    key = event_id(cal_id, str(raw["id"]))
                    events.pop(key, None)
                    removed[key] = None
                    continue
                key = self._add(raw, cal_id, label, zone, events, problems)
                if key:
                    removed.pop(key, None)
        cursor = _dump_cursor(tokens, state["since"], state["until"])
        return CalendarChanges(
            events=list(events.values()), cursor=cursor, removed=list(removed), problems=problems
        )

    def _add(
        self,
        raw: Any,
        cal_id: str,
        label: str,
        zone: str,
        events: dict[str, CalendarEvent],
        problems: list[Problem],
    ) -> str | None:
        kind = raw.get("eventType") if isinstance(raw, dict) else None
        if isinstance(kind, str) and kind in SKIPPED_EVENT_TYPES:
            return None
        try:
            event = to_event(raw, cal_id, label, zone)
        except BadItem as err:
            problems.append(Problem(err.item, err.message))
            return None
        events[event.id] = event
        return event.id

    def _pages(self, cal_id: str, label: str, params: dict[str, Any]) -> tuple[list[Any], str, str]:
        """All items of one listing, its nextSyncToken and the calendar's time zone."""
        items: list[Any] = []
        last: dict[str, Any] = {}

        def fetch(token: str | None) -> dict[str, Any]:
            return self._list_page(cal_id, label, {**params, "pageToken": token})

        for last in pages(fetch, f"Google Calendar events.list of {label!r}", EVENT_PAGES):
            batch = last.get("items") or []
            if not isinstance(batch, list):
                raise InvalidResponse(
                    f"Google Calendar {label!r}: 'items' is {type(batch).__name__}, not a list"
                )
            items.extend(batch)
        sync = last.get("nextSyncToken")
        if not isinstance(sync, str) or not sync:
            raise InvalidResponse(
                f"Google Calendar {label!r}: the last page has neither nextPageToken nor "
                "nextSyncToken"
            )
        zone = last.get("timeZone")
        return items, sync, zone if isinstance(zone, str) and zone else self.ctx.timezone

    def _list_page(self, cal_id: str, label: str, params: dict[str, Any]) -> dict[str, Any]:
        args = {k: v for k, v in params.items() if v is not None}
        request = self._events.list(calendarId=cal_id, singleEvents=True, **args)
        what = f"Google Calendar events.list of {label!r}"
        try:
            return self.session.execute(request, what)
        except Gone as err:
            raise CursorExpired(
                f"the sync token of Google calendar {label!r} (account {self.ctx.name!r}) "
                "expired (HTTP 410); a full resync follows"
            ) from err
        except NotFound as err:
            raise ConnectorError(
                f"account {self.ctx.name!r}: Google calendar {label!r} does not exist or is not "
                "shared with this account"
            ) from err


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar window times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _dump_cursor(tokens: dict[str, str], since: datetime, until: datetime) -> str:
    return json.dumps(
        {
            "v": CURSOR_VERSION,
            "tokens": tokens,
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
        sort_keys=True,
    )


def _parse_cursor(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(cursor)
        if data.get("v") != CURSOR_VERSION or not isinstance(data.get("tokens"), dict):
            raise ValueError("unknown layout")
        return {
            "tokens": {str(k): str(v) for k, v in data["tokens"].items()},
            "since": datetime.fromisoformat(data["since"]),
            "until": datetime.fromisoformat(data["until"]),
        }
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise CursorExpired(
            "the stored Google Calendar cursor is not one this version understands; "
            "a full resync follows"
        ) from err


__all__ = ["GoogleCalendar", "item_name"]
