"""Gmail drafts: create one per KEY, find it again after a crash, follow it until sent or gone.

* Creation is ``users.drafts.create`` with a raw MIME message from :func:`daemon.message.
  build_message` (header-safe, RFC 2047 for non-ASCII) carrying the deterministic Message-ID at
  the user's own domain and nothing that names followupd or the KEY (issue 10). A reply
  (status inquiry) also carries ``threadId``, ``In-Reply-To`` and ``References``; Gmail files a
  draft into a thread only when all of them and the subject agree. Creation is never retried
  blindly: the core calls :meth:`GmailDrafts.find` first.
* Finding a draft again: the owner-only record in the state dir (:mod:`connectors.google.
  draftlog`) answers without a request; without it, the drafts are listed and their Message-ID
  compared (a search with ``q=rfc822msgid:`` would be one request, but Gmail refuses ``q`` to
  any token that holds the ``gmail.metadata`` scope, which followupd needs to never read a
  body). Drafts made before issue 10 are also recognised by their ``X-Followupd-Key`` header.
* A draft is identified by ``draft.id`` plus ``threadId``, never by its message id, which Gmail
  changes on every save and on send.
* State: a draft seen as a draft before, whose thread the poll's one ``history.list`` shows
  untouched since (no message added or deleted there, no label changed), is still a draft: no
  request of its own (:mod:`connectors.google.history`). Otherwise it is looked up:
  ``drafts.get`` answers -> DRAFT. Otherwise the thread is read (headers only): a SENT message
  that is ours -> SENT with its real send time; nothing -> GONE (the user deleted it).
"""

from __future__ import annotations

import base64
import logging
from email.utils import getaddresses
from typing import Any

from connectors.google.draftlog import DraftLog
from connectors.google.errors import NotFound
from connectors.google.history import GmailHistory, history_id
from connectors.google.http import GoogleSession
from connectors.google.mailmeta import (
    decoded,
    header,
    id_text,
    internal_date,
    labels,
    reply_target,
)
from connectors.google.paging import entries, pages
from daemon.errors import BadItem, CursorExpired, InvalidResponse
from daemon.message import build_message, is_message_id_of, message_ids_for, names_key
from daemon.protocols import KEY_HEADER, DraftRef, DraftRequest, DraftState, DraftStatus

log = logging.getLogger(__name__)

SENT_PREFIX = "sent:"  # a ref found as an already-sent message (the draft id is long gone)
SENT_SCAN = 25  # most recent sent messages looked at by find(), after all drafts
DRAFT_PAGES = 100  # of 100 drafts each (connectors/google/paging.py)
THREAD_HEADERS = ["Message-ID", "Subject", "References", "In-Reply-To", KEY_HEADER]
# What find() compares of a draft or a sent message; the rest of its headers is not kept.
COMPARED = frozenset(h.lower() for h in ("Message-ID", "To", "Subject", KEY_HEADER))
LOOKED_AT = 500  # messages whose compared headers a mailbox keeps (find() costs no more gets)


