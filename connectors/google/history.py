"""One ``history.list`` per poll, read by the draft check and the reply check alike.

An unchanged mailbox must cost one request however many drafts wait (issue 14). Gmail's
history says, per record, which messages were added, deleted, or had labels added or removed,
each with its ``threadId``: a draft that is sent (its message deleted, a SENT one added to its
thread), deleted, or saved again shows up in its own thread. So the draft check asks only
"was this draft's thread touched since I last saw it as a draft?", and the reply check takes the
messages added; both from the same answer.

Each reader (the reply check, the sent-mail check, each waiting draft) reads from a position
(a ``historyId``). The first reader of a poll fetches from the earliest position known, and the
others read what they need from that answer. A reader that asks again has started a new poll,
so its question fetches anew; so does any question once the answer is older than
:data:`REUSE` by the account's clock. An answer is never stale in a way that loses anything: a reader's new position
is the answer's own end, and what came later is in the next fetch.

The positions outlive the process (:mod:`connectors.google.positions`): a new process's first
poll of an unchanged mailbox is one request too. A reader that read none of the last
:data:`IDLE_FETCHES` answers (a draft the core stopped asking about, a check with nothing to
watch) is dropped, so a position nobody reads does not hold every fetch back to it for as long
as Gmail keeps history.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.google.errors import NotFound
from connectors.google.http import GoogleSession
from connectors.google.mailmeta import id_text, labels
from connectors.google.paging import TooManyPages, entries, pages
from connectors.google.positions import Positions
from daemon.clock import Clock, SystemClock
from daemon.errors import CursorExpired, InvalidResponse

HISTORY_PAGE_SIZE = 500
HISTORY_PAGES = 100  # past this the history is dropped (a scan, or each draft looked up)
HISTORY_TYPES = ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]
CHANGES = ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved")
# How long one answer serves the readers that have not read it: one poll of the account, not
# the next (a reader first in the next poll would otherwise get the last poll's answer).
REUSE = timedelta(seconds=30)
IDLE_FETCHES = 3  # a reader that read none of this many answers in a row is dropped


@dataclass(frozen=True)
class Change:
    """One history record, reduced to what the readers ask (a view is kept between polls,
    so it holds no more than this)."""

    id: int
    threads: frozenset[str]  # every thread the record touched
    added: tuple[tuple[str, str | None, frozenset[str]], ...]  # (id, threadId, labels)
    touched: frozenset[str]  # ids of messages deleted or relabelled
    odd: bool = False  # an entry without a readable message: readers assume the worst

    @classmethod
    def of(cls, record: dict[str, Any]) -> Change:
        threads: set[str] = set()
        added: list[tuple[str, str | None, frozenset[str]]] = []
        touched: set[str] = set()
        odd = False
        for kind in CHANGES:
            for change in entries(record, kind):
                message = change.get("message")
                ident = id_text(message.get("id")) if isinstance(message, dict) else None
                if not isinstance(message, dict) or ident is None:
                    odd = True
                    continue
                thread = id_text(message.get("threadId"))
                if thread:
                    threads.add(thread)
                if kind == "messagesAdded":
                    added.append((ident, thread, frozenset(labels(message))))
                else:
                    touched.add(ident)
        for message in entries(record, "messages"):
            if id_text(message.get("threadId")):
                threads.add(str(message["threadId"]))
        return cls(
            _number(record.get("id")), frozenset(threads), tuple(added), frozenset(touched), odd
        )


@dataclass
class View:
    """What one fetch said: the changes after ``start``, up to the mailbox's ``latest``."""

    start: int
    latest: str
    at: datetime  # when it was fetched, by the account's clock
    changes: list[Change] = field(default_factory=list)

    def after(self, position: str) -> list[Change]:
        return [c for c in self.changes if c.id > int(position)]

    def threads_touched(self, position: str, made: frozenset[str] = frozenset()) -> set[str]:
        """The threads changed after ``position``, but for records that only add the messages
        ``made`` (a draft's own creation, after a position taken just before it)."""
        return {
            t
            for c in self.after(position)
            if not (c.added and not c.touched and not c.odd and {a[0] for a in c.added} <= made)
            for t in c.threads
        }

    def added(self, position: str) -> list[tuple[str, str | None, frozenset[str]]]:
        """(id, threadId, labels) of each message added after ``position``."""
        return [a for c in self.after(position) for a in c.added]


