"""What ``status`` shows, as rows of facts: one source for its three renderings.

The rich table (a terminal), the tab-separated lines (a pipe) and ``--json`` all read these
rows, so that what a script parses is what a person sees. Times stay ``datetime`` (UTC, as
stored) here; each rendering formats them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.drafting.facts import language_for
from daemon.output.times import local
from daemon.planning.basis import is_waiting
from daemon.planning.followups import waiting_reason
from daemon.planning.notes_window import waiting_text as notes_waiting_text
from daemon.planning.notes_window import waits_for_notes
from daemon.store.models import AccountState, FollowUp, Interview, State
from daemon.writing import phrases

NEEDS_ATTENTION = ("needs_reauth", "error", "backoff")  # account states a script should hear of


@dataclass(frozen=True)
class AccountRow:
    """One configured account; ``status`` is "never polled" before its first poll."""

    name: str
    status: str
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    fix: str | None  # the command that fixes it (needs_reauth)
    backoff_until: datetime | None

    @property
    def needs_attention(self) -> bool:
        return self.status in NEEDS_ATTENTION


@dataclass(frozen=True)
class FollowUpRow:
    """One follow-up as ``status`` explains it: ``waiting`` when it waits for something the
    user does (a sent message, notes) rather than for a time."""

    id: int
    kind: str  # thank_you, status_inquiry
    seq: int
    label: str  # "thank-you", "inquiry #1"
    to_email: str
    to_name: str | None
    state: str
    due_at: datetime
    waiting: bool
    reason: str
    drafted_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None  # when it reached its state, for a row not due any more


@dataclass(frozen=True)
class InterviewRow:
    id: int
    account: str
    company: str | None
    role: str | None
    title: str
    start_at: datetime
    end_at: datetime
    status: str
    reason: str | None
    language: str  # the drafts' language
    language_set: bool  # set for it, or not the default: worth showing beside its label
    followups: list[FollowUpRow]

    @property
    def label(self) -> str:
        text = self.company or self.title
        if self.role:
            text += f" — {self.role}"
        return text


def account_rows(session: Session, config: Config) -> list[AccountRow]:
    states = {s.name: s for s in session.scalars(select(AccountState))}
    rows = []
    for account in config.accounts:
        st = states.get(account.name)
        if st is None:
            rows.append(AccountRow(account.name, "never polled", None, None, None, None, None))
            continue
        rows.append(
            AccountRow(
                account.name,
                st.status,
                st.last_poll_at,
                st.last_success_at,
                st.last_error,
                st.fix if st.status == "needs_reauth" else None,
                st.backoff_until if st.status == "backoff" else None,
            )
        )
    return rows


def interview_rows(
    session: Session, config: Config, now: datetime, show_all: bool = False
) -> tuple[list[InterviewRow], list[Interview]]:
    """The interviews ``status`` lists (with ``show_all``, the finished and cancelled too),
    and every interview (for the remarks under the table)."""
    interviews = session.scalars(select(Interview).order_by(Interview.start_at)).all()
    rows = []
    for interview in interviews:
        row = interview_row(config, interview, now, show_all)
        if not show_all and interview.status != "active" and not row.followups:
            continue
        rows.append(row)
    return rows, list(interviews)


def interview_row(
    config: Config, interview: Interview, now: datetime, show_all: bool = True
) -> InterviewRow:
    """One interview and its follow-ups (without ``show_all``, not the cancelled ones)."""
    accounts = {a.name: a for a in config.accounts}
    followups = [fu for fu in interview.followups if show_all or fu.state != State.CANCELLED]
    language = language_for(interview, accounts.get(interview.account))
    return InterviewRow(
        interview.id,
        interview.account,
        interview.company_override or interview.company,
        interview.role_override or interview.role,
        interview.title,
        interview.start_at,
        interview.end_at,
        interview.status,
        interview.reason,
        language,
        bool(interview.language) or language != phrases.DEFAULT,
        [followup_row(config, fu, now) for fu in followups],
    )


def followup_row(config: Config, fu: FollowUp, now: datetime) -> FollowUpRow:
    why = fu.reason or ""
    if fu.state == State.FAILED:
        why = f"{why} — {failure_fix(config, fu, now)}"
    waiting = False
    if is_waiting(fu):  # said afresh: the thank-you may have been deleted meanwhile
        why, waiting = waiting_reason(config, fu), True
    elif waits_for_notes(config, fu):
        why = notes_waiting_text(config, fu, now)
    finished = None if fu.state in OPEN else finished_at(fu)
    return FollowUpRow(
        fu.id,
        fu.kind,
        fu.seq,
        "thank-you" if fu.kind == "thank_you" else f"inquiry #{fu.seq}",
        fu.interviewer.email,
        fu.interviewer.name,
        fu.state,
        fu.due_at,
        waiting,
        why,
        fu.drafted_at,
        fu.sent_at,
        finished,
    )


OPEN = (State.SCHEDULED, State.CREATING)  # still due: a time it is due, no time it finished


def finished_at(fu: FollowUp) -> datetime:
    """When a follow-up that is not due any more reached its state: drafted when its draft
    was made, done when you sent it (if the mailbox says when), else its last change (which,
    for a final state, is the transition into it)."""
    if fu.state == State.DRAFTED and fu.drafted_at is not None:
        return fu.drafted_at
    if fu.state == State.DONE and fu.sent_at is not None:
        return fu.sent_at
    return fu.updated_at


def failure_fix(config: Config, fu: FollowUp, now: datetime) -> str:
    """What the user can do about the failed ``fu``: fix the cause (a template or config
    failure is then retried by the daemon itself), ask for a retry, or nothing any more."""
    from daemon.drafting.failures import Failure
    from daemon.running.healing import too_late

    late = too_late(config, fu, now)
    if late is not None:
        return f"too late to retry: {late}"
    retry = f"followupd retry {fu.interview_id}"
    if fu.failure == Failure.TEMPLATE:
        return f"fix the template; followupd retries it by itself (or: {retry})"
    if fu.failure == Failure.CONFIG:
        return f"fix {config.path.name}; followupd retries it by itself (or: {retry})"
    if fu.failure == Failure.ITEM:
        return f"fix it at its source, then: {retry}"
    return retry


def account_problem(account: AccountRow, tz: str) -> str:
    """What is wrong with an account, and what to do."""
    problem = account.last_error or ""
    if account.status == "needs_reauth":
        problem = f"needs re-authorization: run {account.fix}"
    elif account.status == "backoff":
        problem = f"{problem} (retrying after {local(account.backoff_until, tz)})"
    return problem


def due_text(fu: FollowUpRow, tz: str) -> str:
    """The "due" cell: when it is due, or "waiting" (for something you do, not for a time);
    "-" once it is not due any more (the "done" cell says when that happened)."""
    if fu.finished_at is not None:
        return local(None, tz)
    if fu.waiting:
        return "waiting"
    return local(fu.due_at, tz)


def done_text(fu: FollowUpRow, tz: str) -> str:
    """The "done" cell: when a follow-up that is not due any more reached its state (drafted,
    sent, replied, skipped, cancelled, failed); "-" while it is due."""
    return local(fu.finished_at, tz)
