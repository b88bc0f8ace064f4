"""Outlook calendars through ``calendarView/delta``: one small request per poll when unchanged.

A delta *round* is bound to the window of its first request; Graph encodes it in every
``@odata.nextLink``/``@odata.deltaLink``. The core's window slides a little each poll, so a
round is started over a window padded ahead (an eighth of its span, at least a day) and kept
until the requested window runs past it; the round's window is stored in the cursor (JSON) next
to each calendar's deltaLink. A new round is a full sync (``complete=True``): the core upserts by
event id, so nothing is duplicated. An expired delta token (410 Gone, ``syncStateNotFound``,
``resyncRequired``) starts a new round at once, dropping any half-read pages.

Events in the padded part of the window are returned too: filtering them out would lose them,
because the round never reports an unchanged event again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.outlook import timefmt
from connectors.outlook.events import label, parse_event
from connectors.outlook.http import PREFER, Graph, SyncStateExpired
from connectors.outlook.lookups import Lookups
from connectors.outlook.shapes import obj, objects, text
from daemon.errors import BadItem, ConnectorError, CursorExpired, InvalidResponse
from daemon.protocols import AccountContext, CalendarChanges, CalendarEvent, Problem

log = logging.getLogger(__name__)

CURSOR_VERSION = 1
PAGE_SIZE = 50
MAX_PAGES = 500  # a runaway nextLink chain is an error, not a hang
CALENDAR_LIST_PAGES = 20  # of 100 calendars each
DEFAULT = "default"  # the key of the default calendar in the cursor
# The common Prefer values plus the page size, in one header (RFC 7240 allows a list).
PAGED = {"Prefer": f"{PREFER}, odata.maxpagesize={PAGE_SIZE}"}


def round_window(window: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    start, end = window
    pad = max(timedelta(days=1), (end - start) / 8)
    return start, end + pad


@dataclass(frozen=True)
class _Target:
    key: str  # DEFAULT or the calendar id
    name: str
    path: str  # the delta path under the API root


class OutlookCalendar:
    """A :class:`daemon.protocols.CalendarSource` over Graph."""

    def __init__(
        self,
        graph: Graph,
        ctx: AccountContext,
        calendars: list[str],
        lookups: Lookups | None = None,
    ) -> None:
        self._graph = graph
        self._ctx = ctx
        self._wanted = list(calendars)
        self._lookups = lookups
        self._targets: list[_Target] | None = None

    # -- protocol ----------------------------------------------------------------------------

    def check(self) -> str:
        targets = self._resolve(fresh=True)
        names = ", ".join(repr(t.name) for t in targets)
        return f"Outlook calendar {names} via {self._graph.base}"

    def changes(self, cursor: str | None, window: tuple[datetime, datetime]) -> CalendarChanges:
        targets = self._resolve()
        state = self._load(cursor, targets)
        if state is not None and not self._covers(state, window):
            log.info("calendar window moved past the current delta round; starting a new round")
            state = None
        if state is not None:
            try:
                return self._collect(targets, state["links"], state["window"], complete=False)
            except SyncStateExpired as err:
                log.info("delta token expired (%s); resynchronising the calendar", err)
        fresh = round_window(window)
        return self._collect(targets, {}, fresh, complete=True)

    # -- rounds ------------------------------------------------------------------------------

    def _collect(
        self,
        targets: list[_Target],
        links: dict[str, str],
        window: tuple[datetime, datetime],
        *,
        complete: bool,
    ) -> CalendarChanges:
        events: dict[str, CalendarEvent] = {}
        removed: dict[str, None] = {}
        problems: list[Problem] = []
        new_links: dict[str, str] = {}
        for target in targets:
            url = links.get(target.key) or self._initial(target, window)
            new_links[target.key] = self._read_round(target, url, events, removed, problems)
        cursor = json.dumps(
            {
                "v": CURSOR_VERSION,
                "window": [window[0].isoformat(), window[1].isoformat()],
                "links": new_links,
            },
            sort_keys=True,
        )
        return CalendarChanges(
            events=list(events.values()),
            cursor=cursor,
            removed=list(removed),
            complete=complete,
            problems=problems,
        )

    def _initial(self, target: _Target, window: tuple[datetime, datetime]) -> str:
        query = f"startDateTime={timefmt.odata(window[0])}&endDateTime={timefmt.odata(window[1])}"
        return f"{target.path}?{query}"

    def _read_round(
        self,
        target: _Target,
        url: str,
        events: dict[str, CalendarEvent],
        removed: dict[str, None],
        problems: list[Problem],
    ) -> str:
        """Follow nextLinks to the deltaLink; return the deltaLink."""
        for _ in range(MAX_PAGES):
            page = self._graph.request("GET", url, headers=PAGED)
            if not isinstance(page, dict) or not isinstance(page.get("value", []), list):
                raise InvalidResponse(
                    f"Microsoft Graph calendarView/delta for calendar {target.name!r} answered "
                    "without a 'value' list"
                )
            for raw in page.get("value", []):
                self._apply(raw, target, events, removed, problems)
            if page.get("@odata.nextLink"):
                url = str(page["@odata.nextLink"])
                continue
            if page.get("@odata.deltaLink"):
                return str(page["@odata.deltaLink"])
            raise InvalidResponse(
                f"Microsoft Graph calendarView/delta for calendar {target.name!r} answered with "
                "neither @odata.nextLink nor @odata.deltaLink"
            )
        raise InvalidResponse(
            f"Microsoft Graph calendarView/delta for calendar {target.name!r} kept paging past "
            f"{MAX_PAGES} pages"
        )

    def _apply(
        self,
        raw: Any,
        target: _Target,
        events: dict[str, CalendarEvent],
        removed: dict[str, None],
        problems: list[Problem],
    ) -> None:
        if isinstance(raw, dict) and "@removed" in raw and isinstance(raw.get("id"), str):
            events.pop(raw["id"], None)
            removed[raw["id"]] = None
            return
        try:
            event = parse_event(raw, target.name, self._ctx.addresses)
        except BadItem as err:
            problems.append(Problem(item=err.item, message=err.message))
            return
        except (TypeError, AttributeError, KeyError) as err:
            problems.append(Problem(item=label(raw), message=f"unexpected shape ({err})"))
            return
        removed.pop(event.id, None)
        events[event.id] = event

    # -- cursor ------------------------------------------------------------------------------

    def _load(self, cursor: str | None, targets: list[_Target]) -> dict[str, Any] | None:
        if cursor is None:
            return None
        try:
            data = json.loads(cursor)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError("another cursor version")
            start, end = (timefmt.parse(v) for v in data["window"])
            links = {str(k): str(v) for k, v in data["links"].items()}
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise CursorExpired(
                f"the stored Outlook calendar cursor is unusable ({err}); a full resync follows"
            ) from None
        if set(links) != {t.key for t in targets}:
            return None  # the configured calendars changed
        if not all(link.startswith(self._graph.base + "/") for link in links.values()):
            return None  # graph_root changed
        return {"window": (start, end), "links": links}

    @staticmethod
    def _covers(state: dict[str, Any], window: tuple[datetime, datetime]) -> bool:
        start, end = state["window"]
        return start <= window[0] and window[1] <= end

    # -- calendars ---------------------------------------------------------------------------

    def _resolve(self, fresh: bool = False) -> list[_Target]:
        """The calendars to read, looked up once a day (:mod:`.lookups`), or ``fresh``."""
        if self._targets is not None and not fresh:
            return self._targets
        if not self._wanted:
            info = obj(self._remember("calendar", self._default, fresh))
            self._targets = [
                _Target(DEFAULT, text(info.get("name")) or "Calendar", "/me/calendarView/delta")
            ]
            return self._targets
        known = objects(self._remember("calendars", self._calendars, fresh))
        targets = []
        for wanted in self._wanted:
            match = next(
                (
                    c
                    for c in known
                    if c.get("id") == wanted or str(c.get("name", "")).lower() == wanted.lower()
                ),
                None,
            )
            if match is None and not fresh and self._lookups is not None:
                return self._resolve(fresh=True)  # made since the list was kept?
            if match is None:
                names = ", ".join(repr(str(c.get("name"))) for c in known) or "none"
                raise ConnectorError(
                    f"Outlook calendar {wanted!r} not found in account {self._ctx.name!r} "
                    f"(calendars: {names}); fix the calendar's 'calendars' option"
                )
            ident = str(match["id"])
            path = f"/me/calendars/{quote(ident, safe='=')}/calendarView/delta"
            targets.append(_Target(ident, str(match.get("name") or ident), path))
        self._targets = targets
        return targets

    def _remember(self, what: str, fetch: Callable[[], Any], fresh: bool) -> Any:
        if self._lookups is None:
            return fetch()
        return self._lookups.remember(f"{self._graph.base} {what}", fetch, fresh=fresh)

    def _default(self) -> dict[str, Any]:
        info = obj(self._graph.get("/me/calendar", {"$select": "id,name"}))
        return {"id": text(info.get("id")), "name": text(info.get("name"))}

    def _calendars(self) -> list[dict[str, Any]]:
        known: list[dict[str, Any]] = []
        url = "/me/calendars?$select=id,name&$top=100"
        for _ in range(CALENDAR_LIST_PAGES):
            page = obj(self._graph.get(url))
            known.extend(
                {"id": c["id"], "name": c.get("name")}
                for c in objects(page.get("value"))
                if text(c.get("id"))
            )
            url = text(page.get("@odata.nextLink")) or ""
            if not url:
                return known
        raise InvalidResponse(
            f"Microsoft Graph kept paging the list of calendars past {CALENDAR_LIST_PAGES} pages"
        )
