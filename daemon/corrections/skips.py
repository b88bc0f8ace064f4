"""``skip`` and its undo: the user stops everything still to come for an interview, and may
take that back while it is still in time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.drafting.rules import skip_reason
from daemon.output.times import short
from daemon.planning.followups import FollowUpPlanner
from daemon.store.models import OPEN_STATES, Interview, State
from daemon.store.repository import transition


def skip(session: Session, interview: Interview, reason: str, now: datetime) -> int | None:
    """Skip what is still open; how many follow-ups that stopped (None: already skipped)."""
    if interview.status == "skipped":
        return None
    count = 0
    for fu in interview.followups:
        if fu.state in OPEN_STATES:
            transition(session, fu, State.SKIPPED, reason, now)
            count += 1
    interview.status, interview.reason, interview.updated_at = "skipped", reason, now
    return count


@dataclass
class Unskipped:
    restored: int = 0
    late: list[str] = field(default_factory=list)  # restored, but too late to be drafted


def unskip(config: Config, session: Session, interview: Interview, now: datetime) -> Unskipped:
    """Plan again what ``skip`` stopped; what is past its window says why (the caller
    checks that the interview is skipped)."""
    skipped_by_you = interview.reason
    interview.status, interview.reason, interview.updated_at = "active", None, now
    planner = FollowUpPlanner(config, config.account(interview.account))
    result = Unskipped()
    for fu in interview.followups:
        if fu.state != State.SKIPPED or fu.reason != skipped_by_you:
            continue  # skipped for a reason of its own (too late, ...): that still holds
        fu.due_at = planner.due_time(session, interview, fu)
        due = short(fu.due_at, config.daemon.timezone)
        transition(session, fu, State.SCHEDULED, f"unskipped, due {due}", now)
        result.restored += 1
        why = skip_reason(config, fu, now)
        if why is not None:
            result.late.append(f"{fu.kind.replace('_', '-')} to {fu.interviewer.email}: {why[1]}")
    session.flush()
    planner.plan(session, interview, now)
    return result
