"""Fake Google Calendar: ``events.list`` (paging, sync tokens, 410) and ``calendarList.list``."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.google_http import Request, Response, google_error, json_response
from tests.fakes.google_state import Calendar, FakeGoogleState

# Google rejects these together with syncToken.
NOT_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode(token: str) -> dict[str, Any] | None:
    try:
        return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        return None


def _moment(value: dict[str, Any], zone: str) -> datetime:
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"])
        return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
    return datetime.combine(date.fromisoformat(value["date"]), time(0), tzinfo=ZoneInfo(zone))


def _overlaps(event: dict[str, Any], cal: Calendar, low: str | None, high: str | None) -> bool:
    start = _moment(event["start"], cal.time_zone)
    end = _moment(event.get("end", event["start"]), cal.time_zone)
    if low and end <= datetime.fromisoformat(low):
        return False
    return not (high and start >= datetime.fromisoformat(high))


def _wire(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("status") == "cancelled":
        # Deleted events come back with hardly more than their id.
        return {
            "kind": "calendar#event",
            "etag": event["etag"],
            "id": event["id"],
            "status": "cancelled",
        }
    return dict(event)


def events_list(state: FakeGoogleState, req: Request, params: dict[str, str]) -> Response:
    cal = state.calendar(params["calendarId"])
    if cal is None:
        return google_error(404, "Not Found", "notFound")
    sync, page = req.one("syncToken"), req.one("pageToken")
    single = req.one("singleEvents", "false")
    if sync and any(k in req.query for k in NOT_WITH_SYNC_TOKEN):
        state.invalid.append("events.list: syncToken combined with a parameter it excludes")
        return google_error(400, "Invalid sync token value.", "invalid")
    position = _decode(page) if page else {"offset": 0, "snap": state.seq}
    if position is None:
        return google_error(400, "Invalid page token value.", "invalid")
    if sync:
        since = _decode(sync)
        if since is None or since.get("cal") != cal.id or since.get("epoch") != cal.token_epoch:
            return google_error(
                410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired"
            )
        if since.get("single") != single:
            state.invalid.append("events.list: singleEvents differs from the initial sync")
            return google_error(400, "singleEvents must match the sync token's request", "invalid")
        changed = sorted(
            (i for i, s in cal.changed.items() if since["seq"] < s <= position["snap"]),
            key=lambda i: cal.changed[i],
        )
        items = [_wire(cal.events[i]) for i in changed]
    else:
        show_deleted = req.one("showDeleted") == "true"
        items = [
            _wire(e)
            for e in cal.events.values()
            if (show_deleted or e.get("status") != "cancelled")
            and _overlaps(e, cal, req.one("timeMin"), req.one("timeMax"))
        ]
        items.sort(
            key=lambda e: _moment(e["start"], cal.time_zone) if "start" in e else datetime.min
        )
    size = min(int(req.one("maxResults") or 250), state.max_page or 10**9)
    offset = position["offset"]
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{state.seq}"',
        "summary": cal.summary,
        "description": "",
        "updated": state.now().isoformat().replace("+00:00", "Z"),
        "timeZone": cal.time_zone,
        "accessRole": "owner",
        "defaultReminders": [],
        "items": items[offset : offset + size],
    }
    if offset + size < len(items):
        body["nextPageToken"] = _encode({"offset": offset + size, "snap": position["snap"]})
    else:
        body["nextSyncToken"] = _encode(
            {"cal": cal.id, "seq": position["snap"], "single": single, "epoch": cal.token_epoch}
        )
    return json_response(body)


def calendar_list(state: FakeGoogleState, req: Request, params: dict[str, str]) -> Response:
    items = [
        {
            "kind": "calendar#calendarListEntry",
            "etag": '"1"',
            "id": c.id,
            "summary": c.summary,
            "timeZone": c.time_zone,
            "accessRole": "owner",
            "primary": c.id == state.email,
        }
        for c in state.calendars.values()
    ]
    return json_response({"kind": "calendar#calendarList", "etag": '"1"', "items": items})


HANDLERS = {
    "calendar.events.list": events_list,
    "calendar.calendarList.list": calendar_list,
}
