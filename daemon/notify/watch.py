"""What happened that the user should hear about, read from the store.

- An interview ended and its thank-yous still wait for the user's notes: told once, remembered
  in ``interviews.notified_at`` across restarts. An interview whose notes window closed before
  followupd saw it end (a downtime; a thank-you due right at the end) is marked without a word:
  "add notes before 09:00" at 11:00 helps nobody, and its drafts are told about anyway. An
  interview moved to a later time ends after its mark, and is told about again.
- The follow-ups drafted or failed in one round of due work: the ``transitions`` recorded after
  the round began, so nothing in the drafter has to know about notifications.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from daemon.notify import events
from daemon.notify.events import Event, Failure
from daemon.store.models import FollowUp, Interview, Kind, State, Transition


def _company(interview: Interview) -> str | None:
    return interview.company_override or interview.company


def _unmarked():  # noqa: ANN202
    """Interviews not told about since they (last) ended.

    Word for word the condition of the partial index ix_interviews_unmarked_end_at
    (``UNMARKED`` in daemon/store/models.py): SQLite uses it only for a query that says the
    same, and then reads the interviews to come instead of every interview ever recorded."""
    return or_(Interview.notified_at.is_(None), Interview.notified_at < Interview.end_at)


def interviews_ended(
    session: Session, now: datetime, accounts: Collection[str], timezone: str
) -> list[Event]:
    """Mark every interview of ``accounts`` that ended by ``now`` and was not told about; return
    what to tell for those whose notes are still wanted. The caller commits, then sends."""
    ended = session.scalars(
        select(Interview)
        .where(Interview.account.in_(accounts), Interview.end_at <= now, _unmarked())
        .order_by(Interview.end_at, Interview.id)
        .options(
            selectinload(Interview.followups).selectinload(FollowUp.interviewer),
        )
    ).all()
    said: list[Event] = []
    for interview in ended:
        interview.notified_at = now
        if interview.status != "active":
            continue
        waiting = [
            fu
            for fu in interview.followups
            if fu.kind == Kind.THANK_YOU and fu.state == State.SCHEDULED
        ]
        if not waiting:
            continue  # skipped, drafted, cancelled: no notes can change anything now
        notes_until = min(fu.due_at for fu in waiting)
        if notes_until <= now:
            continue  # the window closed while followupd was not looking
        people = sorted({fu.interviewer for fu in waiting}, key=lambda person: person.id)
        said.append(
            events.interview_ended(
                interview=interview.id,
                account=interview.account,
                company=_company(interview),
                title=interview.title,
                names=[person.name or person.email for person in people],
                notes_until=notes_until,
                ended=interview.end_at,
                tz=timezone,  # the user's ([daemon].timezone), as everywhere a person reads
            )
        )
    return said


def next_end(session: Session, now: datetime, accounts: Collection[str]) -> datetime | None:
    """When the next interview ends whose thank-you waits: the service wakes up then."""
    waiting = exists().where(
        FollowUp.interview_id == Interview.id,
        FollowUp.kind == Kind.THANK_YOU,
        FollowUp.state == State.SCHEDULED,
    )
    return session.scalar(
        select(func.min(Interview.end_at)).where(
            Interview.account.in_(accounts),
            Interview.status == "active",
            Interview.end_at > now,
            _unmarked(),
            waiting,
        )
    )


def last_transition(session: Session) -> int:
    """Where a round begins: what is recorded after this id happened in it."""
    return session.scalar(select(func.max(Transition.id))) or 0


def round_events(
    session: Session, after: int, accounts: Collection[str], named: bool
) -> list[Event]:
    """Drafts created and follow-ups failed since transition ``after``, as at most two events.

    ``named``: whether the drafts message says which account (the config has several)."""
    rows = session.execute(
        select(Transition, FollowUp, Interview)
        .join(FollowUp, Transition.followup_id == FollowUp.id)
        .join(Interview, FollowUp.interview_id == Interview.id)
        .where(
            Transition.id > after,
            Transition.to_state.in_([State.DRAFTED, State.FAILED]),
            Interview.account.in_(accounts),
        )
        .order_by(Transition.id)
        .options(selectinload(FollowUp.interviewer))
    ).all()
    said: list[Event] = []
    drafted = [(fu, interview) for t, fu, interview in rows if t.to_state == State.DRAFTED]
    if drafted:
        thanks = sum(1 for fu, _ in drafted if fu.kind == Kind.THANK_YOU)
        where = sorted({interview.account for _, interview in drafted})
        said.append(
            events.drafts_created(
                thank_yous=thanks,
                inquiries=len(drafted) - thanks,
                accounts=where,
                interviews=sorted({interview.id for _, interview in drafted}),
                named=named,
            )
        )
    failed = [
        Failure(
            kind=fu.kind,
            to=fu.interviewer.name or fu.interviewer.email,
            company=_company(interview) or interview.title,
            reason=t.reason or "no reason recorded",
            interview=interview.id,
            account=interview.account,
        )
        for t, fu, interview in rows
        if t.to_state == State.FAILED
    ]
    if failed:
        said.append(events.followups_failed(failed))
    return said
