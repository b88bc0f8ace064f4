"""The IMAP mailbox: drafts APPENDed to Drafts, sent copies read from Sent, replies from INBOX.

The same rules as the Maildir provider (:mod:`connectors.maildir.connector`), over the wire:
a draft names no KEY; it is found again by the Message-ID derived from the KEY, in Drafts
(still a draft) or in a Sent mailbox (sent); nowhere means the user deleted it, and the core
never recreates it. Only Drafts and Sent count, never a mailbox mail is delivered to.

What is not here yet: the Maildir provider's records of a draft's recipients and subject, which
recognise a copy a mail client saved or sent under a new Message-ID (see
:mod:`connectors.maildir.records`); with this provider such a draft reads as deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from email.parser import BytesParser
from pathlib import PurePosixPath
from typing import Any

from imapclient import IMAPClient

from connectors.imap.folders import DEFAULT_DRAFTS, Mailboxes, discover
from connectors.imap.inbound import messages_since
from connectors.imap.ours import Found, find_in
from connectors.imap.reading import whole
from connectors.imap.sent import sent_since
from connectors.imap.session import Server, Session
from connectors.imap.states import MailboxStates, leave
from connectors.maildir.reading import POLICY as READ_POLICY
from connectors.maildir.reading import Head
from daemon.bodytext import message_text
from daemon.errors import ConnectorError
from daemon.message import POLICY, build_message, is_message_id_of
from daemon.protocols import (
    AccountContext,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    DraftStatus,
    InboundMessages,
    Problem,
    ReplyTarget,
    SentMessages,
)

log = logging.getLogger(__name__)

DRAFT_FLAGS = (b"\\Draft", b"\\Seen")  # the user's own draft is not unread mail
_WIRE = POLICY.clone(linesep="\r\n")  # IMAP carries CRLF line endings


class ImapMailbox:
    """:class:`daemon.protocols.Mailbox` over one IMAP account."""

    def __init__(self, ctx: AccountContext, options: dict[str, Any], server: Server) -> None:
        self.ctx = ctx
        self.session = Session(server)
        self.where = server.password.where
        self.drafts_option: str | None = options.get("drafts_folder")
        self.sent_option: str | None = options.get("sent_folder")
        self.inbox_option: list[str] | None = options.get("inbox_folders")
        self.own = {a.lower() for a in ctx.addresses}
        self._boxes: tuple[IMAPClient, Mailboxes] | None = None
        self.states = MailboxStates()
        # KEY -> the fingerprint of Drafts when its draft was last seen there
        self._present: dict[str, tuple[int, ...]] = {}
        self._last_sent: tuple[object, object, SentMessages] | None = None

    # -- mailboxes -------------------------------------------------------------------------

    def _mailboxes(self, client: IMAPClient) -> Mailboxes:
        """The account's mailboxes, listed once per connection (a new connection may follow
        a rename the user made meanwhile)."""
        if self._boxes is None or self._boxes[0] is not client:
            boxes = discover(
                client, self.where, self.drafts_option, self.sent_option, self.inbox_option
            )
            self._boxes = (client, boxes)
        return self._boxes[1]

    def _find(self, client: IMAPClient, key: str, message_id: str | None) -> Found | None:
        """``key``'s draft in Drafts, else its copy in a Sent mailbox."""
        boxes = self._mailboxes(client)
        if boxes.drafts is not None and boxes.drafts in boxes.all:
            found = find_in(client, boxes.drafts, key, message_id)
            if found is not None:
                return found
        for folder in boxes.sent:
            found = find_in(client, folder, key, message_id)
            if found is not None and self._counts_as_sent(found, key):
                return found
        return None

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

    # -- Mailbox protocol ------------------------------------------------------------------

    def find_draft(self, key: str) -> DraftRef | None:
        found = self.session.run("find a draft", lambda c: self._find(c, key, None))
        return self._ref(found) if found else None

    def create_draft(self, request: DraftRequest) -> DraftRef:
        """APPEND the draft to Drafts with ``\\Draft`` (and ``\\Seen``), unless one for its
        KEY is there already. The search first also proves the connection alive, so the
        APPEND itself is never repeated on a new connection (it might have landed)."""
        boxes, existing = self.session.run("find a draft", self._before_append(request.key))
        if existing is not None:
            log.info("draft for %s already in %s", request.key, existing.folder)
            return self._ref(existing)
        drafts = boxes.drafts or self.drafts_option or DEFAULT_DRAFTS
        msg = build_message(request, date=self.ctx.clock.now())
        data = msg.as_bytes(policy=_WIRE)

        def append(client: IMAPClient) -> bytes:
            if drafts not in boxes.all:
                client.create_folder(drafts)
                client.subscribe_folder(drafts)
                self._boxes = None
            self.states.forget()
            return client.append(drafts, data, flags=DRAFT_FLAGS, msg_time=self.ctx.clock.now())

        answer = self.session.run(f"save the draft in {drafts!r}", append, retry=False)
        head = Head.parse(PurePosixPath(drafts), data)  # type: ignore[arg-type]
        ref = _appended(answer, head.message_id(), head.thread_id())
        if ref is None:  # a server without UIDPLUS: look it up
            found = self.session.run(
                "find the new draft", lambda c: find_in(c, drafts, request.key, None)
            )
            if found is None:
                raise ConnectorError(f"{self.where}: the draft saved in {drafts!r} is not there")
            ref = self._ref(found)
        log.info("draft %s saved in %s", ref.id, drafts)
        return ref

    def _before_append(self, key: str) -> Any:
        def step(client: IMAPClient) -> tuple[Mailboxes, Found | None]:
            boxes = self._mailboxes(client)
            if boxes.drafts is None or boxes.drafts not in boxes.all:
                return boxes, None
            return boxes, find_in(client, boxes.drafts, key, None)

        return step

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        """DRAFT while it is in Drafts (no SEARCH when Drafts is unchanged since it was last
        seen there: :mod:`connectors.imap.states`), SENT with its copy in Sent, else GONE."""

        def step(client: IMAPClient) -> DraftState:
            boxes = self._mailboxes(client)
            drafts = boxes.drafts
            if drafts is not None and drafts in boxes.all:
                condstore = b"CONDSTORE" in self.session.capabilities
                state = self.states.state(client, drafts, condstore)
                if self._present.get(key) == state:
                    return DraftState(DraftStatus.DRAFT)
                found = find_in(client, drafts, key, ref.message_id)
                if found is not None:
                    self._present[key] = state
                    return DraftState(DraftStatus.DRAFT)
            self._present.pop(key, None)
            for folder in boxes.sent:
                found = find_in(client, folder, key, ref.message_id)
                if found is None or not self._counts_as_sent(found, key):
                    continue
                message = found.message
                head = message.head
                sent = ReplyTarget(
                    message_id=(head.message_id() if head else None) or ref.message_id or "",
                    thread_id=head.thread_id() if head else None,
                    subject=head.text("subject") if head else "",
                    references=head.references() if head else (),
                )
                return DraftState(DraftStatus.SENT, sent_at=message.date(), sent=sent)
            return DraftState(DraftStatus.GONE)

        return self.session.run("look for the draft", step)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        def step(client: IMAPClient) -> DraftContent | None:
            boxes = self._mailboxes(client)
            if boxes.drafts not in boxes.all:
                return None
            found = find_in(client, boxes.drafts, key, ref.message_id, keep=True)  # type: ignore[arg-type]
            if found is None:
                leave(client)
                return None
            raw = whole(client, found.message.uid)
            leave(client)
            if raw is None:
                return None
            msg = BytesParser(policy=READ_POLICY).parsebytes(raw)
            subject = found.message.head.text("subject") if found.message.head else ""
            text = message_text(msg)  # type: ignore[arg-type]
            return DraftContent(subject=subject, text=text.replace("\r\n", "\n"))

        return self.session.run("read the draft", step)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        """Flag the draft ``\\Deleted`` and expunge that one message (UID EXPUNGE, RFC 4315);
        a server without UIDPLUS keeps it flagged, which every client shows as deleted."""

        def step(client: IMAPClient) -> None:
            boxes = self._mailboxes(client)
            if boxes.drafts not in boxes.all:
                return
            found = find_in(client, boxes.drafts, key, ref.message_id, readonly=False, keep=True)  # type: ignore[arg-type]
            if found is None:
                leave(client, readonly=False)
                return  # gone already: what was asked
            self.states.forget()
            self._present.pop(key, None)
            client.add_flags([found.message.uid], [b"\\Deleted"])
            if b"UIDPLUS" in self.session.capabilities:
                client.uid_expunge([found.message.uid])
            leave(client, readonly=False)
            log.info("draft %s deleted from %s at the user's request", ref.id, boxes.drafts)

        self.session.run("delete the draft", step)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        def step(client: IMAPClient) -> InboundMessages:
            boxes = self._mailboxes(client)
            there = [f for f in boxes.inbox if f in boxes.all]
            result = messages_since(client, there, since, senders, domains, cursor, self.own)
            for name in self._missing(boxes):
                result.problems.append(Problem(name, self._missing_text(name), warning=True))
            return result

        return self.session.run("look for replies", step)

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        """The user's sent messages to those people or domains; while a status inquiry waits,
        asked every poll with the same question: answered again from the last answer while
        the Sent mailboxes are unchanged (one STATUS each)."""

        def step(client: IMAPClient) -> SentMessages:
            boxes = self._mailboxes(client)
            condstore = b"CONDSTORE" in self.session.capabilities
            question = (boxes.sent, since, tuple(sorted(recipients)), tuple(sorted(domains)))
            states = tuple(self.states.state(client, f, condstore) for f in boxes.sent)
            last = self._last_sent
            if last is not None and last[0] == question and last[1] == states:
                return last[2]
            answer = sent_since(client, boxes.sent, since, recipients, domains)
            self._last_sent = (question, states, answer)
            return answer

        return self.session.run("read the sent mail", step)

    def check(self) -> str:
        """Sign in and list the mailboxes; nothing is written."""

        def step(client: IMAPClient) -> str:
            boxes = self._mailboxes(client)
            missing = self._missing(boxes)
            if missing:
                raise ConnectorError("; ".join(self._missing_text(n) for n in missing))
            if boxes.drafts in boxes.all:
                drafts = f"drafts go to {boxes.drafts!r} ({boxes.drafts_how})"
            else:
                name = boxes.drafts or DEFAULT_DRAFTS
                drafts = f"drafts go to {name!r} (created by the first draft, as clients do)"
            sent = ", ".join(repr(s) for s in boxes.sent) or "none found (set sent_folder)"
            inbox = ", ".join(repr(s) for s in boxes.inbox)
            return (
                f"IMAP {self.session.server.label}: {len(boxes.all)} mailboxes; {drafts}; "
                f"sent mail in {sent}; replies are looked for in {inbox}"
            )

        return self.session.run("check", step)

    def _missing(self, boxes: Mailboxes) -> list[str]:
        """Configured mailboxes (inbox_folders, sent_folder) that the server does not have."""
        named = list(self.inbox_option or []) + ([self.sent_option] if self.sent_option else [])
        listed = {n.casefold() for n in boxes.all}
        return [n for n in named if n.casefold() not in listed]

    def _missing_text(self, name: str) -> str:
        option = "sent_folder" if name == self.sent_option else "inbox_folders"
        return (
            f"{self.where}.{option}: the server has no mailbox {name!r} (it has "
            f"{', '.join(repr(n) for n in sorted(self._boxes[1].all if self._boxes else []))})"
        )


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
