"""Gmail as a :class:`~daemon.protocols.Mailbox`: drafts (never sent) and reply detection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from connectors.google.draftlog import DraftLog
from connectors.google.drafts import GmailDrafts
from connectors.google.history import GmailHistory
from connectors.google.http import GoogleSession
from connectors.google.inbound import GmailInbound
from connectors.google.positions import FILE as POSITIONS
from connectors.google.positions import Positions
from connectors.google.redraft import GmailRedraft
from connectors.google.sent import GmailSent
from daemon.protocols import (
    AccountContext,
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    InboundMessages,
    SentMessages,
)

DRAFT_LOG = "google-drafts.json"


class GoogleMailbox:
    # The reply cursor records the senders and domains it watched; when they change, the core
    # keeps it and messages_since reads only the new ones' older mail (daemon/protocols.py).
    cursor_keeps_watch = True

    def __init__(
        self, session: GoogleSession, ctx: AccountContext, options: dict[str, Any]
    ) -> None:
        self.session = session
        self.ctx = ctx
        # One history.list per poll answers both the draft check and the reply check; the
        # readers' positions are kept in the state folder for the next process.
        saved = Positions(ctx.state_dir / POSITIONS)
        self.history = GmailHistory(session, ctx.name, ctx.clock, saved)
        log = DraftLog(ctx.state_dir / DRAFT_LOG)
        self.drafts = GmailDrafts(session, log, ctx.addresses, self.history)
        self.inbound = GmailInbound(session, ctx, self.history)
        self.sent = GmailSent(session, ctx.state_dir, self.history)
        self.redraft = GmailRedraft(session)

    def find_draft(self, key: str) -> DraftRef | None:
        return self.drafts.find(key)

    def create_draft(self, request: DraftRequest) -> DraftRef:
        return self.drafts.create(request)

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        return self.drafts.state(ref, key)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        return self.redraft.read(ref, key)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        self.redraft.delete(ref, key)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        return self.inbound.messages_since(since, senders, domains, cursor)

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        return self.sent.sent_since(since, recipients, domains)

    def check(self) -> str:
        profile = self.session.execute(
            self.session.service("gmail").users().getProfile(userId="me"), "Gmail users.getProfile"
        )
        address = str(profile.get("emailAddress") or "?")
        line = f"Gmail {address}: can create drafts and read headers (never bodies, never sends)"
        if self.ctx.addresses and address.lower() not in self.ctx.addresses:
            line += (
                f"; note: {address} is not among the account's addresses "
                f"({', '.join(self.ctx.addresses)}), so its own mail may look like replies"
            )
        return line