class GmailDrafts:
    def __init__(
        self,
        session: GoogleSession,
        record: DraftLog,
        addresses: tuple[str, ...] = (),
        history: GmailHistory | None = None,
    ) -> None:
        self.session = session
        self.record = record
        self.addresses = addresses  # the user's own: a draft's Message-ID is at their domain
        self.history = history or GmailHistory(session, "")
        # Messages find() has read, by Gmail message id. A message id names one content (a
        # draft saved again gets a new one; a sent message never changes), so what was read
        # stays true: each draft made costs one drafts.list and one messages.list, not a get
        # of every draft and recent sent message each time (a first poll drafts dozens).
        self._looked_at: dict[str, dict[str, Any]] = {}

    @property
    def _users(self) -> Any:
        return self.session.service("gmail").users()

    # -- create ------------------------------------------------------------------------------

    def create(self, request: DraftRequest) -> DraftRef:
        thread_id = request.reply_to.thread_id if request.reply_to else None
        prior: list[str] = []
        if thread_id:
            try:
                thread = self.session.execute(
                    self._users.threads().get(userId="me", id=thread_id, format="minimal"),
                    "Gmail threads.get (before a reply draft)",
                )
                prior = [str(m["id"]) for m in entries(thread, "messages") if m.get("id")]
            except NotFound:
                log.warning("thread %s is gone; the reply draft starts a new thread", thread_id)
                thread_id = None
        message = build_message(request)
        data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        to = [a.addr_spec.lower() for a in message["To"].addresses]
        self.record.intend(request.key, to, str(message["Subject"]))
        body: dict[str, Any] = {"message": {"raw": base64.urlsafe_b64encode(data).decode("ascii")}}
        if thread_id:
            body["message"]["threadId"] = thread_id
        created = self.session.execute(
            self._users.drafts().create(userId="me", body=body), "Gmail drafts.create", retry=False
        )
        draft_id = created.get("id")
        made = created.get("message") if isinstance(created.get("message"), dict) else {}
        if not isinstance(draft_id, str) or not draft_id:
            raise InvalidResponse(
                f"Gmail drafts.create for {request.key}: no draft id in the answer"
            )
        made_thread = id_text(made.get("threadId")) or thread_id
        if thread_id and made_thread != thread_id:
            log.warning(
                "Gmail filed draft %s outside thread %s (subject or references differ)",
                draft_id,
                thread_id,
            )
        mid = str(message["Message-ID"])
        self.record.remember(draft_id, request.key, made_thread, prior, mid)
        self._seen_made(draft_id, id_text(made.get("id")))
        return DraftRef(id=draft_id, thread_id=made_thread, message_id=mid)

    def _seen_made(self, draft_id: str, message_id: str | None) -> None:
        """Follow the new draft from a history position taken before it was made (this poll's
        history answer, or the historyId Gmail gave earlier), noting the message it was made
        with: its own creation is then the only change its thread shows, and the next check
        needs no ``drafts.get`` of it (issue 14: a draft just made cost one, in every process
        that polled next). Without such a position it is looked up once, as before."""
        reader = f"draft:{draft_id}"
        before = self.history.current(reader)
        if before is None or message_id is None:
            return
        self.history.moved(reader, before)
        self.history.note(reader, {"made": message_id})

    # -- find --------------------------------------------------------------------------------

    def find(self, key: str) -> DraftRef | None:
        mid = message_ids_for(key, self.addresses)[0]
        known = self.record.by_key(key)
        if known is not None:
            # Created and confirmed by Gmail before the crash; draft_state tells what became of it.
            return DraftRef(
                id=known[0],
                thread_id=known[1].get("thread"),
                message_id=known[1].get("message_id") or mid,
            )

        def fetch(token: str | None) -> dict[str, Any]:
            request = self._users.drafts().list(userId="me", maxResults=100, pageToken=token)
            return self.session.execute(request, "Gmail drafts.list")

        intended = self.record.pending(key)
        claimed = self.record.recorded_ids() if intended else set()
        for page in pages(fetch, "Gmail drafts.list", DRAFT_PAGES):
            for item in entries(page, "drafts", "Gmail drafts.list"):
                ref = self._match_draft(item, key, mid, intended, claimed)
                if ref is not None:
                    return ref
        return self._match_sent(key, mid)

    @staticmethod
    def _is_ours(message: dict[str, Any], key: str) -> bool:
        """Our draft of ``key`` by its Message-ID (at any domain), or a draft made before issue
        10 by its legacy KEY header."""
        return is_message_id_of(header(message, "Message-ID"), key) or names_key(
            header(message, KEY_HEADER), key
        )

    @staticmethod
    def _looks_intended(message: dict[str, Any], intended: dict[str, Any] | None) -> bool:
        """Whether a draft no record claims has the recipients and subject noted for a
        creation that was never confirmed (Gmail may have replaced its Message-ID)."""
        if intended is None:
            return False
        to = {a.lower() for _, a in getaddresses([header(message, "To") or ""]) if a}
        subject = decoded(header(message, "Subject"))
        return to == set(intended.get("to") or ()) and subject == intended.get("subject")

    def _match_draft(
        self,
        item: dict[str, Any],
        key: str,
        mid: str,
        intended: dict[str, Any] | None = None,
        claimed: set[str] | frozenset[str] = frozenset(),
    ) -> DraftRef | None:
        # An entry or a draft that cannot be read is an error, never "not ours": taking it
        # for "not ours" could create a second draft for the same key.
        draft_id = id_text(item.get("id"))
        if draft_id is None:
            raise InvalidResponse(f"Gmail drafts.list: a draft without an id ({item!r:.80})")
        listed = item.get("message")
        message = (
            self._looked_at.get(id_text(listed.get("id")) or "")
            if isinstance(listed, dict)
            else None
        )
        if message is None:
            try:
                draft = self.session.execute(
                    self._users.drafts().get(userId="me", id=draft_id, format="metadata"),
                    "Gmail drafts.get",
                )
            except NotFound:
                return None  # deleted while we looked
            found = draft.get("message") if isinstance(draft, dict) else None
            message = found if isinstance(found, dict) else {}
            self._readable(message, f"Gmail drafts.get of draft {draft_id}", key)
            self._remember(message)
        if not self._is_ours(message, key) and (
            draft_id in claimed or not self._looks_intended(message, intended)
        ):
            return None
        mid = (header(message, "Message-ID") or "").strip() or mid
        thread_id = id_text(message.get("threadId"))
        prior: list[str] = []
        if thread_id:
            thread = self.session.execute(
                self._users.threads().get(userId="me", id=thread_id, format="minimal"),
                "Gmail threads.get",
            )
            prior = [
                str(m["id"])
                for m in entries(thread, "messages")
                if m.get("id") and m.get("id") != message.get("id")
            ]
        self.record.remember(draft_id, key, thread_id, prior, mid)
        log.info("found draft %s for %s after an interruption", draft_id, key)
        return DraftRef(id=draft_id, thread_id=thread_id, message_id=mid)

    def _match_sent(self, key: str, mid: str) -> DraftRef | None:
        page = self.session.execute(
            self._users.messages().list(userId="me", labelIds=["SENT"], maxResults=SENT_SCAN),
            "Gmail messages.list (recent sent)",
        )
        for item in entries(page, "messages", "Gmail messages.list (recent sent)"):
            if not id_text(item.get("id")):
                raise InvalidResponse(
                    f"Gmail messages.list: a message without an id ({item!r:.80})"
                )
            message = self._looked_at.get(str(item["id"]))
            if message is None:
                try:
                    message = self._metadata(item["id"])
                except NotFound:
                    continue
                self._readable(message, f"Gmail messages.get of sent message {item['id']}", key)
                self._remember(message)
            if self._is_ours(message, key):
                log.info("draft for %s was already sent as message %s", key, item["id"])
                return DraftRef(
                    id=SENT_PREFIX + str(item["id"]),
                    thread_id=id_text(message.get("threadId")),
                    message_id=(header(message, "Message-ID") or "").strip() or mid,
                )
        return None

    def _remember(self, message: dict[str, Any]) -> None:
        """Keep what find() compares of a message it read (readable: checked before)."""
        ident = id_text(message.get("id"))
        if ident is None:
            return
        if len(self._looked_at) >= LOOKED_AT:
            self._looked_at.clear()  # rare (a mailbox with hundreds of drafts): read again
        headers = [
            h
            for h in message["payload"]["headers"]
            if isinstance(h, dict) and str(h.get("name", "")).lower() in COMPARED
        ]
        self._looked_at[ident] = {
            "id": ident,
            "threadId": message.get("threadId"),
            "payload": {"headers": headers},
        }

    @staticmethod
    def _readable(message: dict[str, Any], what: str, key: str) -> None:
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("headers"), list):
            raise InvalidResponse(
                f"{what}: expected the message's headers; cannot tell whether it is the draft "
                f"for {key}"
            )

    def _metadata(self, message_id: Any) -> dict[str, Any]:
        return self.session.execute(
            self._users.messages().get(
                userId="me", id=str(message_id), format="metadata", metadataHeaders=THREAD_HEADERS
            ),
            "Gmail messages.get",
        )

    # -- state -------------------------------------------------------------------------------

    def state(self, ref: DraftRef, key: str) -> DraftState:
        if ref.id.startswith(SENT_PREFIX) or not ref.id or not ref.thread_id:
            return self._look_up(ref, key)
        reader = f"draft:{ref.id}"
        seen = self.history.positions.get(reader)
        position: str | None = None
        if seen is not None:
            try:
                view = self.history.since(seen, reader)
            except CursorExpired:
                self.history.forget(reader)
            else:
                position = view.latest
                note = self.history.noted(reader) or {}
                made = frozenset([note["made"]] if isinstance(note.get("made"), str) else [])
                if ref.thread_id not in view.threads_touched(seen, made):
                    self.history.moved(reader, position)
                    self.history.note(reader, None)  # past its creation now
                    return DraftState(DraftStatus.DRAFT)
        answer = self._draft(ref)
        if answer is None:
            self.history.forget(reader)
            return self._not_a_draft(ref, key)
        # A position from before this answer, so nothing after it is lost: this poll's
        # history answer, or the draft message's own last change (no request), else Gmail's
        # current one.
        message = answer.get("message") if isinstance(answer.get("message"), dict) else {}
        known = [
            int(p)
            for p in (position, self.history.current(reader), history_id(message.get("historyId")))
            if p is not None
        ]
        # Every one of them is from before the answer; the latest saves looking again at
        # what came before it (the draft's own creation).
        position = str(max(known)) if known else self.history.now(reader)
        self.history.moved(reader, position)
        self.history.note(reader, None)
        return DraftState(DraftStatus.DRAFT)

    def _look_up(self, ref: DraftRef, key: str) -> DraftState:
        if ref.id.startswith(SENT_PREFIX):
            try:
                return self._sent(self._metadata(ref.id[len(SENT_PREFIX) :]))
            except NotFound:
                return DraftState(DraftStatus.GONE)
        if ref.id and self._draft(ref) is not None:
            return DraftState(DraftStatus.DRAFT)
        return self._not_a_draft(ref, key)

    def _draft(self, ref: DraftRef) -> dict[str, Any] | None:
        """``drafts.get`` of the draft (ids and labels only); None when it is not a draft any
        more."""
        try:
            return self.session.execute(
                self._users.drafts().get(userId="me", id=ref.id, format="minimal"),
                "Gmail drafts.get",
            )
        except NotFound:
            return None

    def _not_a_draft(self, ref: DraftRef, key: str) -> DraftState:
        """Sent (a SENT message of ours in its thread, with its real send time) or gone."""
        if not ref.thread_id:
            return DraftState(DraftStatus.GONE)
        try:
            thread = self.session.execute(
                self._users.threads().get(
                    userId="me", id=ref.thread_id, format="metadata", metadataHeaders=THREAD_HEADERS
                ),
                "Gmail threads.get",
            )
        except NotFound:
            return DraftState(DraftStatus.GONE)
        ours = self._ours(entries(thread, "messages"), ref, key)
        if not ours:
            return DraftState(DraftStatus.GONE)
        return self._sent(min(ours, key=internal_date))

    def _ours(self, messages: list[Any], ref: DraftRef, key: str) -> list[dict[str, Any]]:
        sent = [
            m
            for m in messages
            if isinstance(m, dict) and "SENT" in labels(m) and "DRAFT" not in labels(m)
        ]
        marked = [
            m
            for m in sent
            if self._is_ours(m, key)
            or (ref.message_id and header(m, "Message-ID") == ref.message_id)
        ]
        if marked:
            return marked
        entry = self.record.get(ref.id)
        if entry is None:
            return []  # without the record, an unmarked sent message cannot be told apart
        prior = set(entry.get("prior") or [])
        # None is marked as ours (above), so only messages without any KEY are candidates: one
        # with another draft's KEY is that draft's.
        return [
            m
            for m in sent
            if id_text(m.get("id")) not in prior and not (header(m, KEY_HEADER) or "").strip()
        ]

    @staticmethod
    def _sent(message: dict[str, Any]) -> DraftState:
        try:
            when = internal_date(message)
        except BadItem as err:
            raise InvalidResponse(str(err)) from err
        target = reply_target(message)
        if target is None:
            log.warning("sent message %s has no Message-ID header", message.get("id"))
        return DraftState(DraftStatus.SENT, sent_at=when, sent=target)
