"""The IMAP mailbox: drafts (:mod:`connectors.imap.drafts`), replies from INBOX
(:mod:`connectors.imap.inbound`), the user's sent mail (:mod:`connectors.imap.sent`), over one
connection kept between polls (:mod:`connectors.imap.session`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from connectors.imap.account import ImapAccount
from connectors.imap.drafts import ImapDrafts
from connectors.imap.folders import DEFAULT_DRAFTS
from connectors.imap.idle import InboxIdle
from connectors.imap.inbound import messages_since
from connectors.imap.sent import sent_since
from connectors.imap.session import Server
from daemon.errors import ConnectorError
from daemon.protocols import (
    AccountContext,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    InboundMessages,
    Problem,
    SentMessages,
    Watch,
)


class ImapMailbox:
    """:class:`daemon.protocols.Mailbox` over one IMAP account."""

    def __init__(self, ctx: AccountContext, options: dict[str, Any], server: Server) -> None:
        self.account = ImapAccount(options, server)
        self.drafts = ImapDrafts(self.account, ctx.clock, ctx.state_dir)
        self.own = {a.lower() for a in ctx.addresses}
        self.name = ctx.name
        self._last_sent: tuple[object, object, SentMessages] | None = None

    def find_draft(self, key: str) -> DraftRef | None:
        return self.drafts.find_draft(key)

    def create_draft(self, request: DraftRequest) -> DraftRef:
        return self.drafts.create_draft(request)

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        return self.drafts.draft_state(ref, key)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        return self.drafts.read_draft(ref, key)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        self.drafts.delete_draft(ref, key)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        def step(client: IMAPClient) -> InboundMessages:
            boxes = self.account.mailboxes(client)
            there = [f for f in boxes.inbox if f in boxes.all]
            result = messages_since(client, there, since, senders, domains, cursor, self.own)
            for name in self.account.missing(boxes):
                result.problems.append(
                    Problem(name, self.account.missing_text(name, boxes), warning=True)
                )
            return result

        return self.account.session.run("look for replies", step)

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        """The user's sent messages to those people or domains; while a status inquiry waits,
        asked every poll with the same question: answered again from the last answer while
        the Sent mailboxes are unchanged (one STATUS each)."""

        def step(client: IMAPClient) -> SentMessages:
            boxes = self.account.mailboxes(client)
            condstore = self.account.condstore
            question = (boxes.sent, since, tuple(sorted(recipients)), tuple(sorted(domains)))
            states = tuple(self.account.states.state(client, f, condstore) for f in boxes.sent)
            last = self._last_sent
            if last is not None and last[0] == question and last[1] == states:
                return last[2]
            answer = sent_since(client, boxes.sent, since, recipients, domains)
            self._last_sent = (question, states, answer)
            return answer

        return self.account.session.run("read the sent mail", step)

    def watch(self, wake: Callable[[], None]) -> Watch:
        """New mail in the first of the reply mailboxes (INBOX unless ``inbox_folders`` says
        otherwise) wakes the core, through IMAP IDLE on a connection of the watch's own
        (:mod:`connectors.imap.idle`). It connects in its own thread: a slow server never
        holds up the daemon, and one that cannot IDLE is said in the log."""
        server = self.account.session.server
        folder = (self.account.inbox_option or ["INBOX"])[0]
        return InboxIdle(server, folder, wake, f"{self.name}: imap {server.label} {folder}")

    def check(self) -> str:
        """Sign in and list the mailboxes; nothing is written."""

        def step(client: IMAPClient) -> str:
            boxes = self.account.mailboxes(client)
            missing = self.account.missing(boxes)
            if missing:
                raise ConnectorError(
                    "; ".join(self.account.missing_text(n, boxes) for n in missing)
                )
            if boxes.drafts in boxes.all:
                drafts = f"drafts go to {boxes.drafts!r} ({boxes.drafts_how})"
            else:
                name = boxes.drafts or DEFAULT_DRAFTS
                drafts = f"drafts go to {name!r} (created by the first draft, as clients do)"
            sent = ", ".join(repr(s) for s in boxes.sent) or "none found (set sent_folder)"
            inbox = ", ".join(repr(s) for s in boxes.inbox)
            return (
                f"IMAP {self.account.session.server.label}: {len(boxes.all)} mailboxes; {drafts}; "
                f"sent mail in {sent}; replies are looked for in {inbox}"
            )

        return self.account.session.run("check", step)
