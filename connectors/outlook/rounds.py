"""A poll's questions to the mailbox, read with one request: the *round*.

In every poll the core asks the mailbox, in this order: the state of each draft still waiting
(:meth:`~daemon.protocols.Mailbox.draft_state`, once per draft), the user's sent messages
while an inquiry waits for one (``sent_since``, at most once) and the replies
(``messages_since``, at most once). Asked one by one that was one request per waiting draft
plus two; an unchanged account must cost one (issue 14).

A round is one ``$batch`` (:mod:`.batch`) holding

- the ids of the drafts in Drafts (``GET /me/mailFolders/drafts/messages?$select=id,isDraft``,
  the first 500): a waiting draft among them is still a draft, with no request of its own; one
  that is not (sent, deleted, moved, or past the 500) is looked up on its own, as before;
- the first page of each listing the last poll asked for (Sent Items since a time, the mail
  received since a time), as the last poll left it to be asked next (:meth:`Rounds.expect`):
  on an unchanged account the new poll asks exactly that, and gets the answer the round read.

A round answers each question once: a question asked again (which only a new poll does) or a
round older than :data:`FRESH` starts a new round. So no answer is older than the previous
answer to the same question, and every poll sees what changed since the last one. What the
last poll asked is kept in the account's lookup record (:mod:`.lookups`), so a ``run --once``
process prefetches as the daemon does. A wrong guess costs a request, never a wrong answer: a
question the round has no answer to is asked on its own, and a listing the round read is used
only for the very request it answers. A round's request that fails is ignored (the question
then asks on its own and meets the failure with all its error handling); a Graph (or proxy)
that refuses ``$batch`` altogether is said once and asked one request at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.outlook import batch
from connectors.outlook.http import Graph, with_query
from connectors.outlook.lookups import Lookups
from connectors.outlook.shapes import obj, objects, text
from daemon.errors import AuthNeeded, ConnectorError, CursorExpired, TransientError

log = logging.getLogger(__name__)

FRESH = 60.0  # seconds a round answers for: a poll asks everything within seconds
DRAFTS_PAGE = 500
DRAFTS = with_query(
    "/me/mailFolders/drafts/messages", {"$select": "id,isDraft", "$top": str(DRAFTS_PAGE)}
)
PLAN = "poll plan"  # the lookup record's key (after the Graph root)


@dataclass
class _Round:
    made: float
    drafts: set[str] | None = None  # ids in Drafts; None: not read
    pages: dict[str, Any] = field(default_factory=dict)  # request -> its answer
    used: set[tuple[str, str]] = field(default_factory=set)  # questions answered


class Rounds:
    """The rounds of one mailbox. Thread-safe: one round at a time."""

    def __init__(
        self, graph: Graph, lookups: Lookups | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._graph = graph
        self._lookups = lookups
        self._clock = clock
        self._lock = threading.Lock()
        self._round: _Round | None = None
        self._asked: dict[str, Any] = {}  # what this round was asked: "drafts", "sent", "inbound"
        self._plan: dict[str, Any] | None = None  # what a new round reads
        self._kept: dict[str, Any] | None = None  # the plan as the record holds it
        self._single = False  # $batch refused: one request at a time

    # -- the questions -----------------------------------------------------------------------

    def in_drafts(self, ident: str) -> bool:
        """Is ``ident`` a draft in Drafts, as this poll's round read it? False: not known."""
        with self._lock:
            found = self._answering(("draft", ident), "drafts", DRAFTS)
            return found.drafts is not None and ident in found.drafts

    def get(self, kind: str, path: str, params: dict[str, Any]) -> Any:
        """The answer to ``GET path?params``, the ``kind`` of listing ("sent", "inbound") this
        poll asks once: from this poll's round when it read that request, else asked now."""
        wanted = with_query(path, params)
        with self._lock:
            found = self._answering((kind, wanted), kind, wanted)
            if wanted in found.pages:
                return found.pages[wanted]
        return self._graph.get(path, params)

    def expect(self, kind: str, path: str, params: dict[str, Any]) -> None:
        """The ``kind`` of listing will be ``GET path?params`` next poll (a listing whose
        bounds move with what it found: the mail received since its newest message)."""
        with self._lock:
            self._note(kind, with_query(path, params))

    def drafted(self, ident: str) -> None:
        """A draft just made is in Drafts: the current round knows it without asking."""
        with self._lock:
            if self._round is not None and self._round.drafts is not None:
                self._round.drafts.add(ident)

    # -- rounds ------------------------------------------------------------------------------

    def _answering(self, question: tuple[str, str], kind: str, wanted: str) -> _Round:
        """The round that answers ``question`` (under the lock); starts one when needed."""
        now = self._clock()
        current = self._round
        if current is None or now - current.made > FRESH or question in current.used:
            current = self._start(kind, wanted, now)
        current.used.add(question)
        self._note(kind, True if kind == "drafts" else wanted)
        return current

    def _start(self, kind: str, wanted: str, now: float) -> _Round:
        if self._round is not None:
            self._plan = dict(self._asked)  # exactly what the last poll asked
            self._asked = {}
            self._remember()
        elif self._plan is None:
            self._plan = self._load()
        plan = {**self._plan, kind: True if kind == "drafts" else wanted}
        requests = [DRAFTS] if plan.pop("drafts", False) else []
        requests += [str(v) for v in plan.values() if isinstance(v, str) and v not in requests]
        self._round = fresh = _Round(made=now)
        if self._single:
            requests = [wanted]  # the question's own request, alone
        for request, answer in zip(requests, self._read(requests), strict=True):
            if answer is None:
                continue
            if request == DRAFTS:
                fresh.drafts = _draft_ids(answer)
            else:
                fresh.pages[request] = answer
        return fresh

    def _read(self, requests: list[str]) -> list[Any]:
        """The answers to ``requests`` (None for one that failed): alone, one GET; several,
        one ``$batch``."""
        try:
            if len(requests) == 1:
                return [self._graph.get(requests[0])]
            answers = batch.send(self._graph, [batch.Request(r) for r in requests])
        except (TransientError, AuthNeeded, CursorExpired):
            raise  # the account's poll fails, as the question itself would
        except ConnectorError as err:
            if len(requests) > 1:
                log.warning("Microsoft Graph refused a batch (%s); asking one at a time", err)
                self._single = True
            return [None for _ in requests]  # each question asks on its own
        return [a.body if a.status == 200 else None for a in answers]

    # -- what the last poll asked, kept for the next process ----------------------------------

    def _note(self, kind: str, value: Any) -> None:
        self._asked[kind] = value
        self._remember()

    def _remember(self) -> None:
        wanted = {**(self._plan or {}), **self._asked}
        if self._lookups is None or wanted == self._kept:
            return
        self._kept = wanted
        self._lookups.put(f"{self._graph.base} {PLAN}", wanted)

    def _load(self) -> dict[str, Any]:
        if self._lookups is None:
            return {}
        kept = self._lookups.get(f"{self._graph.base} {PLAN}")
        plan = {
            k: v
            for k, v in obj(kept).items()
            if (k == "drafts" and v is True) or (k in ("sent", "inbound") and text(v))
        }
        self._kept = dict(plan)
        return plan


def _draft_ids(answer: Any) -> set[str] | None:
    """The ids of the drafts a page of Drafts names (a draft past the page is not among
    them, and is looked up on its own); None when the answer is no page."""
    values = obj(answer).get("value")
    if not isinstance(values, list):
        return None
    return {m["id"] for m in objects(values) if text(m.get("id")) and m.get("isDraft") is True}
