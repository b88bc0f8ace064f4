"""Find what the user sent about an interview themselves, so a waiting inquiry can start.

A first status inquiry waits for something the user really sent to the company
(:mod:`daemon.planning.basis`). Our thank-you, once sent, is learnt from the draft's state;
a message the user wrote in any other client is learnt here: while (and only while) an
inquiry waits, the mailbox is asked for the user's sent messages to the interview's people
and the company's domains since the earliest waiting interview began
(:meth:`daemon.protocols.Mailbox.sent_since`, headers only). The first such message sent
after an interview began is recorded on it (``interviews.own_message``) by the core, never
by a connector, and the inquiry's clock starts at its send time.

Recording is idempotent (an interview keeps the first message found), so a crash or a
retry only repeats the question; nothing here creates a draft.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Account, Config
from daemon.output.times import short, zoned
from daemon.planning.basis import first_basis, is_waiting, own_record
from daemon.planning.followups import FollowUpPlanner
from daemon.protocols import Mailbox, SentMessage, SentMessages, watched
from daemon.store.models import FollowUp, Interview, Kind, State
from daemon.store.repository import record_problems

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentQuestion:
    """Sent messages to whom, since when."""

    since: datetime
    people: list[str]
    domains: list[str]


class SentWatch:
    def __init__(self, config: Config, account: Account, mailbox: Mailbox) -> None:
        self.config = config
        self.account = account
        self.mailbox = mailbox
        self.planner = FollowUpPlanner(config, account)

    def waiting(self, session: Session, now: datetime) -> list[FollowUp]:
        """First inquiries of this account's begun interviews that wait for a sent message."""
        candidates = session.scalars(
            select(FollowUp)
            .join(Interview, FollowUp.interview_id == Interview.id)
            .where(
                Interview.account == self.account.name,
                Interview.status == "active",
                Interview.start_at <= now,
                FollowUp.kind == Kind.STATUS_INQUIRY,
                FollowUp.seq == 1,
                FollowUp.state == State.SCHEDULED,
            )
            .options(
                selectinload(FollowUp.interview).selectinload(Interview.followups),
                selectinload(FollowUp.interview).selectinload(Interview.interviewers),
                selectinload(FollowUp.interview).selectinload(Interview.process),
            )
        ).all()
        return [fu for fu in candidates if is_waiting(fu)]

    def question(self, session: Session, now: datetime) -> SentQuestion | None:
        """What to ask the mailbox, or None: the usual poll asks it nothing at all."""
        waiting = self.waiting(session, now)
        if not waiting:
            return None
        people = sorted({p.email for fu in waiting for p in fu.interview.interviewers})
        people += sorted({fu.interview.organizer for fu in waiting if fu.interview.organizer})
        domains = sorted({d for fu in waiting for d in fu.interview.process.domains or []})
        since = min(fu.interview.start_at for fu in waiting)
        return SentQuestion(since, sorted(set(people)), domains)

    def ask(self, question: SentQuestion) -> SentMessages:
        """The user's sent messages the question is about; no database here."""
        return self.mailbox.sent_since(question.since, question.people, question.domains)

    def record(self, session: Session, result: SentMessages, now: datetime) -> None:
        """Record what was found on the inquiries that still wait now."""
        record_problems(session, self.account.name, "mail", result.problems, now)
        earliest_first = sorted(result.messages, key=lambda m: m.sent_at)
        for fu in self.waiting(session, now):
            self._record(session, fu, earliest_first, now)

    def _record(
        self, session: Session, fu: FollowUp, messages: list[SentMessage], now: datetime
    ) -> None:
        interview = fu.interview
        people = [p.email for p in interview.interviewers]
        if interview.organizer:
            people.append(interview.organizer)
        domains = list(interview.process.domains or [])
        own = {a.lower() for a in self.account.addresses}
        for message in messages:
            if message.sent_at < interview.start_at or not message.message_id:
                continue
            to = [r for r in message.recipients if r not in own and watched(r, people, domains)]
            if not to:
                continue
            # The inquiry goes to whom the user wrote: its contact when among the recipients,
            # else an interviewer, else the first company address.
            chosen = next(
                (r for r in to if r == fu.interviewer.email),
                next((r for r in to if r in people), to[0]),
            )
            name = dict(message.names).get(chosen)
            interview.own_message = own_record(message, chosen, name, now)
            interview.updated_at = now
            if first_basis(interview, fu.interviewer) is None:
                return  # an unreadable record cannot start anything; logged by own_basis
            # Found late (the daemon was down, the message is old): due now, not "too late".
            fu.due_at = max(self.planner.due_time(session, interview, fu), now)
            tz = self.config.daemon.timezone
            fu.reason = (
                f"you wrote to {chosen} on {short(message.sent_at, tz)} "
                f"({message.subject[:80]!r}); due {short(fu.due_at, tz)}"
            )
            fu.updated_at = now
            log.info(
                "interview %s: your message to %s starts the status inquiry, due %s",
                interview.id,
                chosen,
                zoned(fu.due_at, tz),
            )
            return
