"""Gmail reply detection with headers only: history when possible, a batched scan when not.

The ``gmail.metadata`` scope cannot search (``q`` is refused, even with ``from:``), so:

* with a cursor, the messages added since its ``historyId`` come from the poll's one
  ``history.list`` (:mod:`connectors.google.history`, shared with the draft check); an
  unchanged mailbox costs that one request. New messages that are not the user's own (labels
  DRAFT/SENT) are read with ``format=metadata``, many in one batch request
  (:mod:`connectors.google.batch`).
* the cursor also records what it watched (hashes of the senders and domains, and ``since``).
  When the watched set grows, the cursor is kept: the history goes on as before, and only the
  new senders' and domains' older mail is looked for, in one scan (below) whose messages are
  read in batches. The core keeps the cursor for this (:attr:`GoogleMailbox.cursor_keeps_watch`).
* without a cursor (first run, or an expired history), the current ``historyId`` is read first
  (so nothing that arrives during the scan is missed), then ``messages.list`` is paged newest
  first, each page's messages read in one batch, and the scan stops at the first page that
  reaches back past ``since``.

Own messages never count (DRAFT/SENT labels or a From that is one of the account's addresses);
auto-replies are classified by :func:`daemon.autoreply.is_auto_reply` from the headers.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import getaddresses
from typing import Any

from connectors.google import batch
from connectors.google.errors import NotFound
from connectors.google.history import GmailHistory, history_id
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
from daemon.errors import BadItem, CursorExpired, TransientError
from daemon.protocols import AccountContext, InboundMessage, InboundMessages, Problem

log = logging.getLogger(__name__)

OWN_LABELS = frozenset({"DRAFT", "SENT"})
PAGE_SIZE = 100
# Page limit (connectors/google/paging.py): a scan reads at most SCAN_PAGES pages, newest first.
SCAN_PAGES = 50
READER = "replies"  # this check's name among the readers of the history


class GmailInbound:
    def __init__(self, session: GoogleSession, ctx: AccountContext, history: GmailHistory) -> None:
        self.session = session
        self.ctx = ctx
        self.history = history
        self.own = {a.lower() for a in ctx.addresses}

    @property
    def _users(self) -> Any:
        return self.session.service("gmail").users()

    def messages_since(
        self, since: datetime, senders: Sequence[str], domains: Sequence[str], cursor: str | None
    ) -> InboundMessages:
        watch = _Watch(senders, domains)
        position, watched_since, marks = _parse(cursor, self.ctx.name)
        if position is None:
            start = self.history.now(READER)
            self.history.moved(READER, start)  # a reader from now on: answers wait for it
            out = InboundMessages(messages=[], cursor=self._cursor(start, since, watch))
            if not watch.empty:
                self._scan(since, watch, out)
            return out
        view = self.history.since(position, READER)
        self.history.moved(READER, view.latest)
        out = InboundMessages(messages=[], cursor=self._cursor(view.latest, since, watch))
        ids = [ident for ident, _, marks in view.added(position) if not marks & OWN_LABELS]
        for message in self._get_many(ids, out):
            self._consider(message, since, watch, out)
        # What the watch gained (or all of it, reaching further back): its older mail.
        new = watch if marks is None or since < watched_since else watch.without(marks)
        if not new.empty:
            self._scan(since, new, out)
        return out

    @staticmethod
    def _cursor(position: str, since: datetime, watch: _Watch) -> str:
        return (
            f"{CURSOR_PREFIX}{position}|{int(since.timestamp())}|{','.join(sorted(watch.marks()))}"
        )

    # -- reading messages --------------------------------------------------------------------

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
                ids = [e["id"] for e in entries(page, "messages") if id_text(e.get("id"))]
                for message in self._get_many(ids, out):
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

    def _get_many(self, ids: list[str], out: InboundMessages) -> list[dict[str, Any]]:
        """The messages' headers, in order, in batches; one gone is skipped, one that fails
        alone (twice) is recorded as a problem and skipped, and the others go on."""
        ids = [i for i in dict.fromkeys(ids) if i not in {m.id for m in out.messages}]
        if len(ids) <= 1:
            return [m for m in (self._get(i) for i in ids) if m is not None]
        found: dict[str, dict[str, Any]] = {}
        failed: dict[str, Exception] = {}
        for attempt in (ids, None):
            todo = (
                attempt
                if attempt is not None
                else [i for i, e in failed.items() if isinstance(e, TransientError)]
            )
            if not todo:
                break
            requests = {
                i: self._users.messages().get(userId="me", id=i, format="metadata") for i in todo
            }
            for ident, message, failure in batch.get_many(
                self.session, requests, "Gmail messages.get"
            ):
                failed.pop(ident, None)
                if message is not None:
                    found[ident] = message
                elif failure is not None:
                    failed[ident] = failure
        for ident, failure in failed.items():
            out.problems.append(Problem(f"Gmail message {ident}", str(failure)))
        return [found[i] for i in ids if i in found]

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


CURSOR_PREFIX = "g2|"  # historyId|since (unix seconds)|hashes of the watched senders, domains


def _parse(cursor: str | None, account: str) -> tuple[str | None, datetime | None, set[str] | None]:
    """(historyId, since, marks of what was watched) from a cursor; a bare historyId (the
    cursors before issue 14) has no watch, so all of it is read again once."""
    if not cursor:
        return None, None, None
    if history_id(cursor) is not None:
        return cursor, None, None
    if cursor.startswith(CURSOR_PREFIX):
        parts = cursor[len(CURSOR_PREFIX) :].split("|")
        if len(parts) == 3 and history_id(parts[0]) is not None and parts[1].isdigit():
            at = datetime.fromtimestamp(int(parts[1]), UTC)
            return parts[0], at, {m for m in parts[2].split(",") if m}
    raise CursorExpired(
        f"the stored Gmail cursor of account {account!r} is not a history id; a full scan follows"
    )


def _mark(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:12]


class _Watch:
    """Watched senders and domains; a domain matches its subdomains too (mail.acme.com)."""

    def __init__(self, senders: Sequence[str], domains: Sequence[str]) -> None:
        self.senders = {s.strip().lower() for s in senders if s}
        self.domains = {d.strip().lower().lstrip("@") for d in domains if d}

    @property
    def empty(self) -> bool:
        return not self.senders and not self.domains

    def marks(self) -> set[str]:
        """Short hashes of what is watched: a cursor says what it covered without naming
        anyone."""
        return {_mark("s", s) for s in self.senders} | {_mark("d", d) for d in self.domains}

    def without(self, marks: set[str]) -> _Watch:
        """What is watched now and was not when ``marks`` were made."""
        return _Watch(
            [s for s in self.senders if _mark("s", s) not in marks],
            [d for d in self.domains if _mark("d", d) not in marks],
        )

    def matches(self, address: str) -> bool:
        if address in self.senders:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.domains)