class GmailHistory:
    def __init__(
        self,
        session: GoogleSession,
        account: str,
        clock: Clock | None = None,
        saved: Positions | None = None,
    ) -> None:
        self.session = session
        self.account = account
        self.clock = clock or SystemClock()
        self.saved = saved or Positions(None)
        # reader -> the position it last read up to (the saved ones, changed in place)
        self.positions: dict[str, str] = self.saved.positions
        # What this poll moved is written when the next one fetches; the last poll's, when
        # this object goes (at the latest when the process exits: a ``run --once``).
        weakref.finalize(self, self.saved.flush)
        self._idle: dict[str, int] = {}  # reader -> answers in a row it did not read
        self._view: View | None = None
        self._read: set[str] = set()  # readers that read the current view
        self._profiled: str | None = None  # Gmail's historyId before any fetch
        # The history that could not be read a moment ago: (from, when, why).
        self._failed: tuple[int, datetime, str] | None = None

    def since(self, position: str, reader: str) -> View:
        """The changes after ``position`` for ``reader``; :class:`CursorExpired` when Gmail no
        longer has them."""
        if not position.isdigit():
            raise CursorExpired(f"the Gmail history id {position!r} is not a number")
        failed = self._failed
        if (
            failed is not None
            and int(position) <= failed[0]
            and timedelta(0) <= self.clock.now() - failed[1] <= REUSE
        ):
            raise CursorExpired(failed[2])  # the answer of a moment ago, not asked again
        view = self._view
        if (
            view is None
            or reader in self._read
            or int(position) < view.start
            or not timedelta(0) <= self.clock.now() - view.at <= REUSE
        ):
            self._new_poll()
            earliest = min([int(position), *(int(p) for p in self.positions.values())])
            try:
                view = self._fetch(earliest)
            except CursorExpired as err:
                # Positions from the old answer are as gone as the history: a scan that
                # follows must take a fresh one (now() asks Gmail).
                self._view, self._profiled = None, None
                self._failed = (earliest, self.clock.now(), str(err))
                if earliest == int(position):
                    raise
                self.positions.clear()  # an older reader's history is gone, not this one's
                try:
                    view = self._fetch(int(position))
                except CursorExpired as again:
                    self._failed = (int(position), self.clock.now(), str(again))
                    raise
            self._failed = None
            self._view, self._read, self._profiled = view, set(), None
        self._read.add(reader)
        if view.changes and set(self.positions) <= self._read:
            # Every reader known has read it: keep only its end (a reader from before the
            # end fetches again), so an account holds no history between polls.
            self._view = View(int(view.latest), view.latest, view.at)
        return view

    def moved(self, reader: str, position: str) -> None:
        self.positions[reader] = position

    def forget(self, reader: str) -> None:
        self.positions.pop(reader, None)
        self.saved.notes.pop(reader, None)

    def note(self, reader: str, value: dict[str, Any] | None) -> None:
        """Keep ``value`` (what ``reader`` needs besides a position; plain JSON) across
        processes with the positions; None drops it."""
        if value is None:
            self.saved.notes.pop(reader, None)
        else:
            self.saved.notes[reader] = value

    def noted(self, reader: str) -> dict[str, Any] | None:
        return self.saved.notes.get(reader)

    def _new_poll(self) -> None:
        """Before a fetch: write what the last poll moved, and drop the readers that have not
        read for :data:`IDLE_FETCHES` answers."""
        idle = {r: 0 if r in self._read else self._idle.get(r, 0) + 1 for r in self.positions}
        for reader in [r for r, n in idle.items() if n >= IDLE_FETCHES]:
            self.forget(reader)  # its position, and the note of what held there
            del idle[reader]
        self._idle = idle
        self.saved.flush()

    def current(self, reader: str) -> str | None:
        """The end of this poll's answer (``reader`` has then read it), else the historyId
        Gmail gave before any answer, if any: a position from before what is read next."""
        if self._view is None:
            return self._profiled
        self._read.add(reader)
        return self._view.latest

    def kept(self) -> str | None:
        """The latest position a reader keeps (from this process or a former one), if any: a
        position of this mailbox from before anything read next, with no request. Older than
        :meth:`current`; a reader that starts from it may read again what it already knows."""
        return max(self.positions.values(), key=int, default=None)

    def now(self, reader: str) -> str:
        """A position from before anything ``reader`` reads next: the current answer's end
        (``reader`` has then read it), else Gmail's current historyId (one request)."""
        if self._view is not None:
            self._read.add(reader)
            return self._view.latest
        if self._profiled is None:
            profile = self.session.execute(
                self.session.service("gmail").users().getProfile(userId="me"),
                "Gmail users.getProfile",
            )
            value = history_id(profile.get("historyId"))
            if value is None:
                raise InvalidResponse(
                    "Gmail users.getProfile: expected a historyId (a number) in the answer, "
                    f"got {profile.get('historyId')!r}"
                )
            self._profiled = value
        return self._profiled

    def _fetch(self, start: int) -> View:
        view = View(start, str(start), self.clock.now())
        users = self.session.service("gmail").users()

        def fetch(token: str | None) -> dict[str, Any]:
            request = users.history().list(
                userId="me",
                startHistoryId=str(start),
                historyTypes=HISTORY_TYPES,
                maxResults=HISTORY_PAGE_SIZE,
                pageToken=token,
            )
            try:
                return self.session.execute(request, "Gmail history.list")
            except NotFound as err:
                raise CursorExpired(
                    f"Gmail history from {start} is no longer available for account "
                    f"{self.account!r}; a full scan follows"
                ) from err

        try:
            for page in pages(fetch, "Gmail history.list", HISTORY_PAGES):
                view.changes.extend(Change.of(r) for r in entries(page, "history"))
                view.latest = history_id(page.get("historyId")) or view.latest
        except TooManyPages as err:
            raise CursorExpired(f"{err}; a full scan follows") from err
        return view


def history_id(value: Any) -> str | None:
    """A historyId as Gmail sends it (digits in a string; a number is accepted), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value if isinstance(value, str) and value.isdigit() else None


def _number(value: Any) -> int:
    """A record's id; one without a readable id counts as new (looked at, never lost)."""
    found = history_id(value)
    return int(found) if found is not None else sys.maxsize
