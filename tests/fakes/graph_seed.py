"""The data behind the fake Graph server: a user, calendars with events, a mailbox.

Tests seed it (``add_event``, ``add_series``, ``deliver``) and play the user (``user_sends``,
``user_deletes``, ``move_occurrence``); the server renders it as Graph JSON. Every event change
bumps a sequence number so ``calendarView/delta`` can answer "what changed since the token".
"""

from __future__ import annotations

import html
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def graph_time(value: datetime) -> str:
    """Graph's seven fractional digits, no zone."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


def stamp(value: datetime) -> str:
    """A DateTimeOffset as Graph writes it (UTC, Z)."""
    return f"{value.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def utcnow() -> datetime:
    return datetime.now(UTC)


def _who(address: str, name: str | None = None) -> dict[str, Any]:
    return {"emailAddress": {"address": address, "name": name or address.split("@")[0]}}


@dataclass
class GraphSeed:
    lock: threading.RLock = field(default_factory=threading.RLock)
    user: dict[str, str] = field(
        default_factory=lambda: {
            "id": "user-1",
            "displayName": "Casey Candidate",
            "mail": "casey@contoso.example",
            "userPrincipalName": "casey@contoso.example",
        }
    )
    folders: dict[str, str] = field(
        default_factory=lambda: {
            name: f"FOLDER-{name.upper()}"
            for name in ("inbox", "drafts", "sentitems", "deleteditems", "archive")
        }
    )
    calendars: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "CAL-DEFAULT": {"id": "CAL-DEFAULT", "name": "Calendar", "isDefaultCalendar": True},
            "CAL-JOBS": {"id": "CAL-JOBS", "name": "Job search", "isDefaultCalendar": False},
        }
    )
    default_calendar: str = "CAL-DEFAULT"
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    seq: int = 0
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What "now" is for the service: the time it stamps on new and changed items. Tests that
    # drive the daemon through simulated time (run --once --now) set it to the simulated time,
    # as the real service's clock would agree with the user's.
    clock: Callable[[], datetime] = utcnow

    # -- calendar ----------------------------------------------------------------------------

    def add_event(
        self,
        subject: str,
        start: datetime,
        end: datetime | None = None,
        *,
        calendar: str | None = None,
        attendees: tuple[tuple[str, str, str, str], ...] = (),
        organizer: tuple[str, str] | None = None,
        is_organizer: bool = False,
        categories: tuple[str, ...] = (),
        show_as: str = "busy",
        body: str = "",
        location: str = "",
        kind: str = "singleInstance",
        series: str | None = None,
        ident: str | None = None,
    ) -> str:
        """attendees: (address, name, "required"|"optional"|"resource", response)."""
        ident = ident or "EVT-" + secrets.token_hex(6)
        cal = calendar or self.default_calendar
        organizer = organizer or ("recruiter@acme.example", "Rita Recruiter")
        event = {
            "id": ident,
            "subject": subject,
            "start": start,
            "end": end or start + timedelta(hours=1),
            "isAllDay": False,
            "isCancelled": False,
            "isOrganizer": is_organizer,
            "organizer": _who(*organizer),
            "categories": list(categories),
            "showAs": show_as,
            "body": body,
            "location": location,
            "type": kind,
            "seriesMasterId": series,
            "originalStartTimeZone": "Pacific Standard Time",
            "attendees": [
                {**_who(a, n), "type": t, "status": {"response": r, "time": "0001-01-01T00:00:00Z"}}
                for a, n, t, r in attendees
            ],
        }
        with self.lock:
            self.events.setdefault(cal, {})[ident] = event
            self._touch(cal, ident)
        return ident

    def add_series(
        self,
        subject: str,
        first: datetime,
        count: int,
        every: timedelta = timedelta(days=7),
        **kwargs: Any,
    ) -> tuple[str, list[str]]:
        """A recurring series: only its instances appear in a calendar view."""
        master = "SER-" + secrets.token_hex(6)
        ids = [
            self.add_event(
                subject,
                first + i * every,
                kind="occurrence",
                series=master,
                ident=f"{master}-OCC{i}",
                **kwargs,
            )
            for i in range(count)
        ]
        return master, ids

    def update_event(self, ident: str, **changes: Any) -> None:
        with self.lock:
            cal, event = self._event(ident)
            event.update(changes)
            self._touch(cal, ident)

    def move_occurrence(self, ident: str, start: datetime) -> None:
        """The organizer moves one instance: it becomes an exception with the same id."""
        with self.lock:
            cal, event = self._event(ident)
            length = event["end"] - event["start"]
            event.update(start=start, end=start + length, type="exception")
            self._touch(cal, ident)

    def cancel_event(self, ident: str) -> None:
        """The organizer cancels: the attendee's copy stays, marked cancelled."""
        with self.lock:
            cal, event = self._event(ident)
            event.update(isCancelled=True, subject="Canceled: " + event["subject"])
            self._touch(cal, ident)

    def delete_event(self, ident: str) -> None:
        with self.lock:
            cal, _ = self._event(ident)
            del self.events[cal][ident]
            self._touch(cal, ident)

    def _event(self, ident: str) -> tuple[str, dict[str, Any]]:
        for cal, events in self.events.items():
            if ident in events:
                return cal, events[ident]
        raise KeyError(ident)

    def _touch(self, cal: str, ident: str) -> None:
        self.seq += 1
        self.changes.append((self.seq, cal, ident))
        if ident in self.events.get(cal, {}):
            self.events[cal][ident]["lastModified"] = self.clock()

    @staticmethod
    def overlaps(event: dict[str, Any], start: datetime, end: datetime) -> bool:
        return event["start"] < end and event["end"] > start

    def render_event(self, event: dict[str, Any], utc: bool) -> dict[str, Any]:
        zone, label = (UTC, "UTC") if utc else (PACIFIC, "Pacific Standard Time")
        modified = event.get("lastModified") or self.clock()
        out = {
            key: event[key]
            for key in (
                "id",
                "subject",
                "isAllDay",
                "isCancelled",
                "isOrganizer",
                "organizer",
                "categories",
                "showAs",
                "type",
                "seriesMasterId",
                "attendees",
                "originalStartTimeZone",
            )
        }
        out.update(
            {
                "@odata.etag": 'W/"' + secrets.token_hex(4) + '"',
                "start": {
                    "dateTime": graph_time(event["start"].astimezone(zone)),
                    "timeZone": label,
                },
                "end": {"dateTime": graph_time(event["end"].astimezone(zone)), "timeZone": label},
                "body": {"contentType": "text", "content": event["body"]},
                "bodyPreview": event["body"][:255],
                "location": {"displayName": event["location"]},
                "lastModifiedDateTime": f"{graph_time(modified.astimezone(UTC))}Z",
            }
        )
        out.update(event.get("raw") or {})  # a test's deliberately broken fields
        return out

    # -- mail: playing the outside world and the user ----------------------------------------

    def deliver(
        self,
        sender: str,
        subject: str,
        *,
        received: datetime | None = None,
        name: str | None = None,
        headers: dict[str, str] | None = None,
        preview: str = "Thanks for your note.",
        conversation: str | None = None,
        folder: str = "inbox",
    ) -> str:
        """A message arrives (or, with the user's own address and folder='sentitems', is sent)."""
        received = received or self.clock()
        all_headers = {
            "Received": "from mail.acme.example by outlook.example; " + stamp(received),
            "From": f"{name or sender} <{sender}>",
            "To": self.user["mail"],
            "Subject": subject,
            "X-Auto-Response-Suppress": "All",  # Outlook puts it on ordinary mail: not a marker
            **(headers or {}),
        }
        with self.lock:
            message = self._new(folder, is_draft=False)
            message.update(
                {
                    "subject": subject,
                    "bodyPreview": preview,
                    "body": {"contentType": "text", "content": preview},
                    "from": _who(sender, name),
                    "sender": _who(sender, name),
                    "toRecipients": [_who(self.user["mail"])],
                    "receivedDateTime": stamp(received),
                    "sentDateTime": stamp(received),
                    "conversationId": conversation or message["conversationId"],
                    "_headers": [{"name": k, "value": v} for k, v in all_headers.items()],
                }
            )
        return message["id"]

    def user_sends(self, ident: str, at: datetime | None = None) -> None:
        """The user presses Send on a draft in Outlook."""
        at = at or self.clock()
        with self.lock:
            message = self.messages[ident]
            message.update(isDraft=False, sentDateTime=stamp(at), receivedDateTime=stamp(at))
            message["_folder"] = "sentitems"

    def user_writes(
        self, to: str, subject: str, *, name: str | None = None, at: datetime | None = None
    ) -> str:
        """The user writes and sends a message of their own (Outlook on the web, the phone):
        it lands in Sent Items with its own ids, and no followupd property or header."""
        at = at or self.clock()
        with self.lock:
            message = self._new("sentitems", is_draft=False)
            message.update(
                {
                    "subject": subject,
                    "bodyPreview": "Thank you for the conversation today.",
                    "body": {"contentType": "text", "content": "Thank you for the conversation."},
                    "toRecipients": [_who(to, name)],
                    "receivedDateTime": stamp(at),
                    "sentDateTime": stamp(at),
                    "createdDateTime": stamp(at),
                    "lastModifiedDateTime": stamp(at),
                }
            )
        return message["id"]

    def user_edits(
        self,
        ident: str,
        *,
        subject: str | None = None,
        html: str | None = None,
        text: str | None = None,
    ) -> None:
        """The user edits a draft in Outlook and it is saved: same item, same id, a new body
        (Outlook on the web saves HTML), a new lastModifiedDateTime."""
        with self.lock:
            message = self.messages[ident]
            if subject is not None:
                message["subject"] = subject
            if html is not None:
                message["body"] = {"contentType": "html", "content": html}
            elif text is not None:
                message["body"] = {"contentType": "text", "content": text}
            message["lastModifiedDateTime"] = stamp(self.clock())

    def user_deletes(self, ident: str, hard: bool = False) -> None:
        with self.lock:
            if hard:
                del self.messages[ident]
            else:
                self.messages[ident]["_folder"] = "deleteditems"

    # -- mail: what the API does -------------------------------------------------------------

    def _new(self, folder: str, *, is_draft: bool) -> dict[str, Any]:
        ident = "AAMk" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        now = stamp(self.clock())
        message = {
            "id": ident,
            "subject": "",
            "bodyPreview": "",
            "body": {"contentType": "text", "content": ""},
            "from": _who(self.user["mail"], self.user["displayName"]),
            "sender": _who(self.user["mail"], self.user["displayName"]),
            "toRecipients": [],
            "ccRecipients": [],
            "createdDateTime": now,
            "lastModifiedDateTime": now,
            "receivedDateTime": now,
            "sentDateTime": now,
            "isDraft": is_draft,
            "isRead": True,
            "inferenceClassification": "focused",
            "conversationId": "CONV-" + secrets.token_hex(8),
            "internetMessageId": f"<{secrets.token_hex(8)}@fake.outlook.example>",
            "_folder": folder,
            "_props": [],
            "_headers": [],
        }
        self.messages[ident] = message
        return message

    def create_draft(self, body: dict[str, Any]) -> dict[str, Any]:
        message = self._new("drafts", is_draft=True)
        self.update(message, {k: v for k, v in body.items() if k != "internetMessageHeaders"})
        message["_headers"] = list(body.get("internetMessageHeaders") or [])
        return message

    def create_reply(
        self, parent: dict[str, Any], inner: dict[str, Any], comment: str | None
    ) -> dict[str, Any]:
        reply = self._new("drafts", is_draft=True)
        quoted = (
            f"\n\nFrom: {parent['from']['emailAddress']['address']}\n{parent['body']['content']}"
        )
        reply.update(
            {
                "subject": "RE: " + parent["subject"],
                "toRecipients": list(parent.get("replyTo") or [parent["from"]]),
                "conversationId": parent["conversationId"],
                "body": {"contentType": "text", "content": (comment or "") + quoted},
                "bodyPreview": (comment or "")[:255],
            }
        )
        self.update(reply, inner)
        return reply

    def update(self, message: dict[str, Any], body: dict[str, Any]) -> None:
        if "internetMessageId" in body and not message["isDraft"]:
            raise GraphError(
                400,
                "ErrorInvalidPropertyUpdateSentMessage",
                "Update operation is invalid for property of a sent message.",
            )
        for key, value in body.items():
            if key == "singleValueExtendedProperties":
                kept = [p for p in message["_props"] if p["id"] not in {v["id"] for v in value}]
                message["_props"] = kept + [dict(v) for v in value]
            elif key == "body":
                message["body"] = dict(value)
                message["bodyPreview"] = re.sub(r"<[^>]+>", "", value.get("content", ""))[:255]
            else:
                message[key] = value
        message["lastModifiedDateTime"] = stamp(self.clock())

    def move(self, message: dict[str, Any], folder: str) -> None:
        message["_folder"] = folder

    def lookup(self, ident: str, immutable: bool) -> dict[str, Any] | None:
        """Without ImmutableId an id names the item in its folder, and breaks when it moves."""
        base, _, folder = ident.partition("~")
        message = self.messages.get(base)
        if message is None or (not immutable and folder != message["_folder"]):
            return None
        return message

    def filterable(self, message: dict[str, Any]) -> dict[str, Any]:
        view = {k: v for k, v in message.items() if not k.startswith("_")}
        view["singleValueExtendedProperties"] = message["_props"]
        view["parentFolderId"] = self.folders[message["_folder"]]
        return view

    def render_message(
        self,
        message: dict[str, Any],
        query: dict[str, str] | None,
        immutable: bool,
        body_type: str | None = None,
    ) -> dict[str, Any]:
        """``body_type`` ("html" or "text", from ``Prefer: outlook.body-content-type``): the body
        converted to it as Graph converts; None: as stored."""
        view = self.filterable(message)
        if body_type is not None:
            view["body"] = body_as(message["body"], body_type)
        view["id"] = message["id"] if immutable else f"{message['id']}~{message['_folder']}"
        view["internetMessageHeaders"] = message["_headers"]
        select = (query or {}).get("$select")
        fields = [f.strip() for f in select.split(",")] if select else DEFAULT_FIELDS
        out = {"@odata.etag": 'W/"' + secrets.token_hex(4) + '"', "id": view["id"]}
        out.update({f: view.get(f) for f in fields if f in view})
        expand = re.search(
            r"singleValueExtendedProperties\(\$filter=id eq '(.+)'\)",
            (query or {}).get("$expand", ""),
        )
        if expand:
            wanted = expand.group(1).replace("''", "'")
            out["singleValueExtendedProperties"] = [
                p for p in message["_props"] if p["id"] == wanted
            ]
        return out

    def message(self, ident: str) -> dict[str, Any]:
        return self.messages[ident]

    def extended(self, ident: str) -> dict[str, str]:
        """The extended properties of a message, by property id (for assertions)."""
        return {p["id"]: p["value"] for p in self.messages[ident]["_props"]}

    def headers_of(self, ident: str) -> dict[str, str]:
        return {h["name"]: h["value"] for h in self.messages[ident]["_headers"]}


