"""Gmail reply detection with headers only: history when possible, a bounded scan when not.

The ``gmail.metadata`` scope cannot search (``q`` is refused), so:

* with a cursor (a ``historyId``), ``users.history.list`` with ``historyTypes=messageAdded``
  returns only what arrived since; an unchanged mailbox costs that one request. Each new message
  that is not the user's own (labels DRAFT/SENT) is read with ``format=metadata``. HTTP 404 means
  the history is too old: :class:`~daemon.errors.CursorExpired`.
* without a cursor (first run, or the watched senders changed), the current ``historyId`` is
  read first (so nothing that arrives during the scan is missed), then ``messages.list`` is paged
  newest first and stops at the first page that reaches back past ``since``.

Own messages never count (DRAFT/SENT labels or a From that is one of the account's addresses);
auto-replies are classified by :func:`daemon.autoreply.is_auto_reply` from the headers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from email.utils import getaddresses
from typing import Any

from connectors.google.errors import NotFound
from connectors.google.http import GoogleSession
from connectors.google.mailmeta import (
    as_headers,
    decoded,
    header,
    id_text,
    internal_date,
    labels,
)
from connectors.google.paging import TooManyPages, entries, pages
from daemon.autoreply import is_auto_reply
from daemon.errors import BadItem, CursorExpired, InvalidResponse
from daemon.protocols import AccountContext, InboundMessage, InboundMessages, Problem

log = logging.getLogger(__name__)

OWN_LABELS = frozenset({"DRAFT", "SENT"})
PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 500
# Page limits (connectors/google/paging.py). Past HISTORY_PAGES the history is dropped for a
# scan; a scan reads at most SCAN_PAGES pages, newest first.
HISTORY_PAGES = 100
SCAN_PAGES = 50


class GmailInbound:
    def __init__(self, session: GoogleSession, ctx: AccountContext) -> None:
        self.session = session
        self.ctx = ctx
        self.own = {a.lower() for a in ctx.addresses}

    @property
    def _users(self) -> Any:
        return self.session.service("gmail").users()

    def messages_since(
        self, since: datetime, senders: Sequence[str], domains: Sequence[str], cursor: str | None
    ) -> InboundMessages:
        watch = _Watch(senders, domains)
        if cursor:
            ids, new_cursor = self._history(cursor)
            out = InboundMessages(messages=[], cursor=new_cursor)
            for message_id in ids:
                message = self._get(message_id)
                if message is not None:
                    self._consider(message, since, watch, out)
            return out
        out = InboundMessages(messages=[], cursor=self.history_id())
        if not watch.empty:
            self._scan(since, watch, out)
        return out

    def history_id(self) -> str:
        profile = self.session.execute(
            self._users.getProfile(userId="me"), "Gmail users.getProfile"
        )
        value = _history_id(profile.get("historyId"))
        if value is None:
            raise InvalidResponse(
                "Gmail users.getProfile: expected a historyId (a number) in the answer, got "
                f"{profile.get('historyId')!r}"
            )
        return value

    # -- sources of message ids --------------------------------------------------------------

    def _history(self, cursor: str) -> tuple[list[str], str]:
        if not cursor.isdigit():
            raise CursorExpired(
                f"the stored Gmail cursor of account {self.ctx.name!r} is not a history id; "
                "a full scan follows"
            )
        ids: dict[str, None] = {}
        latest = cursor

        def fetch(token: str | None) -> dict[str, Any]:
            request = self._users.history().list(
                userId="me",
                startHistoryId=cursor,
                historyTypes=["messageAdded"],
                maxResults=HISTORY_PAGE_SIZE,
                pageToken=token,
            )
            try:
                return self.session.execute(request, "Gmail history.list")
            except NotFound as err:
                raise CursorExpired(
                    f"Gmail history from {cursor} is no longer available for account "
                    f"{self.ctx.name!r}; a full scan follows"
                ) from err

        try:
            for page in pages(fetch, "Gmail history.list", HISTORY_PAGES):
                for record in entries(page, "history"):
                    for added in entries(record, "messagesAdded"):
                        message = added.get("message")
                        if not isinstance(message, dict) or not id_text(message.get("id")):
                            continue
                        if labels(message) & OWN_LABELS:
                            continue  # our drafts, the user's sent mail: skip without a request
                        ids[message["id"]] = None
                latest = _history_id(page.get("historyId")) or latest
        except TooManyPages as err:
            raise CursorExpired(f"{err}; a full scan follows") from err
        return list(ids), latest

    def _scan(self, since: datetime, watch: _Watch, out: InboundMessages) -> None:
        """Read messages newest first until a page reaches back past ``since``.

        Without search, a date is only known per message; ``messages.list`` answers in Gmail's
        newest-first order, so the scan ends with the first page holding an older message.
        """

        def fetch(token: str | None) -> dict[str, Any]:
            request = self._users.messages().list(
                userId="me", maxResults=PAGE_SIZE, pageToken=token
            )
            return self.session.execute(request, "Gmail messages.list")

        try:
            for page in pages(fetch, "Gmail messages.list", SCAN_PAGES):
                reached_back = False
                for entry in entries(page, "messages"):
                    message = self._get(entry["id"]) if id_text(entry.get("id")) else None
                    if message is None:
                        continue
                    with contextlib.suppress(BadItem):  # _consider reports it as a problem
                        reached_back = reached_back or internal_date(message) <= since
                    self._consider(message, since, watch, out)
                if reached_back:
                    return
        except TooManyPages as err:
            out.problems.append(
                Problem(
                    "Gmail messages.list",
                    f"{err}; only the newest {SCAN_PAGES * PAGE_SIZE} messages since "
                    f"{since:%Y-%m-%d %H:%M} UTC were read",
                )
            )

    def _get(self, message_id: str) -> dict[str, Any] | None:
        try:
            return self.session.execute(
                self._users.messages().get(userId="me", id=message_id, format="metadata"),
                "Gmail messages.get",
            )
        except NotFound:
            return None  # deleted since it arrived

    # -- one message -------------------------------------------------------------------------

    def _consider(
        self, message: dict[str, Any], since: datetime, watch: _Watch, out: InboundMessages
    ) -> None:
        if labels(message) & OWN_LABELS:
            return
        item = f"Gmail message {message.get('id')}"
        try:
            received = internal_date(message)
        except BadItem as err:
            out.problems.append(Problem(err.item, err.message))
            return
        if received <= since:
            return
        raw_from = header(message, "From")
        senders = [a.lower() for _, a in getaddresses([raw_from or ""]) if "@" in a]
        if not senders:
            out.problems.append(
                Problem(item, f"expected a From header with an e-mail address, got {raw_from!r}")
            )
            return
        sender = senders[0]
        if sender in self.own or not watch.matches(sender):
            return
        subject = decoded(header(message, "Subject"))
        out.messages.append(
            InboundMessage(
                id=str(message.get("id")),
                sender=sender,
                received_at=received,
                subject=subject,
                thread_id=id_text(message.get("threadId")),
                auto_reply=is_auto_reply(as_headers(message), subject),
                excerpt=str(message.get("snippet") or ""),
            )
        )


def _history_id(value: Any) -> str | None:
    """A historyId as Gmail sends it (digits in a string; a number is accepted), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value if isinstance(value, str) and value.isdigit() else None


class _Watch:
    """Watched senders and domains; a domain matches its subdomains too (mail.acme.com)."""

    def __init__(self, senders: Sequence[str], domains: Sequence[str]) -> None:
        self.senders = {s.strip().lower() for s in senders if s}
        self.domains = {d.strip().lower().lstrip("@") for d in domains if d}

    @property
    def empty(self) -> bool:
        return not self.senders and not self.domains

    def matches(self, address: str) -> bool:
        if address in self.senders:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.domains)
