"""What the running service says comes next: "next: thank-you to Jane Smith (Acme Corp) at
15:30 CET".

Between rounds a foreground ``followupd run`` (or its journal) is otherwise silent, and its user
cannot tell whether it waits for the right thing. The service says it at the normal level after
a poll or a round, only when the answer changed (:class:`Upcoming` compares equal then), so a
daemon polling every few minutes does not repeat itself.

The time is in the configured zone, named by its abbreviation (CET, CEST, UTC): a log line
stands alone, without a screen header to name the zone once.
"""

from __future__ import annotations

import heapq
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Config
from daemon.planning.basis import is_waiting
from daemon.planning.notes_window import waits_for_notes
from daemon.store.models import FollowUp, Kind, State


@dataclass(frozen=True)
class Upcoming:
    """The next draft (its follow-up and due time) and the sentence saying it."""

    followup_id: int | None
    due_at: datetime | None
    others: int  # more follow-ups due at the same time
    text: str = field(compare=False)  # "at 15:30" becomes "at 2026-12-07 15:30" at midnight


def upcoming(session: Session, config: Config, now: datetime) -> Upcoming:
    """The follow-up that will be drafted next, skipping first inquiries that wait for mail the
    user sends (they have a due time, but are drafted only once something was sent)."""
    first: FollowUp | None = None
    others = waiting = 0
    with closing(_in_due_order(session)) as in_order:  # a stream left open holds its snapshot
        for fu in in_order:
            if first is not None and fu.due_at != first.due_at:
                break
            if is_waiting(fu):
                waiting += 1
            elif first is None:
                first = fu
            else:
                others += 1
    if first is None:
        why = (
            f" ({waiting} status inquiries wait for mail you send)"
            if waiting > 1
            else " (a status inquiry waits for mail you send)"
            if waiting
            else ""
        )
        return Upcoming(None, None, 0, f"next: nothing to draft yet{why}")
    return Upcoming(first.id, first.due_at, others, _sentence(config, first, others, now))


def _in_due_order(session: Session) -> Generator[FollowUp, None, None]:
    """Open follow-ups, earliest due first, read as far as the caller goes.

    One query per state, merged here: each reads ix_followups_state_due_at in its order, where
    ``state IN (...) ORDER BY due_at`` made SQLite sort every open follow-up of every account
    before returning the first. The few being created are read whole, the planned ones in
    batches."""

    def of(state: State) -> Select[tuple[FollowUp]]:
        return (
            select(FollowUp)
            .where(FollowUp.state == state)
            .order_by(FollowUp.due_at, FollowUp.id)
            .options(selectinload(FollowUp.interview), selectinload(FollowUp.interviewer))
        )

    creating = session.scalars(of(State.CREATING)).all()
    planned = session.scalars(of(State.SCHEDULED).execution_options(yield_per=50))
    try:
        yield from heapq.merge(creating, planned, key=lambda fu: (fu.due_at, fu.id))
    finally:
        planned.close()


def _sentence(config: Config, fu: FollowUp, others: int, now: datetime) -> str:
    who = fu.interviewer.name or fu.interviewer.email
    what = "thank-you" if fu.kind == Kind.THANK_YOU else f"status inquiry #{fu.seq}"
    company = fu.interview.company or fu.interview.title
    tz = ZoneInfo(config.daemon.timezone)
    local = fu.due_at.astimezone(tz)
    when = f"{local:%H:%M %Z}" if local.date() == now.astimezone(tz).date() else (
        f"{local:%Y-%m-%d %H:%M %Z}")  # fmt: skip
    when = f"due since {when}" if fu.due_at <= now else f"at {when}"
    text = f"next: {what} to {who} ({company}) {when}"
    if others:
        text += f", and {others} more then"
    if waits_for_notes(config, fu):
        text += f", or sooner with your notes (followupd note {fu.interview_id})"
    return text
