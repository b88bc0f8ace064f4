"""``status`` for many accounts: the summary on top, ``--account`` to look at some.

A careers office running followupd for hundreds of job seekers cannot read a row per account
and thousands of follow-ups. So ``status`` begins with a summary (accounts by state, follow-ups
due in the next hour, late ones, account files skipped), and past :data:`MANY` accounts lists
only what needs someone: accounts in trouble and interviews with a failed or late follow-up.
``--all`` lists everything, ``--account NAME`` (repeatable, a glob) narrows everything to some.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.config import Config, SkippedFile
from daemon.output.rows import AccountRow, InterviewRow
from daemon.planning.basis import is_waiting
from daemon.store.models import FollowUp, Interview, State

# A follow-up still not drafted this long after its due time is late: the daemon drafts within
# a minute of the due time when it runs, so this is a stopped daemon or a stuck account.
LATE_AFTER = timedelta(minutes=10)
SOON = timedelta(hours=1)  # "due in the next hour"
MANY = 20  # accounts from which `status` lists only what needs attention (unless --all)
STATES = ("ok", "error", "needs_reauth", "backoff", "never_polled")  # the summary's columns


@dataclass(frozen=True)
class Summary:
    accounts: int
    by_state: dict[str, int]  # every state of STATES, 0 included; "new" counts as ok-to-be
    due_next_hour: int
    late: int  # open, not waiting for the user, due more than LATE_AFTER ago
    skipped_files: tuple[SkippedFile, ...] = field(default=())


def selected(name: str, patterns: Sequence[str]) -> bool:
    """Whether ``--account`` patterns (globs; none: every account) select the account."""
    return not patterns or any(fnmatchcase(name, p) for p in patterns)


def summarize(
    session: Session,
    config: Config,
    accounts: Sequence[AccountRow],
    now: datetime,
    patterns: Sequence[str] = (),
) -> Summary:
    """The summary of ``accounts`` (already filtered) and their follow-ups."""
    counts = Counter(_state(a.status) for a in accounts)
    names = {a.name for a in accounts}
    rows = session.execute(
        select(FollowUp, Interview.account)
        .join(Interview, FollowUp.interview_id == Interview.id)
        .where(
            FollowUp.state.in_([State.SCHEDULED, State.CREATING]),
            FollowUp.due_at < now + SOON,
        )
    ).all()
    soon = late = 0
    for fu, account in rows:
        if account not in names or is_waiting(fu):
            continue
        if fu.due_at >= now:
            soon += 1
        elif fu.due_at < now - LATE_AFTER:
            late += 1
    skipped = tuple(s for s in config.skipped if not patterns or selected(s.path.stem, patterns))
    return Summary(len(accounts), {s: counts.get(s, 0) for s in STATES}, soon, late, skipped)


def _state(status: str) -> str:
    if status == "never polled":
        return "never_polled"
    return "ok" if status == "new" else status


def is_late(interview: InterviewRow, now: datetime) -> bool:
    """An interview with a follow-up failed or late (what a long ``status`` still lists)."""
    return any(
        fu.state == State.FAILED
        or (
            fu.state in (State.SCHEDULED, State.CREATING)
            and not fu.waiting
            and fu.due_at < now - LATE_AFTER
        )
        for fu in interview.followups
    )


def summary_line(summary: Summary) -> str:
    """One line a person reads: "1,204 accounts: 1,190 ok, 3 error, ... — 12 due in the next
    hour, 0 late"."""
    parts = [f"{n} {s.replace('_', ' ')}" for s, n in summary.by_state.items() if n]
    text = f"{summary.accounts} account(s): {', '.join(parts) or 'none'}"
    text += f"; follow-ups due in the next hour: {summary.due_next_hour}; late: {summary.late}"
    if summary.skipped_files:
        text += f"; account files skipped: {len(summary.skipped_files)}"
    return text
