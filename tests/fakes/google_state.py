"""The data behind the fake Google server, and the knobs tests turn.

Tests seed calendars and mail through these methods, inspect drafts, script failures
(:meth:`FakeGoogleState.inject`), count requests (:attr:`FakeGoogleState.requests`) and must
end with no :attr:`violations` (send calls, send scopes) and no :attr:`invalid` requests
(calls the real API would reject).
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from tests.fakes.faults import FaultPlan
from tests.fakes.pacing import Pace

SEND_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/gmail.send",
        "https://www.googleapis.com/auth/gmail.modify",
        "https://mail.google.com/",
    }
)
METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"


@dataclass
class Recorded:
    method: str  # discovery method id, or "oauth.token" / "oauth.auth"
    http_method: str
    path: str
    query: dict[str, list[str]]
    body: Any = None
    status: int = 0
    at: float = field(default_factory=time.time)  # when it arrived (wall clock)
    batch: bool = False  # one part of a batch request (the batch itself is method "batch")


@dataclass
class Injected:
    method: str
    status: int | None  # None: drop the connection without an answer
    reason: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after: bool = False  # with status None: do the work, then drop the connection
    raw: bytes | None = None  # answer with this body as is (e.g. a proxy's HTML page)


@dataclass
class Msg:
    id: str
    thread_id: str
    labels: set[str]
    internal: datetime
    raw: bytes
    history_id: int

    def headers(self) -> list[tuple[str, str]]:
        """Header values as the Gmail API shows them: unfolded, encoded words decoded."""
        parsed = BytesParser(policy=email.policy.default).parsebytes(self.raw, headersonly=True)
        return [(k, " ".join(str(v).split())) for k, v in parsed.items()]

    def header(self, name: str) -> str | None:
        for key, value in self.headers():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str = "Europe/Berlin"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)  # event id -> change sequence
    token_epoch: int = 0  # sync tokens of an earlier epoch are gone (410)


class FakeGoogleState:
    def __init__(self, email_address: str = "me@example.com") -> None:
        self.lock = threading.RLock()
        self.email = email_address
        self.clock: datetime | None = None  # None: real time
        self._ids = itertools.count(1)
        # OAuth
        self.clients: dict[str, str] = {"followupd-test.apps.googleusercontent.com": "s3cret"}
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.consent: str | list[str] = "grant"  # "grant", "deny" or the scopes to grant
        self.token_lifetime = 3600
        # Calendar
        self.calendars: dict[str, Calendar] = {
            email_address: Calendar(email_address, email_address)
        }
        self.seq = 0
        self.max_page: int | None = None  # the server returns at most this many items per page
        # Gmail
        self.messages: dict[str, Msg] = {}
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.history: list[dict[str, Any]] = []
        self.history_id = 1000
        self.min_history_id = 0
        self.rewrite_message_ids = False  # Gmail may replace a supplied Message-ID
        # Test bookkeeping
        self.requests: list[Recorded] = []
        self.injected: list[Injected] = []
        self.faults = FaultPlan()  # scripted and random faults (tests/fakes/faults.py)
        self.pace = Pace()  # latency per request, requests in flight (tests/fakes/pacing.py)
        self.violations: list[str] = []
        self.invalid: list[str] = []

    # -- general -------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    @property
    def latency(self) -> float:
        """Seconds every request waits before it is served (outside any lock)."""
        return self.pace.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.pace.latency = seconds

    @property
    def max_in_flight(self) -> int:
        """The most requests served at once so far."""
        return self.pace.max_in_flight

    def new_id(self, prefix: str = "") -> str:
        number = next(self._ids)
        return prefix + hashlib.sha1(f"{prefix}{number}".encode()).hexdigest()[:16]

    def inject(
        self,
        method: str,
        status: int | None,
        reason: str = "",
        message: str = "",
        headers: dict[str, str] | None = None,
        times: int = 1,
        after: bool = False,
        raw: bytes | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (a discovery id or "oauth.token") fail so.

        ``status=None`` drops the connection without an answer; with ``after=True`` the request
        is carried out first (the answer is lost, the effect is not). ``raw`` answers with that
        body as it is.
        """
        with self.lock:
            self.injected.append(
                Injected(method, status, reason, message, headers or {}, times, after, raw)
            )

    def take_injected(self, method: str) -> Injected | None:
        with self.lock:
            for item in self.injected:
                if item.method == method and item.times > 0:
                    item.times -= 1
                    return item
        return None

    def count(self, since: int = 0, method: str | None = None) -> int:
        return sum(1 for r in self.requests[since:] if method is None or r.method == method)

    def on_the_wire(self, since: int = 0) -> list[Recorded]:
        """The HTTP requests that reached the fake (a batch counts once, its parts not)."""
        return [r for r in self.requests[since:] if not r.batch]

    def api_requests(self, since: int = 0) -> list[Recorded]:
        return [r for r in self.requests[since:] if not r.method.startswith("oauth.")]

    # -- OAuth ---------------------------------------------------------------------------

    def issue_refresh_token(self, client_id: str, scopes: list[str]) -> str:
        with self.lock:
            token = "1//" + self.new_id("rt")
            self.refresh_tokens[token] = {
                "client_id": client_id,
                "scopes": list(scopes),
                "revoked": False,
            }
            return token

    def issue_access_token(self, scopes: list[str], refresh_token: str | None = None) -> str:
        with self.lock:
            token = "ya29." + self.new_id("at")
            self.access_tokens[token] = {
                "scopes": set(scopes),
                "expires": datetime.now(UTC) + timedelta(seconds=self.token_lifetime),
                "refresh": refresh_token,
            }
            return token

    def revoke_all(self) -> None:
        """The user revoked access (or a Testing app's 7 days ran out): invalid_grant."""
        with self.lock:
            for entry in self.refresh_tokens.values():
                entry["revoked"] = True
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()

    # -- Calendar ------------------------------------------------------------------------

    def calendar(self, cal_id: str) -> Calendar | None:
        return self.calendars.get(self.email if cal_id == "primary" else cal_id)

    def add_calendar(self, cal_id: str, summary: str, time_zone: str = "Europe/Berlin") -> Calendar:
        with self.lock:
            self.calendars[cal_id] = Calendar(cal_id, summary, time_zone)
            return self.calendars[cal_id]

    def put_event(self, event: dict[str, Any], calendar: str = "primary") -> dict[str, Any]:
        """Create or replace an event (an instance, when it has recurringEventId)."""
        with self.lock:
            cal = self.calendar(calendar)
            assert cal is not None, f"no calendar {calendar}"
            self.seq += 1
            stored = {
                "kind": "calendar#event",
                "etag": f'"{self.seq}"',
                "status": "confirmed",
                "created": self.now().isoformat().replace("+00:00", "Z"),
                "eventType": "default",
                **event,
                "updated": self.now().isoformat().replace("+00:00", "Z"),
            }
            stored.setdefault("id", self.new_id("ev"))
            cal.events[stored["id"]] = stored
            cal.changed[stored["id"]] = self.seq
            return stored

    def cancel_event(self, event_id: str, calendar: str = "primary") -> None:
        with self.lock:
            cal = self.calendar(calendar)
            assert cal is not None and event_id in cal.events
            self.seq += 1
            cal.events[event_id]["status"] = "cancelled"
            cal.changed[event_id] = self.seq

    def move_event(self, event_id: str, source: str, target: str) -> None:
        """events.move: cancelled in the source calendar, present (same id) in the target."""
        with self.lock:
            src = self.calendar(source)
            assert src is not None
            event = dict(src.events[event_id])
            self.cancel_event(event_id, source)
            event["status"] = "confirmed"
            self.put_event(event, target)

    def expire_sync_tokens(self, calendar: str = "primary") -> None:
        with self.lock:
            cal = self.calendar(calendar)
            assert cal is not None
            cal.token_epoch += 1

    # -- Gmail ---------------------------------------------------------------------------

    def _record_added(self, msg: Msg) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        self.history.append(
            {
                "id": str(self.history_id),
                "messagesAdded": [
                    {
                        "message": {
                            "id": msg.id,
                            "threadId": msg.thread_id,
                            "labelIds": sorted(msg.labels),
                        }
                    }
                ],
            }
        )

    def _record_deleted(self, msg: Msg) -> None:
        self.history_id += 1
        gone = {"message": {"id": msg.id, "threadId": msg.thread_id}}
        self.history.append({"id": str(self.history_id), "messagesDeleted": [gone]})

    def change_labels(
        self,
        msg_id: str,
        add: set[str] | frozenset[str] = frozenset(),
        remove: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """The user (or a filter) changed a message's labels: read it, starred it, archived
        it. Gmail records one history entry: ``labelsAdded`` and/or ``labelsRemoved``, each
        with the message (id, threadId, its labels after the change) and the labels."""
        with self.lock:
            msg = self.messages[msg_id]
            added, removed = set(add) - msg.labels, set(remove) & msg.labels
            msg.labels = (msg.labels | added) - removed
            self.history_id += 1
            msg.history_id = self.history_id
            record: dict[str, Any] = {"id": str(self.history_id)}
            ref = {"id": msg.id, "threadId": msg.thread_id, "labelIds": sorted(msg.labels)}
            if added:
                record["labelsAdded"] = [{"message": ref, "labelIds": sorted(added)}]
            if removed:
                record["labelsRemoved"] = [{"message": ref, "labelIds": sorted(removed)}]
            if added or removed:
                self.history.append(record)

    def store_message(
        self, raw: bytes, labels: set[str], thread_id: str | None = None, at: datetime | None = None
    ) -> Msg:
        with self.lock:
            msg_id = self.new_id("m")
            msg = Msg(msg_id, thread_id or msg_id, set(labels), at or self.now(), raw, 0)
            self.messages[msg_id] = msg
            self._record_added(msg)
            return msg

    def receive(
        self,
        sender: str,
        subject: str,
        *,
        at: datetime | None = None,
        headers: dict[str, str] | None = None,
        thread_id: str | None = None,
        in_reply_to: str | None = None,
        body: str = "Hello",
    ) -> Msg:
        """A message arrives in the inbox."""
        mail = EmailMessage()
        mail["From"] = sender
        mail["To"] = self.email
        mail["Subject"] = subject
        mail["Message-ID"] = f"<{self.new_id('mid')}@mail.example.net>"
        if in_reply_to:
            mail["In-Reply-To"] = in_reply_to
            mail["References"] = in_reply_to
        for key, value in (headers or {}).items():
            mail[key] = value
        mail.set_content(body)
        return self.store_message(bytes(mail), {"INBOX", "UNREAD"}, thread_id, at)

    def thread_messages(self, thread_id: str) -> list[Msg]:
        return sorted(
            (m for m in self.messages.values() if m.thread_id == thread_id),
            key=lambda m: m.internal,
        )

    def draft_message(self, draft_id: str) -> Msg:
        return self.messages[self.drafts[draft_id]]

    def delete_draft(self, draft_id: str) -> None:
        """The user deleted the draft in Gmail."""
        with self.lock:
            msg = self.messages.pop(self.drafts.pop(draft_id))
            self._record_deleted(msg)

    def edit_draft_as_user(
        self,
        draft_id: str,
        *,
        text: str | None = None,
        html: str | None = None,
        subject: str | None = None,
    ) -> Msg:
        """The user edited the draft in Gmail's web interface and it was saved.

        Gmail stores every save as a new message (new message id, same thread) under the same
        draft id; the old message is gone. An edit in the web interface is HTML with a plain
        alternative; ``html`` alone saves an HTML-only body.
        """
        with self.lock:
            old = self.messages.pop(self.drafts[draft_id])
            self._record_deleted(old)
            parsed = BytesParser(policy=email.policy.default).parsebytes(old.raw)
            mail = EmailMessage()
            for name, value in parsed.items():
                if name.lower() not in (
                    "content-type",
                    "content-transfer-encoding",
                    "mime-version",
                ):
                    mail[name] = value
            if subject is not None:
                mail.replace_header("Subject", subject)
            plain = parsed.get_body(("plain",))
            if text is not None or html is None:
                mail.set_content(text if text is not None else plain.get_content())
                if html is not None:
                    mail.add_alternative(html, subtype="html")
            else:
                mail.set_content(html, subtype="html")
            msg = self.store_message(bytes(mail), {"DRAFT"}, old.thread_id)
            self.drafts[draft_id] = msg.id
            return msg

    def send_draft_as_user(
        self, draft_id: str, *, at: datetime | None = None, keep_headers: bool = False
    ) -> Msg:
        """The user pressed Send in Gmail's web interface.

        Gmail builds a new message: new id, new Message-ID, custom X- headers dropped (unless
        ``keep_headers``), threading headers kept; the draft id disappears.
        """
        with self.lock:
            draft = self.messages.pop(self.drafts.pop(draft_id))
            self._record_deleted(draft)
            parsed = BytesParser(policy=email.policy.default).parsebytes(draft.raw)
            if not keep_headers:
                for name in [k for k in parsed if k.lower().startswith("x-")]:
                    del parsed[name]
                del parsed["Message-ID"]
                parsed["Message-ID"] = f"<CA{self.new_id('sent')}@mail.gmail.com>"
            del parsed["Date"]
            parsed["Date"] = email.utils.format_datetime(at or self.now())
            return self.store_message(bytes(parsed), {"SENT"}, draft.thread_id, at)

    def user_sends(
        self, to: str, subject: str, *, at: datetime | None = None, thread_id: str | None = None
    ) -> Msg:
        mail = EmailMessage()
        mail["From"] = self.email
        mail["To"] = to
        mail["Subject"] = subject
        mail["Message-ID"] = f"<CA{self.new_id('own')}@mail.gmail.com>"
        mail.set_content("sent by hand")
        return self.store_message(bytes(mail), {"SENT"}, thread_id, at)

    def expire_history(self) -> None:
        with self.lock:
            self.min_history_id = self.history_id + 1

    def drafts_with_key(self, key: str) -> list[str]:
        """Test bookkeeping: the drafts followupd made for ``key`` (by the Message-ID derived
        from it, or the header drafts carried before issue 10)."""
        from daemon.message import is_message_id_of

        return [
            d
            for d, m in self.drafts.items()
            if is_message_id_of(self.messages[m].header("Message-ID"), key)
            or self.messages[m].header("X-Followupd-Key") == key
        ]
