"""From calendar changes to interviews, and what a change does to their follow-ups.

For each changed event: decide whether it is an interview (:mod:`daemon.detection`), record the
interview and its interviewers, and let :mod:`.followups` plan what it should have. A moved
event moves its pending follow-ups; a cancelled or deleted one cancels them; a newer interview
with the same company cancels the older one's pending inquiry. Nothing here talks to a provider.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Account, Config
from daemon.detection import Detection, detect
from daemon.output.times import short, zoned
from daemon.planning.decision import expected_decision
from daemon.planning.followups import FollowUpPlanner
from daemon.protocols import CalendarEvent, Problem
from daemon.store.models import Interview, Interviewer, Process, State
from daemon.store.repository import transition
from daemon.writing.notes import parse_notes

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


class Planner:
    """Records one account's events as interviews; :attr:`followups` plans their follow-ups."""

    def __init__(self, config: Config, account: Account) -> None:
        self.config = config
        self.account = account
        self.followups = FollowUpPlanner(config, account)
        # What the store knows about this account, loaded once per sync (see preload):
        # a calendar of a thousand events must not cost thousands of queries.
        self._interviews: dict[str, Interview] | None = None
        self._processes: dict[str, Process] | None = None

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
        found = detect(
            event,
            self.config.detection,
            self.account.addresses,
            self.config.contacts,
            candidate_name=self.config.candidate.name,
            explain_no=False,  # most events are none: only why is recorded, nothing is looked up
        )
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
        tz = interview.timezone or self.config.daemon.timezone
        decided = expected_decision(interview, tz) if existing is not None else None
        self._sync_interviewers(session, interview, event, found, now)
        if existing is not None and expected_decision(interview, tz) != decided:
            # The user edited the decision date in their notes: the inquiry waits for the new one.
            self.followups.reschedule_inquiries(
                session, interview, now, "the decision date in the notes changed"
            )
        self.followups.plan(session, interview, now)
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
        self.followups.supersede_older(session, interview, now)
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
            tz = self.config.daemon.timezone
            log.info("interview %s moved to %s", interview.id, zoned(event.start, tz))
            for fu in interview.followups:
                if fu.state == State.SCHEDULED:
                    fu.due_at = self.followups.due_time(session, interview, fu)
                    fu.updated_at = now
                    fu.reason = f"moved with the event to {short(event.start, tz)}"

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
