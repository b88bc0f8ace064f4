"""Why a due follow-up must not be drafted any more: the interview was cancelled or skipped,
the process went cold, it is too late (``max_lateness``), or the same meeting under another
calendar id already has it. None of this needs a mailbox, so the engine settles all of it in
one transaction before drafting (:func:`skip_reason`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import object_session

from daemon.config import Config
from daemon.output.times import short
from daemon.planning.basis import gave_up_text, is_waiting
from daemon.store.models import FollowUp, Interview, Interviewer, Kind, State


def human(delta: timedelta) -> str:
    """'12h', '3d', '1d 6h', '90m': durations as the config writes them."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
    ]
    return " ".join(p for p in parts if p) or "0m"


def lateness_limit(config: Config, fu: FollowUp) -> timedelta:
    if fu.kind == Kind.THANK_YOU:
        return config.thank_you.max_lateness
    return config.status_inquiry.max_lateness


def skip_reason(config: Config, fu: FollowUp, now: datetime) -> tuple[State, str] | None:
    """Why this due follow-up must not be drafted any more (and what it becomes), or None.

    Needs no mailbox, so the engine settles all of these in one transaction before drafting.
    """
    skip = settled(config, fu, now)
    if skip is None and fu.state == State.SCHEDULED:
        skip = twin_skip(fu, same_meeting_twin(fu, same_person(config, fu.interview.account)))
    return skip


def same_person(config: Config, account: str) -> tuple[str, ...]:
    """The accounts whose drafts are signed with the same name as ``account``'s: one person's
    (a personal and a work account, which may both hold one invitation). A careers office's
    accounts are its job seekers', each with their own ``sender_name``: two of them in one
    group interview each thank the interviewer."""
    return _signers(config).get(account, (account,))


# The groups of the last config asked about (a reload makes a new Config): worked out per
# follow-up they cost a walk over every account each, 28 million steps in the first round of a
# thousand accounts.
_groups: tuple[Config, dict[str, tuple[str, ...]]] | None = None


def _signers(config: Config) -> dict[str, tuple[str, ...]]:
    global _groups
    cached = _groups
    if cached is not None and cached[0] is config:
        return cached[1]
    by_name: dict[str, list[str]] = {}
    for a in config.accounts:
        signer = (a.sender_name or config.candidate.name or "").strip().casefold()
        by_name.setdefault(signer, []).append(a.name)
    groups = {name: tuple(names) for names in by_name.values() for name in names}
    _groups = (config, groups)
    return groups


def settled(config: Config, fu: FollowUp, now: datetime) -> tuple[State, str] | None:
    """The reasons that need nothing but the follow-up itself: cancelled, cold, too late."""
    interview = fu.interview
    if interview.status != "active":
        return State.CANCELLED, f"interview {interview.status}"
    if fu.kind == Kind.STATUS_INQUIRY and interview.process.state != "active":
        return (
            State.CANCELLED,
            f"the process is {interview.process.state}: {interview.process.reason}",
        )
    if fu.state == State.SCHEDULED and is_waiting(fu) and fu.due_at <= now:
        # Due is the end of its wait (planning/basis.py): nothing was sent to follow up on.
        # Before then it still waits: `unskip` asks this of what is not due yet.
        zone = interview.timezone or config.daemon.timezone
        return State.SKIPPED, gave_up_text(fu, zone, config.daemon.timezone)
    limit = lateness_limit(config, fu)
    if fu.state == State.SCHEDULED and now - fu.due_at > limit:
        tz = config.daemon.timezone
        return State.SKIPPED, (
            f"due {short(fu.due_at, tz)}, but followupd was not running until "
            f"{short(now, tz)}: later than max_lateness ({human(limit)})"
        )
    return None


def twin_skip(fu: FollowUp, twin: FollowUp | None) -> tuple[State, str] | None:
    """Skipped for a twin whose draft exists; None when there is none or it is still being
    made (an interrupted creation may yet come to nothing: then this one is drafted)."""
    if twin is None or twin.state == State.CREATING:
        return None
    where = twin.interview.account
    also = "" if where == fu.interview.account else f" of account {where!r}"
    return State.SKIPPED, (
        f"{fu.interviewer.email} already has this {fu.kind.replace('_', '-')} for the same "
        f"meeting (interview {twin.interview_id}{also}, {twin.state}): the calendar "
        "gave the meeting a new identity (a new UID, another calendar)"
    )


# A follow-up in one of these has (or is getting) its draft.
_DRAFTED = (State.CREATING, State.DRAFTED, State.DONE, State.REPLIED)


def same_meeting_twin(fu: FollowUp, accounts: Collection[str]) -> FollowUp | None:
    """The follow-up of the same kind to the same person for a meeting at the same time whose
    draft exists already, in one of ``accounts`` (the user's own: :func:`same_person`), if any.

    The store knows an interview by its calendar id. An event without a UID that gains one, an
    invitation copied into a second calendar or account, or a hand-edited .ics gives the same
    meeting another id: without this, the same person would get a second thank-you.
    """
    session = object_session(fu)
    if session is None:
        return None
    # Usually no other interview starts at that moment: one look-up in ix_interviews_start_at.
    others = session.scalars(
        select(Interview.id).where(
            Interview.start_at == fu.interview.start_at,
            Interview.id != fu.interview_id,
            Interview.account.in_(accounts),
        )
    ).all()
    if not others:
        return None
    return session.scalar(
        select(FollowUp)
        .join(Interviewer, FollowUp.interviewer)
        .where(
            FollowUp.interview_id.in_(others),
            FollowUp.kind == fu.kind,
            FollowUp.seq == fu.seq,
            FollowUp.state.in_(_DRAFTED),
            Interviewer.email == fu.interviewer.email,
        )
        .order_by(FollowUp.id)
        .limit(1)
    )
