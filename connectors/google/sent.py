"""The user's sent messages to some people or domains, from Gmail's SENT label, headers only.

Gmail search (``q=in:sent to:...``) would be one request, but the ``gmail.metadata`` scope
refuses ``q`` even when other scopes are granted too (Gmail answers 403 "Metadata scope does
not support 'q' parameter"), and followupd holds that scope so as never to read bodies. So
``messages.list`` with ``labelIds=SENT`` is paged newest first, each message is read with
``format=metadata`` and only the headers needed here, and the listing stops at the first page
that reaches back past ``since``, or after :data:`SENT_PAGES` pages (the newest
:data:`daemon.protocols.SENT_LIMIT` messages; a listing that never ends is cut off there and
said so as a problem, like the reply scan's).

Sent messages do not change, so their headers are kept in a small owner-only cache in the
state dir (``google-sent.json``): while an inquiry waits, a poll in which the user sent nothing
costs one ``messages.list`` request. The cache is only a cache: lost, it is rebuilt.

And that one request is saved too (issue 14): the same question asked again, when the poll's
one ``history.list`` (:mod:`connectors.google.history`) shows no message added with the SENT
label and none of the answer's messages deleted or unlabelled since, has the same answer. The
question, the position and the answer's message ids are kept with the history's positions
(:mod:`connectors.google.positions`), so a new process reuses the answer too; the answer is
built again from the cache, and when one of its messages is no longer there, asked again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from connectors.google.errors import NotFound
from connectors.google.history import GmailHistory, View
from connectors.google.http import GoogleSession
from connectors.google.mailmeta import decoded, header, id_text, internal_date, labels, message_ids
from connectors.google.paging import TooManyPages, entries, pages
from daemon.errors import BadItem, CursorExpired
from daemon.paths import read_private_table, write_private
from daemon.protocols import SENT_LIMIT, Problem, SentMessage, SentMessages, watch_list, watched

log = logging.getLogger(__name__)

PAGE_SIZE = 50
SENT_PAGES = SENT_LIMIT // PAGE_SIZE  # pages of the SENT listing read at most, newest first
HEADERS = ["To", "Cc", "Message-ID", "Subject", "References"]
CACHE_FILE = "google-sent.json"
CACHE_LIMIT = 2000  # messages; the oldest are dropped first
READER = "sent"  # this check's name among the readers of the history


class GmailSent:
    def __init__(
        self, session: GoogleSession, state_dir: Path, history: GmailHistory | None = None
    ) -> None:
        self.session = session
        self.path = state_dir / CACHE_FILE
        self.history = history or GmailHistory(session, "")
        # The last question, the history position its answer holds at, and the answer
        # (kept across processes as the history's note; read back at the first question).
        self._last: tuple[tuple[Any, ...], str, SentMessages] | None = None
        self._restored = False

    @property
    def _users(self) -> Any:
        return self.session.service("gmail").users()

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        people, zones = watch_list(recipients, domains)
        result = SentMessages(messages=[])
        if not people and not zones:
            return result
        asked = (since, tuple(sorted(people)), tuple(sorted(zones)))
        if not self._restored:
            self._restored = True
            self._last = self._restore()
        if self._last is not None and self._last[0] == asked:
            try:
                view = self.history.since(self._last[1], READER)
            except CursorExpired:
                view = None
            if view is not None and not _changed(view, self._last[1], self._last[2]):
                self._keep(asked, view.latest, self._last[2])
                return SentMessages(messages=list(self._last[2].messages))
        # From before the listing, so nothing sent meanwhile is lost. Without this poll's
        # history answer (a new process asks this first), a position another reader keeps,
        # else Gmail's current one (one request): without any, the answer could not be reused,
        # and a ``run --once`` would list again in every process.
        position = self.history.current(READER) or self.history.kept() or self.history.now(READER)
        self._keep(None)
        cache = self._load()
        fresh = False

        def fetch(token: str | None) -> dict[str, Any]:
            request = self._users.messages().list(
                userId="me", labelIds=["SENT"], maxResults=PAGE_SIZE, pageToken=token
            )
            return self.session.execute(request, "Gmail messages.list (sent)")

        try:
            for page in pages(fetch, "Gmail messages.list (sent)", SENT_PAGES):
                reached_back = False
                for item in entries(page, "messages", "Gmail messages.list (sent)"):
                    ident = id_text(item.get("id"))
                    if ident is None:
                        continue
                    if ident not in cache:
                        found = self._metadata(ident, result.problems)
                        if found is None:
                            continue
                        cache[ident], fresh = found, True
                    entry = cache[ident]
                    if datetime.fromisoformat(entry["at"]) <= since:
                        reached_back = True
                        continue
                    message = _sent_message(ident, entry)
                    if message is not None and any(watched(r, people, zones) for r in entry["to"]):
                        result.messages.append(message)
                if reached_back:
                    break
        except TooManyPages as err:
            # The newest SENT_LIMIT are what matters: the message that starts an inquiry is
            # one sent in the days since the interview.
            result.problems.append(
                Problem(
                    "Gmail messages.list (sent)",
                    f"{err}; only the newest {SENT_PAGES * PAGE_SIZE} sent messages since "
                    f"{since:%Y-%m-%d %H:%M} UTC were read",
                )
            )
        if fresh:
            self._save(cache)
        result.messages.sort(key=lambda m: m.sent_at, reverse=True)
        if not result.problems:
            self._keep(asked, position, result)
        return result

    def _keep(
        self,
        asked: tuple[Any, ...] | None,
        position: str = "",
        answer: SentMessages | None = None,
    ) -> None:
        """Remember the last question, its position and answer, in memory and as the
        history's note (None: nothing to reuse)."""
        if asked is None or answer is None:
            self._last = None
            self.history.note(READER, None)
            return
        last = self._last
        if last is not None and last[1] == position and last[0] == asked and last[2] is answer:
            return  # the usual poll: nothing moved
        self._last = (asked, position, answer)
        since, people, zones = asked
        self.history.note(
            READER,
            {
                "since": since.isoformat(),
                "people": list(people),
                "zones": list(zones),
                "at": position,
                "answer": [m.provider_id for m in answer.messages],
            },
        )

    def _restore(self) -> tuple[tuple[Any, ...], str, SentMessages] | None:
        """The last question and answer a former process kept, the answer built again from
        the cache; None when there is none, or it cannot be read or rebuilt."""
        note = self.history.noted(READER)
        if note is None:
            return None
        try:
            asked = (
                datetime.fromisoformat(note["since"]),
                tuple(str(p) for p in note["people"]),
                tuple(str(z) for z in note["zones"]),
            )
            position, ids = str(note["at"]), [str(i) for i in note["answer"]]
        except (KeyError, TypeError, ValueError):
            return None
        if not position.isdigit():
            return None
        cache = self._load() if ids else {}
        messages = [_sent_message(i, cache[i]) if i in cache else None for i in ids]
        if None in messages:
            return None  # a message the cache no longer holds: asked again
        return asked, position, SentMessages(messages=[m for m in messages if m is not None])

    def _metadata(self, ident: str, problems: list[Problem]) -> dict[str, Any] | None:
        """The cache entry of one sent message; None when it is gone or not a sent message."""
        try:
            message = self.session.execute(
                self._users.messages().get(
                    userId="me", id=ident, format="metadata", metadataHeaders=HEADERS
                ),
                "Gmail messages.get (sent)",
            )
        except NotFound:
            return None  # deleted since the listing
        try:
            at = internal_date(message)
        except BadItem as err:
            problems.append(Problem(err.item, err.message))
            return None
        pairs = getaddresses([header(message, "To") or "", header(message, "Cc") or ""])
        return {
            "at": at.isoformat(),
            "to": [a.strip().lower() for _, a in pairs if "@" in a],
            "names": [[a.strip().lower(), n] for n, a in pairs if "@" in a and n],
            "mid": (header(message, "Message-ID") or "").strip(),
            "subject": decoded(header(message, "Subject")),
            "refs": list(message_ids(header(message, "References"))),
            "thread": id_text(message.get("threadId")),
            "draft": "DRAFT" in labels(message),
        }

    def _load(self) -> dict[str, dict[str, Any]]:
        found = read_private_table(self.path, "sent", "sent-mail cache")
        return {
            k: v
            for k, v in found.items()
            if isinstance(v.get("at"), str) and isinstance(v.get("to"), list)
        }

    def _save(self, cache: dict[str, dict[str, Any]]) -> None:
        """Write the cache; never raises (a lost cache costs requests, nothing else)."""
        newest = sorted(cache.items(), key=lambda kv: kv[1]["at"], reverse=True)[:CACHE_LIMIT]
        try:
            payload = json.dumps({"v": 1, "sent": dict(newest)}, sort_keys=True).encode("utf-8")
            write_private(self.path, payload)
        except (OSError, ValueError, TypeError) as err:
            log.warning("could not write the sent-mail cache %s: %s", self.path, err)


def _changed(view: View, position: str, answer: SentMessages) -> bool:
    """Whether the history after ``position`` may change ``answer``: a message added with the
    SENT label, or one of the answer's messages deleted or relabelled."""
    ours = {m.provider_id for m in answer.messages}
    return any(
        c.odd or c.touched & ours or any("SENT" in marks for _, _, marks in c.added)
        for c in view.after(position)
    )


def _sent_message(ident: str, entry: dict[str, Any]) -> SentMessage | None:
    if entry.get("draft") or not entry.get("mid"):
        return None
    try:
        return SentMessage(
            message_id=str(entry["mid"]),
            sent_at=datetime.fromisoformat(entry["at"]),
            recipients=tuple(str(a) for a in entry["to"]),
            subject=str(entry.get("subject") or ""),
            thread_id=entry.get("thread") or None,
            provider_id=ident,
            references=tuple(str(r) for r in entry.get("refs") or ()),
            names=tuple((str(a), str(n)) for a, n in entry.get("names") or ()),
        )
    except (KeyError, ValueError, TypeError):
        return None
