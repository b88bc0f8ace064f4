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
from connectors.google.mailmeta import as_headers, decoded, header, internal_date, labels
from daemon.autoreply import is_auto_reply
from daemon.errors import BadItem, CursorExpired, InvalidResponse
from daemon.protocols import AccountContext, InboundMessage, InboundMessages, Problem

log = logging.getLogger(__name__)

OWN_LABELS = frozenset({"DRAFT", "SENT"})
PAGE_SIZE = 100
HISTORY_PAGE_SIZE = 500


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
        value = profile.get("historyId")
        if not value:
            raise InvalidResponse("Gmail users.getProfile: no historyId in the answer")
        return str(value)

    # -- sources of message ids --------------------------------------------------------------

    def _history(self, cursor: str) -> tuple[list[str], str]:
        if not cursor.isdigit():
            raise CursorExpired(
                f"the stored Gmail cursor of account {self.ctx.name!r} is not a history id; "
                "a full scan follows"
            )
        ids: dict[str, None] = {}
        token = None
        latest = cursor
        while True:
            request = self._users.history().list(
                userId="me",
                startHistoryId=cursor,
                historyTypes=["messageAdded"],
                maxResults=HISTORY_PAGE_SIZE,
                pageToken=token,
            )
            try:
                page = self.session.execute(request, "Gmail history.list")
            except NotFound as err:
                raise CursorExpired(
                    f"Gmail history from {cursor} is no longer available for account "
                    f"{self.ctx.name!r}; a full scan follows"
                ) from err
            for record in page.get("history") or []:
                for added in record.get("messagesAdded") or []:
                    message = added.get("message") if isinstance(added, dict) else None
                    if not isinstance(message, dict) or not message.get("id"):
                        continue
                    if labels(message) & OWN_LABELS:
                        continue  # our drafts, the user's sent mail: skip without a request
                    ids[str(message["id"])] = None
            latest = str(page.get("historyId") or latest)
            token = page.get("nextPageToken")
            if not token:
                return list(ids), latest

    def _scan(self, since: datetime, watch: _Watch, out: InboundMessages) -> None:
        """Read messages newest first until a page reaches back past ``since``.

        Without search, a date is only known per message; ``messages.list`` answers in Gmail's
        newest-first order, so the scan ends with the first page holding an older message.
        """
        token = None
        while True:
            page = self.session.execute(
                self._users.messages().list(userId="me", maxResults=PAGE_SIZE, pageToken=token),
                "Gmail messages.list",
            )
            reached_back = False
            for entry in page.get("messages") or []:
                message = self._get(str(entry.get("id"))) if entry.get("id") else None
                if message is None:
                    continue
                with contextlib.suppress(BadItem):  # _consider reports it as a problem
                    reached_back = reached_back or internal_date(message) <= since
                self._consider(message, since, watch, out)
            token = page.get("nextPageToken")
            if not token or reached_back:
                return

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
                thread_id=message.get("threadId"),
                auto_reply=is_auto_reply(as_headers(message), subject),
                excerpt=str(message.get("snippet") or ""),
            )
        )


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
