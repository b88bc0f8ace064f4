"""Which follow-ups an interview should have, and when each is due.

One thank-you per interviewer (at most ``[detection].max_interviewers`` of them, unless the
user raised it for the interview), and the first status inquiry of the process to its main
contact; the next inquiry once one went out unanswered, until the process goes cold. Every
follow-up gets its KEY here, the name a mailbox knows its draft by. Nothing here talks to a
provider.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from daemon.businessdays import add_business_days
from daemon.config import Account, Config
from daemon.output.times import day, short
from daemon.planning.basis import first_basis, wait_until, waiting_text
from daemon.planning.decision import expected_decision
from daemon.planning.notes_window import thank_you_due
from daemon.protocols import Problem
from daemon.store import repository as repo
from daemon.store.models import FollowUp, Interview, Interviewer, Kind, State
from daemon.store.repository import transition

log = logging.getLogger(__name__)

CONTACT_CHANGED = "main contact changed to"  # the reason an inquiry moved to another person


def followup_key(account_tag: str, event_id: str, email: str, kind: str, seq: int) -> str:
    """The KEY of a draft. Derived from what the account serves (:func:`daemon.resources.tag`,
    not its name) and provider ids only, so it survives a rename and a lost database."""
    event = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:16]
    return f"followupd:{account_tag}:{event}:{email}:{kind}:{seq}"


class FollowUpPlanner:
    def __init__(self, config: Config, account: Account) -> None:
        self.config = config
        self.account = account
        self._tag: str | None = None

    @property
    def account_tag(self) -> str:
        if self._tag is None:
            from daemon.resources import tag

            self._tag = tag(self.account)
        return self._tag

    def plan(self, session: Session, interview: Interview, now: datetime) -> None:
        """Make sure the follow-ups this interview should have exist (never duplicates)."""
        if interview.status != "active":
            return
        have = {(fu.interviewer.email, fu.kind, fu.seq) for fu in interview.followups}
        if self.config.thank_you.enabled:
            people = [p for p in interview.interviewers if p.active]
            limit = interview.max_interviewers or self.config.detection.max_interviewers
            for person in people[:limit]:
                if (person.email, Kind.THANK_YOU, 1) not in have:
                    self._add(session, interview, person, Kind.THANK_YOU, 1, now)
            self._report_crowd(session, interview, len(people), limit, now)
        if self.config.status_inquiry.enabled and self.config.status_inquiry.max_per_process > 0:
            inquiries = [fu for fu in interview.followups if fu.kind == Kind.STATUS_INQUIRY]
            if not inquiries and self._is_latest(interview) and interview.process.state == "active":
                contact = self.main_contact(interview)
                if contact is not None:
                    self._add(session, interview, contact, Kind.STATUS_INQUIRY, 1, now)

    def _report_crowd(
        self, session: Session, interview: Interview, people: int, limit: int, now: datetime
    ) -> None:
        """An invitation with more interviewers than the limit: the rest wait for the user.

        A real panel has a handful of people; thousands of addresses are a stranger's
        invitation or a company-wide meeting, and drafting to all would flood the mailbox."""
        if people <= limit and interview.max_interviewers is None and people < limit // 2:
            return  # nowhere near the limit: nothing to report or to clear (the usual case)
        if interview.id is None:
            session.flush()
        item = f"interview {interview.id} ({interview.title[:80]!r})"
        if people <= limit:
            repo.clear_problem(session, self.account.name, "calendar", item)
            return
        setting = (
            f"followupd note {interview.id} --max-interviewers"
            if interview.max_interviewers
            else "[detection].max_interviewers"
        )
        problem = Problem(
            item=item,
            message=(
                f"{people} interviewers on the invitation; thank-you drafts are planned for the "
                f"first {limit} only ({setting}). To write to more of them: "
                f"followupd note {interview.id} --max-interviewers {people}"
            ),
            warning=True,
        )
        repo.record_problems(session, self.account.name, "calendar", [problem], now)

    def plan_next_inquiry(self, session: Session, previous: FollowUp, now: datetime) -> None:
        """After an inquiry went out unanswered: the next one, or the process goes cold."""
        interview = previous.interview
        process = interview.process
        if process.state != "active":
            return
        if previous.seq >= self.config.status_inquiry.max_per_process:
            process.state = "cold"
            process.reason = f"{previous.seq} inquiries sent without a reply"
            process.updated_at = now
            log.info("process %s (%s) is cold: %s", process.id, process.company, process.reason)
            return
        exists = any(
            fu.kind == Kind.STATUS_INQUIRY and fu.seq == previous.seq + 1
            for fu in interview.followups
        )
        if not exists:
            self._add(
                session, interview, previous.interviewer, Kind.STATUS_INQUIRY, previous.seq + 1, now
            )

    def _add(
        self,
        session: Session,
        interview: Interview,
        person: Interviewer,
        kind: Kind,
        seq: int,
        now: datetime,
    ) -> FollowUp:
        fu = FollowUp(
            key=followup_key(self.account_tag, interview.event_id, person.email, kind, seq),
            kind=kind,
            seq=seq,
            state=State.SCHEDULED,
            due_at=now,  # replaced just below, once the row knows its interview
            attempts=0,
            sent_references=[],
            created_at=now,
            updated_at=now,
            interviewer=person,
        )
        interview.followups.append(fu)
        fu.due_at = self.due_time(session, interview, fu)
        reason = f"planned, due {short(fu.due_at, self.config.daemon.timezone)}"
        if kind == Kind.STATUS_INQUIRY and seq == 1 and first_basis(interview, person) is None:
            reason = self.waiting_text(fu)
        transition(session, fu, State.SCHEDULED, reason, now, new=True)
        return fu

    def due_time(self, session: Session, interview: Interview, fu: FollowUp) -> datetime:
        if fu.kind == Kind.THANK_YOU:
            return thank_you_due(self.config, interview, fu.interviewer)
        settings = self.config.status_inquiry
        tz = interview.timezone or self.config.daemon.timezone
        if fu.seq == 1:
            basis = first_basis(interview, fu.interviewer)
            if basis is None:
                # Nothing sent yet: it waits, and gives up at the end of the wait (basis.py).
                return wait_until(interview, tz)
            due = add_business_days(
                basis.sent_at, settings.after_business_days, tz, self.config.days
            )
            decision = self.decision_due(interview)
            if decision is not None:
                due = max(decision, basis.sent_at)
            return due
        previous = next(
            (
                f
                for f in interview.followups
                if f.kind == Kind.STATUS_INQUIRY and f.seq == fu.seq - 1
            ),
            None,
        )
        base = interview.end_at
        if previous is not None:
            base = previous.sent_at or previous.drafted_at or previous.due_at
        return add_business_days(base, settings.spacing_business_days, tz, self.config.days)

    def reschedule_inquiries(
        self, session: Session, interview: Interview, now: datetime, why: str
    ) -> None:
        """Move the pending status inquiries to when they are due now, after something they
        depend on changed (the decision date, from the CLI or from edited notes)."""
        for fu in interview.followups:
            if fu.kind == Kind.STATUS_INQUIRY and fu.state == State.SCHEDULED:
                due = self.due_time(session, interview, fu)
                if due != fu.due_at:
                    fu.due_at, fu.updated_at = due, now
                    fu.reason = f"{why}: due {short(due, self.config.daemon.timezone)}"

    def move_inquiries(
        self, session: Session, interview: Interview, contact: Interviewer, now: datetime
    ) -> int:
        """The status inquiries still to come go to ``contact``, the new main contact
        (``followupd note ID --contact``); returns how many were moved.

        Each scheduled inquiry of another person is cancelled, and the one of the same number
        is planned for ``contact``: a new row, or theirs again if an earlier change of contact
        cancelled it. With no inquiry scheduled, one that an earlier change of contact
        cancelled counts as still to come (before this method, such a change lost the inquiry
        for good). Drafted, sent and answered inquiries stay as they are.
        """
        inquiries = [fu for fu in interview.followups if fu.kind == Kind.STATUS_INQUIRY]
        pending = [fu for fu in inquiries if fu.state == State.SCHEDULED]
        if not pending and not any(fu.state in (State.DRAFTED, State.CREATING) for fu in inquiries):
            moved_away = [
                fu for fu in inquiries
                if fu.state == State.CANCELLED and (fu.reason or "").startswith(CONTACT_CHANGED)
            ]  # fmt: skip
            pending = [max(moved_away, key=lambda fu: fu.seq)] if moved_away else []
        moved = 0
        for fu in pending:
            if fu.interviewer is contact:
                continue
            if fu.state == State.SCHEDULED:
                transition(session, fu, State.CANCELLED, f"{CONTACT_CHANGED} {contact.email}", now)
            mine = next(
                (f for f in inquiries if f.seq == fu.seq and f.interviewer is contact), None
            )
            if mine is None:
                self._add(session, interview, contact, Kind.STATUS_INQUIRY, fu.seq, now)
            elif mine.state == State.CANCELLED:
                mine.due_at = self.due_time(session, interview, mine)
                transition(
                    session, mine, State.SCHEDULED,
                    f"the main contact again, due {short(mine.due_at, self.config.daemon.timezone)}",
                    now,
                )  # fmt: skip
            else:
                continue
            moved += 1
        return moved

    def decision_due(self, interview: Interview) -> datetime | None:
        return decision_due(self.config, interview)

    def waiting_text(self, fu: FollowUp) -> str:
        return waiting_reason(self.config, fu)

    @staticmethod
    def thank_you_of(interview: Interview, person: Interviewer) -> FollowUp | None:
        return next(
            (
                fu
                for fu in interview.followups
                if fu.kind == Kind.THANK_YOU and fu.interviewer is person
            ),
            None,
        )

    @staticmethod
    def main_contact(interview: Interview) -> Interviewer | None:
        """Configured, else a human organizer, else the first interviewer."""
        people = [p for p in interview.interviewers if p.active]
        if interview.main_contact:
            chosen = next((p for p in people if p.email == interview.main_contact), None)
            if chosen is not None:
                return chosen
        organizer = next((p for p in people if p.is_organizer), None)
        return organizer or (people[0] if people else None)

    @staticmethod
    def _is_latest(interview: Interview) -> bool:
        return not any(
            other.status == "active" and other.start_at > interview.start_at
            for other in interview.process.interviews
        )

    def supersede_older(self, session: Session, interview: Interview, now: datetime) -> None:
        """A new interview with the same company cancels the pending inquiry of older ones."""
        when = day(interview.start_at, self.config.daemon.timezone)
        for other in interview.process.interviews:
            if other is interview or other.start_at >= interview.start_at:
                continue
            for fu in other.followups:
                if fu.kind == Kind.STATUS_INQUIRY and fu.state == State.SCHEDULED:
                    reason = f"a newer interview with the same company on {when}"
                    transition(session, fu, State.CANCELLED, reason, now)


def decision_due(config: Config, interview: Interview) -> datetime | None:
    """When the first inquiry is due after the decision date the user gave or noted, if any:
    the next business day, at noon."""
    tz = interview.timezone or config.daemon.timezone
    decided = expected_decision(interview, tz)
    if decided is None:
        return None
    noon = datetime.combine(decided, time(12, 0), tzinfo=ZoneInfo(tz))
    return add_business_days(noon, 1, tz, config.days)


def waiting_reason(config: Config, fu: FollowUp) -> str:
    """``status``'s why for a first inquiry waiting for something sent (planning/basis.py)."""
    interview = fu.interview
    tz = interview.timezone or config.daemon.timezone
    after = config.status_inquiry.after_business_days
    return waiting_text(fu, tz, after, decision_due(config, interview), config.daemon.timezone)
