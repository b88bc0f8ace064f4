"""Drafts on an IMAP server: APPENDed to Drafts, found again by the KEY, sent or gone.

The same rules as the Maildir provider (:mod:`connectors.maildir.connector`), over the wire:
a draft names no KEY; it is found again by the Message-ID derived from the KEY, in Drafts
(still a draft) or in a Sent mailbox (sent); nowhere means the user deleted it, and the core
never recreates it. Only Drafts and Sent count, never a mailbox mail is delivered to.

A mail client that saves or sends the draft under a new Message-ID is followed by what the
draft says (:mod:`connectors.imap.renewed`, the Maildir provider's records and rules).
"""

from __future__ import annotations

import logging
from email.parser import BytesParser
from pathlib import Path, PurePosixPath
from typing import Any

from imapclient import IMAPClient

from connectors.imap.account import ImapAccount
from connectors.imap.folders import DEFAULT_DRAFTS, Mailboxes
from connectors.imap.ours import Found, find_in
from connectors.imap.reading import Fetched, whole
from connectors.imap.renewed import FILE_NAME, Renewals
from connectors.imap.states import leave
from connectors.maildir.reading import POLICY as READ_POLICY
from connectors.maildir.reading import Head
from connectors.maildir.records import DraftRecords
from daemon.bodytext import message_text
from daemon.clock import Clock
from daemon.errors import ConnectorError
from daemon.message import POLICY, build_message, is_message_id_of
from daemon.protocols import (
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    DraftStatus,
    ReplyTarget,
)

log = logging.getLogger(__name__)

DRAFT_FLAGS = (b"\\Draft", b"\\Seen")  # the user's own draft is not unread mail
_WIRE = POLICY.clone(linesep="\r\n")  # IMAP carries CRLF line endings


