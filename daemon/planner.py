"""From calendar changes to planned follow-ups.

For each changed event: decide whether it is an interview (:mod:`daemon.detection`), record the
interview and its interviewers, and plan one thank-you per interviewer plus the first status
inquiry of its process. A moved event moves its pending follow-ups; a cancelled or deleted one
cancels them; a newer interview with the same company cancels the older one's pending inquiry.
Nothing here talks to a provider.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.businessdays import add_business_days
from daemon.config import Account, Config
from daemon.detection import Detection, detect
from daemon.notes import parse_notes
from daemon.protocols import CalendarEvent, Problem
from daemon.store import repository as repo
from daemon.store.models import (
    FollowUp,
    Interview,
    Interviewer,
    Kind,
    Process,
    State,
)
from daemon.store.repository import transition

log = logging.getLogger(__name__)


# interviews.event_id is unique, so its column is bounded (an index entry is limited, about 2.7
# kB on PostgreSQL), and processes.company_key may be derived from either id. Calendars write
# shorter ones (Google: at most 1024 characters, plus a suffix for an instance; Graph: about
# 150), so only a hostile or broken invitation has a longer one. Counted in bytes, which bounds
# the characters (the column) and the index entry alike.
MAX_ID_BYTES = 2000


def unstorable(event: CalendarEvent) -> Problem | None:
    """Why ``event`` cannot be recorded, or None.

    Checked before anything is written: the database refusing one value (PostgreSQL enforces
    column lengths, SQLite does not) would fail the whole sync of the account on every poll.
    """
    for what, value in (("id", event.id), ("series id", event.series_id or "")):
        size = len(value.encode("utf-8", "surrogatepass"))
        if size > MAX_ID_BYTES:
            return Problem(
                item=f"event {event.id[:40]!r}… ({event.title[:80]!r})",
                message=(
                    f"its {what} is {size} bytes long; expected at most {MAX_ID_BYTES} bytes, "
                    "as calendars write them. The event is skipped"
                ),
            )
    return None


def followup_key(account_tag: str, event_id: str, email: str, kind: str, seq: int) -> str:
    """The KEY of a draft. Derived from what the account serves (:func:`daemon.running.identity.tag`,
    not its name) and provider ids only, so it survives a rename and a lost database."""
    event = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:16]
    return f"followupd:{account_tag}:{event}:{email}:{kind}:{seq}"


class Planner:
    def __init__(self, config: Config, account: Account) -> None:
        self.config = config
        self.account = account
        # What the store knows about this account, loaded once per sync (see preload):
        # a calendar of a thousand events must not cost thousands of queries.
        self._interviews: dict[str, Interview] | None = None
        self._processes: dict[str, Process] | None = None
        self._tag: str | None = None

    @property
    def account_tag(self) -> str:
        if self._tag is None:
            from daemon.running.identity import tag

            self._tag = tag(self.account)
        return self._tag

    def preload(self, session: Session) -> None:
        """Load the account's interviews and processes with everything planning looks at."""
        interviews = session.scalars(
            select(Interview)
            .where(Interview.account == self.account.name)
            .options(selectinload(Interview.interviewers), selectinload(Interview.followups))
        ).all()
        self._interviews = {i.event_id: i for i in interviews}
        processes = session.scalars(
            select(Process)
            .where(Process.account == self.account.name)
            .options(selectinload(Process.interviews))
        ).all()
        self._processes = {p.company_key: p for p in processes}

    def _find(self, session: Session, event_id: str) -> Interview | None:
        if self._interviews is not None:
            return self._interviews.get(event_id)
        return session.scalar(
            select(Interview).where(
                Interview.account == self.account.name, Interview.event_id == event_id
            )
        )

    # -- events ---------------------------------------------------------------------------

    def apply_event(
        self, session: Session, event: CalendarEvent, now: datetime
    ) -> Interview | None:
        """Record ``event`` if it is an interview; update or cancel what we knew about it."""
        existing = self._find(session, event.id)
        found = detect(event, self.config.detection, self.account.addresses, self.config.contacts)
        if not found.is_interview:
            if existing is not None and existing.status == "active":
                self.cancel_interview(
                    session, existing, f"no longer an interview: {found.reason}", now
                )
            return None
        if existing is None:
            interview = self._create(session, event, found, now)
            log.info("new interview %r (%s)", event.title, found.reason)
        else:
            interview = existing
            self._update(session, interview, event, found, now)
        self._sync_interviewers(session, interview, event, found, now)
        self.plan(session, interview, now)
        return interview

    def _process(
        self, session: Session, found: Detection, event: CalendarEvent, now: datetime
    ) -> Process:
        company_key = (
            found.company or ""
        ).strip().lower() or f"event:{event.series_id or event.id}"
        if self._processes is not None:
            process = self._processes.get(company_key)
        else:
            process = session.scalar(
                select(Process).where(
                    Process.account == self.account.name, Process.company_key == company_key
                )
            )
        if process is None:
            process = Process(
                account=self.account.name,
                company_key=company_key,
                company=found.company,
                domains=list(found.domains),
                state="active",
                created_at=now,
                updated_at=now,
            )
            session.add(process)
            if self._processes is not None:
                self._processes[company_key] = process
        else:
            merged = sorted(set(process.domains) | set(found.domains))
            if merged != sorted(process.domains):
                process.domains = merged
                process.updated_at = now
        return process

    def _create(
        self, session: Session, event: CalendarEvent, found: Detection, now: datetime
    ) -> Interview:
        process = self._process(session, found, event, now)
        interview = Interview(
            account=self.account.name,
            event_id=event.id,
            series_id=event.series_id,
            calendar=event.calendar,
            title=event.title,
            company=found.company,
            role=found.role,
            start_at=event.start,
            end_at=event.end,
            timezone=event.timezone,
            organizer=found.organizer.email if found.organizer else None,
            status="active",
            reason=found.reason,
            notes=[],
            process=process,
            created_at=now,
            updated_at=now,
        )
        session.add(interview)
        if self._interviews is not None:
            self._interviews[event.id] = interview
        if process.state != "active" and event.end > (process.replied_at or event.end):
            # A new interview re-opens a process that had gone quiet or was answered before.
            process.state, process.reason, process.updated_at = "active", "new interview", now
        self._supersede_older(session, interview, now)
        return interview

    def _update(
        self,
        session: Session,
        interview: Interview,
        event: CalendarEvent,
        found: Detection,
        now: datetime,
    ) -> None:
        moved = interview.start_at != event.start or interview.end_at != event.end
        interview.title = event.title
        interview.company = found.company or interview.company
        interview.role = found.role or interview.role
        interview.start_at, interview.end_at = event.start, event.end
        interview.timezone = event.timezone
        interview.organizer = found.organizer.email if found.organizer else interview.organizer
        if interview.status == "skipped":
            interview.updated_at = now
            return  # the user said never; the calendar does not overrule that
        if interview.status != "active":
            # Bring back only what the cancellation itself cancelled (same reason), not, say,
            # an inquiry that a reply had cancelled before.
            cancelled_because = interview.reason
            interview.status, interview.reason = "active", f"restored: {found.reason}"
            for fu in interview.followups:
                if fu.state == State.CANCELLED and fu.reason == cancelled_because:
                    transition(
                        session, fu, State.SCHEDULED, "the event is back on the calendar", now
                    )
        interview.updated_at = now
        if moved:
            log.info("interview %s moved to %s", interview.id, event.start.isoformat())
            for fu in interview.followups:
                if fu.state == State.SCHEDULED:
                    fu.due_at = self.due_time(session, interview, fu)
                    fu.updated_at = now
                    fu.reason = f"moved with the event to {event.start.isoformat()}"

    def _sync_interviewers(
        self,
        session: Session,
        interview: Interview,
        event: CalendarEvent,
        found: Detection,
        now: datetime,
    ) -> None:
        by_email = {p.email: p for p in interview.interviewers}
        current = {p.email for p in found.interviewers}
        notes = parse_notes(event.description, found.interviewers)
        for person in found.interviewers:
            row = by_email.get(person.email)
            if row is None:
                row = Interviewer(email=person.email, notes=[])
                interview.interviewers.append(row)
            row.name = person.name or row.name
            row.is_organizer = person.is_organizer
            row.active = True
            described = list(notes.by_person.get(person.email, ()))
            manual = [n for n in row.notes if n.startswith("note: ")]
            row.notes = described + manual
        for row in interview.interviewers:
            if row.email not in current and row.active:
                row.active = False
                for fu in interview.followups:
                    if fu.interviewer is row and fu.state == State.SCHEDULED:
                        transition(
                            session,
                            fu,
                            State.CANCELLED,
                            f"{row.email} is no longer on the invitation",
                            now,
                        )
        manual_general = [n for n in interview.notes if n.startswith("note: ")]
        interview.notes = list(notes.general) + manual_general

    # -- follow-ups -----------------------------------------------------------------------

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
        transition(
            session, fu, State.SCHEDULED, f"planned, due {fu.due_at.isoformat()}", now, new=True
        )
        return fu

    def due_time(self, session: Session, interview: Interview, fu: FollowUp) -> datetime:
        if fu.kind == Kind.THANK_YOU:
            return interview.end_at + self.config.thank_you.delay
        settings = self.config.status_inquiry
        tz = interview.timezone or self.config.daemon.timezone
        if fu.seq == 1:
            base = interview.end_at
            thank_you = self._thank_you(interview, fu.interviewer)
            if thank_you is not None and thank_you.sent_at is not None:
                base = max(base, thank_you.sent_at)
            due = add_business_days(base, settings.after_business_days, tz, self.config.days)
            if interview.decision_expected is not None:
                decision = datetime.combine(
                    interview.decision_expected, time(12, 0), tzinfo=ZoneInfo(tz)
                )
                due = add_business_days(decision, 1, tz, self.config.days)
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

    @staticmethod
    def _thank_you(interview: Interview, person: Interviewer) -> FollowUp | None:
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

    def _supersede_older(self, session: Session, interview: Interview, now: datetime) -> None:
        """A new interview with the same company cancels the pending inquiry of older ones."""
        when = interview.start_at.date().isoformat()
        for other in interview.process.interviews:
            if other is interview or other.start_at >= interview.start_at:
                continue
            for fu in other.followups:
                if fu.kind == Kind.STATUS_INQUIRY and fu.state == State.SCHEDULED:
                    reason = f"a newer interview with the same company on {when}"
                    transition(session, fu, State.CANCELLED, reason, now)

    # -- removal --------------------------------------------------------------------------

    def cancel_interview(
        self, session: Session, interview: Interview, reason: str, now: datetime
    ) -> None:
        interview.status, interview.reason, interview.updated_at = "cancelled", reason, now
        for fu in interview.followups:
            # Only what is still planned; a draft being created finishes and stays the user's.
            if fu.state == State.SCHEDULED:
                transition(session, fu, State.CANCELLED, reason, now)
        log.info("interview %s cancelled: %s", interview.id, reason)

    def remove_missing(
        self,
        session: Session,
        seen: Iterable[str],
        window: tuple[datetime, datetime],
        now: datetime,
    ) -> None:
        """After a complete sync: interviews in the window that the calendar no longer has."""
        seen_ids = set(seen)
        candidates = session.scalars(
            select(Interview).where(
                Interview.account == self.account.name,
                Interview.status == "active",
                Interview.start_at >= window[0],
                Interview.start_at < window[1],
            )
        ).all()
        for interview in candidates:
            if interview.event_id not in seen_ids:
                self.cancel_interview(
                    session, interview, "the event was deleted from the calendar", now
                )

    def remove(self, session: Session, ids: Iterable[str], now: datetime) -> None:
        for removed in ids:
            rows = session.scalars(
                select(Interview).where(
                    Interview.account == self.account.name,
                    Interview.status == "active",
                    (Interview.event_id == removed) | (Interview.series_id == removed),
                )
            ).all()
            for interview in rows:
                self.cancel_interview(session, interview, "the event was cancelled or deleted", now)


def late_by(due: datetime, now: datetime) -> timedelta:
    return now - due