_DOCUMENT = (
    '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
    "{style}</head>\r\n<body>\r\n{body}\r\n</body>\r\n</html>\r\n"
)
_STYLE = '<style type="text/css" style="display:none">\r\nP {margin-top:0;margin-bottom:0;}\r\n</style>\r\n'


def body_as(body: dict[str, Any], wanted: str) -> dict[str, str]:
    """A stored body as Graph returns it in ``wanted`` form: Exchange keeps one body per item
    and converts on the way out. HTML comes back as a whole document (head, meta, style), a
    text body as HTML in a ``PlainText`` div with a <br> per line; HTML as text loses its
    tags, a line per block or <br>."""
    kind = str(body.get("contentType") or "text").lower()
    content = str(body.get("content") or "")
    if kind == wanted:
        if kind == "html" and "<html" not in content.lower():
            content = _DOCUMENT.format(style=_STYLE, body=content)
        return {"contentType": wanted, "content": content}
    if wanted == "html":
        lines = html.escape(content, quote=False).replace("\r\n", "\n").split("\n")
        inner = '<div class="PlainText">' + "<br>\r\n".join(lines) + "</div>"
        return {"contentType": "html", "content": _DOCUMENT.format(style="", body=inner)}
    flat = re.sub(r"(?is)<(head|style|script)\b.*?</\1>", "", content)
    flat = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)>", "\r\n", flat)
    flat = html.unescape(re.sub(r"<[^>]+>", "", flat))
    return {"contentType": "text", "content": flat.strip()}


DEFAULT_FIELDS = [
    "id",
    "subject",
    "bodyPreview",
    "body",
    "from",
    "sender",
    "toRecipients",
    "ccRecipients",
    "receivedDateTime",
    "sentDateTime",
    "createdDateTime",
    "lastModifiedDateTime",
    "isDraft",
    "isRead",
    "conversationId",
    "internetMessageId",
    "parentFolderId",
    "inferenceClassification",
]
