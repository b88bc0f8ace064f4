"""What the mailbox tells us after drafts exist: was a draft sent or deleted, did anyone answer.

A human reply from the company (an interviewer, the organizer or anyone at the company's
domains) after the interview closes the process's pending inquiries. An auto-reply never counts
as an answer, but one that states a return date pushes the pending inquiry past that date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from daemon.autoreply import return_date
from daemon.businessdays import add_business_days
from daemon.config import Account, Config
from daemon.errors import CursorExpired
from daemon.message import draft_key
from daemon.output.times import day, short, zoned
from daemon.planning.followups import FollowUpPlanner
from daemon.protocols import (
    DraftRef,
    DraftState,
    DraftStatus,
    InboundMessage,
    InboundMessages,
    Mailbox,
)
from daemon.store.models import FollowUp, Interview, Interviewer, Kind, Process, State
from daemon.store.repository import get_cursor, record_problems, set_cursor, transition

log = logging.getLogger(__name__)

# The states of a status inquiry that make its process wait for a reply.
WATCHING = (State.SCHEDULED, State.CREATING, State.DRAFTED, State.DONE)


# Whose rows a statement below reads: one account's (``account``), or, for the poll cycle's
# one read of all its accounts (daemon/running/pollreads.py), those in ``accounts``.
ONE_ACCOUNT = Interview.account == bindparam("account")
SOME_ACCOUNTS = Interview.account.in_(bindparam("accounts", expanding=True))


def _watched_interviews(
    whose: ColumnElement[bool] = ONE_ACCOUNT,
) -> tuple[ColumnElement[bool], ...]:
    """The begun interviews of active processes a reply would change (ReplyTracker.watched),
    as a where clause over the interview and its joined process, for the parameters
    ``account`` (or ``accounts``) and ``now``."""
    begun = (
        whose,
        Interview.status == "active",
        Interview.start_at <= bindparam("now"),
    )
    inquiring = exists().where(
        FollowUp.interview_id == Interview.id,
        FollowUp.kind == Kind.STATUS_INQUIRY,
        FollowUp.state.in_(WATCHING),
    )
    waited_on = select(Interview.process_id).where(*begun, inquiring)
    return (*begun, Process.state == "active", Interview.process_id.in_(waited_on))


def interviews_and_people(*columns: Any) -> Select[Any]:
    """Interviews with their company's domains and each interviewer's address, a row per
    interviewer (one with none when there is none), each row starting with the account:
    whom a reply or a sent message is looked for (also daemon/running/sentwatch.py)."""
    return (
        select(Interview.account, *columns, Process.domains, Interviewer.email)
        .join(Process, Interview.process_id == Process.id)
        .outerjoin(Interviewer, Interviewer.interview_id == Interview.id)
    )


def _reply_question(whose: ColumnElement[bool]) -> Select[Any]:
    return interviews_and_people(Interview.start_at, Interview.organizer).where(
        *_watched_interviews(whose)
    )


def _waiting_drafts(whose: ColumnElement[bool]) -> Select[Any]:
    account = select(Interview.account).where(Interview.id == FollowUp.interview_id)
    return (
        select(
            account.scalar_subquery(),
            FollowUp.id,
            FollowUp.draft_id,
            FollowUp.thread_id,
            FollowUp.message_id,
            FollowUp.key,
            FollowUp.revision,
        )
        # Through the account's interviews (ix_followups_interview_id_state), not through every
        # account's drafts: a join lets SQLite's planner start from the state index.
        .where(
            FollowUp.interview_id.in_(select(Interview.id).where(whose)),
            FollowUp.state == State.DRAFTED,
        )
        .order_by(FollowUp.id)
    )


# Built once, with the account and the time as parameters: every poll of every account asks
# these, and building the statement again each time cost half of the question (issue 14).
# Each row starts with its interview's account.
WATCHED = _watched_interviews()
REPLY_QUESTION = _reply_question(ONE_ACCOUNT)
REPLY_QUESTIONS = _reply_question(SOME_ACCOUNTS)
WAITING_DRAFTS = _waiting_drafts(ONE_ACCOUNT)
WAITING_DRAFTS_OF = _waiting_drafts(SOME_ACCOUNTS)


@dataclass(frozen=True)
class WaitingDraft:
    """A draft waiting for the user, as the mailbox is asked about it."""

    followup_id: int
    ref: DraftRef
    key: str


@dataclass(frozen=True)
class ReplyQuestion:
    """What the mailbox is asked for replies: who, since when, from which cursor; the
    fingerprint of who and since, which the stored cursor belongs to."""

    since: datetime
    senders: list[str]
    domains: list[str]
    cursor: str | None
    fingerprint: str
    known: bool = False  # the stored cursor is this question's (same people, same since)


class ReplyTracker:
    def __init__(self, config: Config, account: Account, mailbox: Mailbox) -> None:
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.planner = FollowUpPlanner(config, account)

    # -- drafts ---------------------------------------------------------------------------

    def waiting_drafts(self, session: Session) -> list[WaitingDraft]:
        """The drafts of this account still waiting for the user, as the mailbox knows them."""
        return self.drafts_from(session.execute(WAITING_DRAFTS, {"account": self.account.name}))

    @staticmethod
    def drafts_from(rows: Iterable[Row[Any]]) -> list[WaitingDraft]:
        """The waiting drafts in rows of :data:`WAITING_DRAFTS` (or ``WAITING_DRAFTS_OF``'s
        rows of one account)."""
        return [
            WaitingDraft(
                fu_id,
                DraftRef(id=draft_id or "", thread_id=thread_id, message_id=message_id),
                draft_key(key, revision or 0),
            )
            for _, fu_id, draft_id, thread_id, message_id, key, revision in rows
        ]

    def ask_drafts(self, waiting: Sequence[WaitingDraft]) -> list[tuple[int, DraftState]]:
        """The mailbox's answers that change something (sent or deleted); no database here."""
        answers = []
        for draft in waiting:
            state = self.mailbox.draft_state(draft.ref, draft.key)
            if state.status != DraftStatus.DRAFT:
                answers.append((draft.followup_id, state))
        return answers

    def record_drafts(
        self, session: Session, answers: Sequence[tuple[int, DraftState]], now: datetime
    ) -> None:
        """Record what the mailbox said, on the follow-ups as they are now: one the user
        changed meanwhile (``followupd skip``, a redraft) is left as the user left it."""
        for fu_id, state in answers:
            fu = session.get(FollowUp, fu_id)
            if fu is None or fu.state != State.DRAFTED:
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

    def watched(
        self, session: Session, now: datetime
    ) -> dict[int, tuple[Process, list[Interview]]]:
        """The active processes a reply would change, each with its begun interviews.

        A process is watched while one of its begun interviews has a status inquiry planned,
        being drafted, waiting in Drafts or sent. Chosen by the database and loaded with what
        is looked at below in three queries, whatever the size of the account's history: the
        interviews of processes nobody waits on (answered, over, to come) are never read.
        """
        interviews = session.scalars(
            select(Interview)
            .join(Interview.process)
            .where(*WATCHED)
            .order_by(Interview.process_id, Interview.id)
            .options(
                contains_eager(Interview.process),
                selectinload(Interview.followups),
                selectinload(Interview.interviewers),
            ),
            {"account": self.account.name, "now": now},
        ).all()
        watched: dict[int, tuple[Process, list[Interview]]] = {}
        for interview in interviews:
            watched.setdefault(interview.process_id, (interview.process, []))[1].append(interview)
        return watched

    def reply_question(self, session: Session, now: datetime) -> ReplyQuestion | None:
        """What to ask the mailbox: who may answer, since when, from which cursor.

        The watched interviews' plain columns in one query, not :meth:`watched`'s objects:
        most polls ask and find nothing, and build no more than the question."""
        rows = session.execute(REPLY_QUESTION, {"account": self.account.name, "now": now}).all()
        if not rows:
            return None
        return self.question_from(rows, get_cursor(session, self.account.name, "mail"))

    def question_from(
        self, rows: Sequence[Row[Any]], stored_cursor: str | None
    ) -> ReplyQuestion | None:
        """The question in rows of :data:`REPLY_QUESTION` (or ``REPLY_QUESTIONS``'s rows of
        this account), with the stored mail cursor."""
        if not rows:
            return None
        senders = sorted(
            {email for *_, email in rows if email}
            | {organizer for _, _, organizer, _, _ in rows if organizer}
        )
        domains = sorted({d for _, _, _, found, _ in rows for d in found or ()})
        since = min(start_at for _, start_at, *_ in rows)
        fingerprint = hashlib.sha256(
            json.dumps([senders, domains, since.isoformat()]).encode()
        ).hexdigest()[:16]
        stored = _load(stored_cursor)
        known = stored.get("watch") == fingerprint
        # A cursor is for the watched set it was made with, unless the mailbox's cursor
        # records that set itself and reads what a change adds (Gmail: only the new senders).
        keeps = getattr(self.mailbox, "cursor_keeps_watch", False) is True
        cursor = stored.get("cursor") if known or keeps else None
        return ReplyQuestion(since, senders, domains, cursor, fingerprint, known)

    def ask_replies(self, question: ReplyQuestion) -> InboundMessages:
        """The mailbox's new messages from the watched people and domains; no database here."""
        q = question
        try:
            return self.mailbox.messages_since(q.since, q.senders, q.domains, q.cursor)
        except CursorExpired as err:
            if q.cursor is None:
                raise
            # As with calendars: forget the mailbox's cursor and read again from the start
            # (Gmail keeps its history about a week). Without this, every later poll would
            # fail on the same stored cursor.
            log.info(
                "%s: mail cursor expired (%s); reading the mailbox again", self.account.name, err
            )
            return self.mailbox.messages_since(q.since, q.senders, q.domains, None)

    def record_replies(
        self, session: Session, question: ReplyQuestion, result: InboundMessages, now: datetime
    ) -> None:
        """Apply the answers to the processes as they are now, and keep the new cursor."""
        # Most answers that get here carry a new cursor and no message (a first poll, the
        # watched senders changed): nothing to apply, so the processes are not loaded.
        watched = self.watched(session, now) if result.messages else {}
        record_problems(session, self.account.name, "mail", result.problems, now)
        for message in sorted(result.messages, key=lambda m: m.received_at):
            for process, interviews in watched.values():
                if self._from_company(message, process, interviews):
                    self._apply(session, process, interviews, message, now)
        set_cursor(
            session,
            self.account.name,
            "mail",
            json.dumps({"watch": question.fingerprint, "cursor": result.cursor}),
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
