"""What one ``run --once`` did, from the transitions it recorded: the summary a person
reads, and the failures that make its exit code 1. A dry run (``--dry-run``) recorded them in
a copy of the state: the same lines say what it *would* do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Row, select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Config
from daemon.output.rows import failure_fix
from daemon.output.times import local, zone_line
from daemon.store.models import (
    AccountState,
    FollowUp,
    Interview,
    Interviewer,
    State,
    Transition,
)

SHORT = 20  # up to this many lines of one kind are listed, more are counted


def run_transitions(session: Session, since: datetime, after: int = 0) -> Sequence[Transition]:
    """What happened to the follow-ups since ``since`` (one run), in order; ``after``: only
    transitions recorded after the one with that id (a dry run's, whatever their times)."""
    return session.scalars(
        select(Transition)
        .where(Transition.at >= since, Transition.id > after)
        .order_by(Transition.id)
        .options(
            selectinload(Transition.followup).selectinload(FollowUp.interviewer),
            selectinload(Transition.followup).selectinload(FollowUp.interview),
        )
    ).all()


def run_failures(session: Session, config: Config, since: datetime, after: int = 0) -> list[str]:
    """Why one run counts as failed for a script (``run --once`` exits 1): an account that
    is not "ok" after it, a follow-up that failed in it. Empty when all went well."""
    from daemon.output.rows import account_rows

    failures = [
        f"account {a.name}: {a.status}" for a in account_rows(session, config) if a.status != "ok"
    ]
    # Only the failed ones, and only their ids: a first run over a big calendar records
    # thousands of transitions, which the summary loads once (not twice).
    failed = session.scalars(
        select(Transition.followup_id)
        .where(Transition.at >= since, Transition.id > after, Transition.to_state == State.FAILED)
        .order_by(Transition.id)
    )
    failures += [f"follow-up {followup_id} failed" for followup_id in failed]
    return failures


def summarize_run(
    console: Console,
    session: Session,
    config: Config,
    since: datetime,
    after: int = 0,
    dry: bool = False,
) -> None:
    """What one ``run --once`` did (``dry``: would do), from the transitions it recorded.

    Drafts and failures are listed one by one; the rest is listed while it is short and
    counted once it is long (a first run over a big calendar plans thousands of things).
    """
    tz = config.daemon.timezone
    # Streamed, and only the lines that will be printed are kept and written: a careers
    # office's first run records 49,000 transitions, and holding them all as rows and lines
    # had been that run's peak memory (45 MB).
    lines: list[tuple[str, str, Any]] = []
    counts: Counter[str] = Counter()
    for row in _summary_rows(session, since, after):
        kind = _kind(row)
        if kind is None:
            continue
        counts[kind] += 1
        if kind in (State.DRAFTED, State.FAILED) or counts[kind] <= SHORT:
            lines.append((kind, _line(row, kind, tz, dry), row))
    lines = [
        (kind, text, row)
        for kind, text, row in lines
        if kind in (State.DRAFTED, State.FAILED) or counts[kind] <= SHORT
    ]
    if not counts:
        console.print("Nothing would be done right now." if dry else "Nothing to do right now.")
    else:
        console.print(zone_line(tz), highlight=False)  # the times below (due, reasons)
    for kind, text, row in lines:
        if kind == State.FAILED and row.state == State.FAILED:
            failed = session.get_one(FollowUp, row.followup_id)
            text += escape(f" — {failure_fix(config, failed, row.at)}")
        console.print(text, highlight=False)
    for kind, count in counts.items():
        if kind not in (State.DRAFTED, State.FAILED) and count > SHORT:
            where = "--json lists them" if dry else "see followupd status --all"
            console.print(
                f"{'would be ' if dry else ''}{kind}: {count} follow-ups ({where})",
                highlight=False,
            )
    for state in session.scalars(select(AccountState)):
        if state.status != "ok":
            console.print(
                f"[red]account {state.name}: {state.status}[/] {state.last_error or ''}",
                highlight=False,
                soft_wrap=True,
            )


def _kind(row: Row[Any]) -> str | None:
    """Which group of the summary a transition belongs to; None: not shown (an intent)."""
    if row.to_state == State.DRAFTED:
        return State.DRAFTED
    if row.to_state == State.SCHEDULED and row.from_state is None:
        return "planned"
    if row.to_state == State.CREATING:
        return None
    return str(row.to_state)


def _line(row: Row[Any], kind: str, tz: str, dry: bool) -> str:
    """The summary's line for one transition (rich markup, escaped)."""
    who = row.name or row.email
    what = "thank-you" if row.kind == "thank_you" else f"status inquiry #{row.seq}"
    company = row.company or row.title
    if kind == State.DRAFTED:
        if dry:
            text = f"would draft {what} to {who} ({company}), due {local(row.due_at, tz)}"
            return escape(f"{text}: {row.subject}")
        return f"[green]drafted[/] {escape(f'{what} to {who} ({company}): {row.subject}')}"
    if kind == "planned":
        verb = "would plan" if dry else "planned"
        return escape(f"{verb} {what} to {who} ({company}), due {local(row.due_at, tz)}")
    if dry:
        return escape(f"would mark {what} to {who} ({company}) {row.to_state}: {row.reason}")
    return escape(f"{row.to_state} {what} to {who} ({company}): {row.reason}")  # "[[accounts]]"


def _summary_rows(session: Session, since: datetime, after: int) -> Iterator[Row[Any]]:
    """The columns :func:`summarize_run` prints of each transition of the run, in order.

    A first run over a big calendar records thousands of transitions; loading each as an
    object with its follow-up, interview and interviewer cost more than printing the lines.
    """
    return session.execute(
        select(
            Transition.followup_id,
            Transition.at,
            Transition.from_state,
            Transition.to_state,
            Transition.reason,
            FollowUp.kind,
            FollowUp.seq,
            FollowUp.state,
            FollowUp.subject,
            FollowUp.due_at,
            Interviewer.name,
            Interviewer.email,
            Interview.company,
            Interview.title,
        )
        .join(FollowUp, Transition.followup_id == FollowUp.id)
        .join(Interviewer, FollowUp.interviewer_id == Interviewer.id)
        .join(Interview, FollowUp.interview_id == Interview.id)
        .where(Transition.at >= since, Transition.id > after)
        .order_by(Transition.id)
        .execution_options(yield_per=1000)
    )