class ImapDrafts:
    """The draft half of :class:`daemon.protocols.Mailbox` (see the module docstring)."""

    def __init__(self, account: ImapAccount, clock: Clock, state_dir: Path) -> None:
        self.account = account
        self.clock = clock
        self.renewals = Renewals(DraftRecords(state_dir / FILE_NAME))
        # KEY -> the fingerprint of Drafts when its draft was last seen there
        self._present: dict[str, tuple[int, ...]] = {}

    def _find(self, client: IMAPClient, key: str, message_id: str | None) -> Found | None:
        """``key``'s draft in Drafts (recorded as it is now), else its copy in a Sent mailbox,
        by its Message-ID, else by what it says (:mod:`connectors.imap.renewed`)."""
        boxes = self.account.mailboxes(client)
        if boxes.drafts is not None and boxes.drafts in boxes.all:
            found = find_in(client, boxes.drafts, key, message_id)
            if found is not None:
                self.renewals.remember(key, found.message)
                return found
        return self._sent(client, boxes, key, message_id)

    def _sent(
        self, client: IMAPClient, boxes: Mailboxes, key: str, message_id: str | None
    ) -> Found | None:
        for folder in boxes.sent:
            found = find_in(client, folder, key, message_id)
            if found is not None and self._counts_as_sent(found, key):
                return found
        return self.renewals.sent_copy(client, boxes.sent, key)

    def _current(self, client: IMAPClient, drafts: str, ref: DraftRef, key: str) -> Found | None:
        """The message in Drafts that holds the draft as the user last saved it (a later save
        under a new Message-ID wins over ours), for ``followupd redraft``."""
        return self.renewals.resaved(client, drafts, key) or find_in(
            client, drafts, key, ref.message_id
        )

    @staticmethod
    def _counts_as_sent(found: Found, key: str) -> bool:
        """A copy in Sent that still carries ``\\Draft`` is a client's copy of a draft, unless
        it has our own Message-ID (the user moved our draft to Sent by hand: it went out)."""
        head = found.message.head
        return b"\\draft" not in found.message.flags or bool(
            head and is_message_id_of(head.message_id(), key)
        )

    @staticmethod
    def _ref(found: Found) -> DraftRef:
        head = found.message.head
        return DraftRef(
            id=f"{found.uidvalidity}/{found.message.uid}",
            thread_id=head.thread_id() if head else None,
            message_id=head.message_id() if head else None,
        )

    def find_draft(self, key: str) -> DraftRef | None:
        found = self.account.session.run("find a draft", lambda c: self._find(c, key, None))
        return self._ref(found) if found else None

    def create_draft(self, request: DraftRequest) -> DraftRef:
        """APPEND the draft to Drafts with ``\\Draft`` (and ``\\Seen``), unless one for its
        KEY is there already. The search first also proves the connection alive, so the
        APPEND itself is never repeated on a new connection (it might have landed)."""
        boxes, existing = self.account.session.run("find a draft", self._before_append(request.key))
        if existing is not None:
            log.info("draft for %s already in %s", request.key, existing.folder)
            return self._ref(existing)
        drafts = boxes.drafts or self.account.drafts_option or DEFAULT_DRAFTS
        msg = build_message(request, date=self.clock.now())
        data = msg.as_bytes(policy=_WIRE)

        def append(client: IMAPClient) -> bytes:
            if drafts not in boxes.all:
                client.create_folder(drafts)
                client.subscribe_folder(drafts)
                self.account.relist()
            self.account.states.forget()
            return client.append(drafts, data, flags=DRAFT_FLAGS, msg_time=self.clock.now())

        answer = self.account.session.run(f"save the draft in {drafts!r}", append, retry=False)
        head = Head.parse(PurePosixPath(drafts), data)  # type: ignore[arg-type]
        ref = _appended(answer, head.message_id(), head.thread_id())
        if ref is None:  # a server without UIDPLUS: look it up
            found = self.account.session.run(
                "find the new draft", lambda c: find_in(c, drafts, request.key, None)
            )
            if found is None:
                raise ConnectorError(
                    f"{self.account.where}: the draft saved in {drafts!r} is not there"
                )
            ref = self._ref(found)
        self.renewals.remember(request.key, Fetched(0, drafts, head, None, None, frozenset()))
        log.info("draft %s saved in %s", ref.id, drafts)
        return ref

    def _before_append(self, key: str) -> Any:
        def step(client: IMAPClient) -> tuple[Mailboxes, Found | None]:
            boxes = self.account.mailboxes(client)
            if boxes.drafts is None or boxes.drafts not in boxes.all:
                return boxes, None
            return boxes, find_in(client, boxes.drafts, key, None)

        return step

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        """DRAFT while it is in Drafts (no SEARCH when Drafts is unchanged since it was last
        seen there: :mod:`connectors.imap.states`), SENT with its copy in Sent, else GONE."""

        def step(client: IMAPClient) -> DraftState:
            boxes = self.account.mailboxes(client)
            drafts = boxes.drafts
            if drafts is not None and drafts in boxes.all:
                state = self.account.states.state(client, drafts, self.account.condstore)
                if self._present.get(key) == state:
                    return DraftState(DraftStatus.DRAFT)
                found = find_in(client, drafts, key, ref.message_id)
                found = found or self.renewals.resaved(client, drafts, key)
                if found is not None:
                    self.renewals.remember(key, found.message)
                    self._present[key] = state
                    return DraftState(DraftStatus.DRAFT)
            self._present.pop(key, None)
            found = self._sent(client, boxes, key, ref.message_id)
            if found is None:
                return DraftState(DraftStatus.GONE)
            head = found.message.head
            sent = ReplyTarget(
                message_id=(head.message_id() if head else None) or ref.message_id or "",
                thread_id=head.thread_id() if head else None,
                subject=head.text("subject") if head else "",
                references=head.references() if head else (),
            )
            return DraftState(DraftStatus.SENT, sent_at=found.message.date(), sent=sent)

        return self.account.session.run("look for the draft", step)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        def step(client: IMAPClient) -> DraftContent | None:
            boxes = self.account.mailboxes(client)
            if boxes.drafts is None or boxes.drafts not in boxes.all:
                return None
            found = self._current(client, boxes.drafts, ref, key)
            if found is None:
                return None
            client.select_folder(boxes.drafts, readonly=True)
            raw = whole(client, found.message.uid)
            leave(client)
            if raw is None:
                return None
            msg = BytesParser(policy=READ_POLICY).parsebytes(raw)
            subject = found.message.head.text("subject") if found.message.head else ""
            text = message_text(msg)  # type: ignore[arg-type]
            return DraftContent(subject=subject, text=text.replace("\r\n", "\n"))

        return self.account.session.run("read the draft", step)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        """Flag the draft ``\\Deleted`` and expunge that one message (UID EXPUNGE, RFC 4315);
        a server without UIDPLUS keeps it flagged, which every client shows as deleted. Its
        record goes too, so that no later copy in Drafts or Sent is taken for it."""

        def step(client: IMAPClient) -> None:
            boxes = self.account.mailboxes(client)
            if boxes.drafts is None or boxes.drafts not in boxes.all:
                return
            found = self._current(client, boxes.drafts, ref, key)
            if found is not None:
                self.account.states.forget()
                self._present.pop(key, None)
                client.select_folder(boxes.drafts)
                client.add_flags([found.message.uid], [b"\\Deleted"])
                if b"UIDPLUS" in self.account.session.capabilities:
                    client.uid_expunge([found.message.uid])
                leave(client, readonly=False)
                log.info("draft %s deleted from %s at the user's request", ref.id, boxes.drafts)

        self.account.session.run("delete the draft", step)
        self.renewals.forget(key)


def _appended(answer: bytes, message_id: str | None, thread_id: str | None) -> DraftRef | None:
    """The ref from APPEND's ``[APPENDUID <uidvalidity> <uid>]`` (UIDPLUS), else None."""
    text = answer.decode("ascii", "replace") if isinstance(answer, bytes) else str(answer)
    start = text.find("[APPENDUID ")
    if start < 0:
        return None
    parts = text[start + 11 :].split("]", 1)[0].split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return DraftRef(id=f"{parts[0]}/{parts[1]}", thread_id=thread_id, message_id=message_id)
