"""What the mailbox tells us after drafts exist: was a draft sent or deleted, did anyone answer.

A human reply from the company (an interviewer, the organizer or anyone at the company's
domains) after the interview closes the process's pending inquiries. An auto-reply never counts
as an answer, but one that states a return date pushes the pending inquiry past that date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.autoreply import return_date
from daemon.businessdays import add_business_days
from daemon.config import Account, Config
from daemon.message import draft_key
from daemon.output.times import day, short, zoned
from daemon.planning.followups import FollowUpPlanner
from daemon.protocols import DraftRef, DraftStatus, InboundMessage, Mailbox
from daemon.store.models import FollowUp, Interview, Kind, Process, State
from daemon.store.repository import get_cursor, record_problems, set_cursor, transition

log = logging.getLogger(__name__)


class ReplyTracker:
    def __init__(self, config: Config, account: Account, mailbox: Mailbox) -> None:
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.planner = FollowUpPlanner(config, account)

    # -- drafts ---------------------------------------------------------------------------

    def check_drafts(self, session: Session, now: datetime) -> None:
        """Ask the mailbox about every draft still waiting for the user."""
        waiting = session.scalars(
            select(FollowUp)
            .join(Interview, FollowUp.interview_id == Interview.id)
            .where(Interview.account == self.account.name, FollowUp.state == State.DRAFTED)
        ).all()
        for fu in waiting:
            ref = DraftRef(id=fu.draft_id or "", thread_id=fu.thread_id, message_id=fu.message_id)
            state = self.mailbox.draft_state(ref, draft_key(fu.key, fu.revision or 0))
            if state.status == DraftStatus.DRAFT:
                continue
            if state.status == DraftStatus.GONE:
                transition(
                    session, fu, State.DONE, "you deleted the draft; it will not be recreated", now
                )
                continue
            fu.sent_at = state.sent_at or now
            if state.sent is not None:
                fu.sent_message_id = state.sent.message_id
                fu.sent_provider_id = state.sent.provider_id
                fu.thread_id = state.sent.thread_id or fu.thread_id
                fu.subject = state.sent.subject or fu.subject
                fu.sent_references = list(state.sent.references)
            sent = short(fu.sent_at, self.config.daemon.timezone)
            transition(session, fu, State.DONE, f"you sent it on {sent}", now)
            self._after_sent(session, fu, now)
            session.flush()

    def _after_sent(self, session: Session, fu: FollowUp, now: datetime) -> None:
        interview = fu.interview
        if fu.kind == Kind.THANK_YOU:
            # The no-reply clock starts when a thank-you really went out (planning/basis.py):
            # the one to the inquiry's own contact, else the first one sent.
            for inquiry in interview.followups:
                if (
                    inquiry.kind == Kind.STATUS_INQUIRY
                    and inquiry.seq == 1
                    and inquiry.state == State.SCHEDULED
                ):
                    inquiry.due_at = self.planner.due_time(session, interview, inquiry)
                    due = short(inquiry.due_at, self.config.daemon.timezone)
                    inquiry.reason = f"your thank-you went out; due {due}"
                    inquiry.updated_at = now
        elif fu.kind == Kind.STATUS_INQUIRY:
            self.planner.plan_next_inquiry(session, fu, now)

    # -- replies --------------------------------------------------------------------------

    def check_replies(self, session: Session, now: datetime) -> None:
        # Loaded with what is looked at below in four queries, not four per interview: a
        # calendar of a thousand interviews made this the slowest part of a poll.
        processes = session.scalars(
            select(Process)
            .where(Process.account == self.account.name, Process.state == "active")
            .options(
                selectinload(Process.interviews).selectinload(Interview.followups),
                selectinload(Process.interviews).selectinload(Interview.interviewers),
            )
        ).all()
        watched: dict[int, tuple[Process, list[Interview]]] = {}
        for process in processes:
            started = [i for i in process.interviews if i.status == "active" and i.start_at <= now]
            if started and any(
                fu.state in (State.SCHEDULED, State.CREATING, State.DRAFTED, State.DONE)
                and fu.kind == Kind.STATUS_INQUIRY
                for i in started
                for fu in i.followups
            ):
                watched[process.id] = (process, started)
        if not watched:
            return
        senders = sorted(
            {
                p.email
                for _, interviews in watched.values()
                for i in interviews
                for p in i.interviewers
            }
            | {i.organizer for _, interviews in watched.values() for i in interviews if i.organizer}
        )
        domains = sorted({d for process, _ in watched.values() for d in process.domains})
        since = min(i.start_at for _, interviews in watched.values() for i in interviews)
        fingerprint = hashlib.sha256(
            json.dumps([senders, domains, since.isoformat()]).encode()
        ).hexdigest()[:16]
        stored = _load(get_cursor(session, self.account.name, "mail"))
        # A cursor is for the watched set it was made with, unless the mailbox's cursor
        # records that set itself and reads what a change adds (Gmail: only the new senders).
        keeps = getattr(self.mailbox, "cursor_keeps_watch", False) is True
        cursor = stored.get("cursor") if keeps or stored.get("watch") == fingerprint else None
        result = self.mailbox.messages_since(since, senders, domains, cursor)
        record_problems(session, self.account.name, "mail", result.problems, now)
        for message in sorted(result.messages, key=lambda m: m.received_at):
            for process, interviews in watched.values():
                if self._from_company(message, process, interviews):
                    self._apply(session, process, interviews, message, now)
        set_cursor(
            session,
            self.account.name,
            "mail",
            json.dumps({"watch": fingerprint, "cursor": result.cursor}),
            now,
        )

    @staticmethod
    def _from_company(
        message: InboundMessage, process: Process, interviews: Sequence[Interview]
    ) -> bool:
        sender = message.sender.lower()
        if message.received_at < min(i.start_at for i in interviews):
            return False
        people = {p.email for i in interviews for p in i.interviewers} | {
            i.organizer for i in interviews if i.organizer
        }
        if sender in people:
            return True
        domain = sender.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in process.domains)

    def _apply(
        self,
        session: Session,
        process: Process,
        interviews: Sequence[Interview],
        message: InboundMessage,
        now: datetime,
    ) -> None:
        pending = [
            fu
            for i in interviews
            for fu in i.followups
            if fu.kind == Kind.STATUS_INQUIRY and fu.state == State.SCHEDULED
        ]
        if message.auto_reply:
            back = return_date(message.excerpt, message.received_at)
            if back is None:
                log.info("auto-reply from %s ignored (no return date)", message.sender)
                return
            for fu in pending:
                tz = fu.interview.timezone or self.config.daemon.timezone
                morning = datetime.combine(back, time(10, 0), tzinfo=ZoneInfo(tz))
                after = add_business_days(morning, 1, tz, self.config.days)
                if fu.due_at < after:
                    fu.due_at = after
                    fu.updated_at = now
                    fu.reason = f"{message.sender} is away until {back.isoformat()} (auto-reply)"
                    log.info("inquiry %s pushed to %s: %s", fu.id, zoned(after, tz), fu.reason)
            return
        received = day(message.received_at, self.config.daemon.timezone)
        reason = f"reply from {message.sender} on {received}"
        process.state, process.reason = "replied", reason
        process.replied_at, process.updated_at = message.received_at, now
        for fu in pending:
            transition(session, fu, State.CANCELLED, reason, now)
        for i in interviews:
            for fu in i.followups:
                if fu.state == State.DRAFTED or (fu.state == State.DONE and fu.sent_at is not None):
                    transition(session, fu, State.REPLIED, reason, now)
        log.info("process %s (%s): %s", process.id, process.company, reason)


def _load(value: str | None) -> dict[str, str | None]:
    try:
        loaded = json.loads(value) if value else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def record_mail_problems(session: Session, account: str, problems: Sequence, now: datetime) -> None:
    record_problems(session, account, "mail", problems, now)
