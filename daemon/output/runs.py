"""What one ``run --once`` did, from the transitions it recorded: the summary a person
reads, and the failures that make its exit code 1. A dry run (``--dry-run``) recorded them in
a copy of the state: the same lines say what it *would* do."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Config
from daemon.output.rows import failure_fix
from daemon.output.times import local, zone_line
from daemon.store.models import AccountState, FollowUp, State, Transition

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
    rows = run_transitions(session, since, after)
    tz = config.daemon.timezone
    lines: list[tuple[str, str]] = []
    for transition in rows:
        fu = transition.followup
        who = fu.interviewer.name or fu.interviewer.email
        what = "thank-you" if fu.kind == "thank_you" else f"status inquiry #{fu.seq}"
        company = fu.interview.company or fu.interview.title
        if transition.to_state == State.DRAFTED:
            if dry:
                text = f"would draft {what} to {who} ({company}), due {local(fu.due_at, tz)}"
                lines.append((State.DRAFTED, escape(f"{text}: {fu.subject}")))
            else:
                text = escape(f"{what} to {who} ({company}): {fu.subject}")
                lines.append((State.DRAFTED, f"[green]drafted[/] {text}"))
        elif transition.to_state == State.SCHEDULED and transition.from_state is None:
            verb = "would plan" if dry else "planned"
            text = f"{verb} {what} to {who} ({company}), due {local(fu.due_at, tz)}"
            lines.append(("planned", escape(text)))
        elif transition.to_state != State.CREATING:
            text = f"{transition.to_state} {what} to {who} ({company}): {transition.reason}"
            if dry:
                text = (
                    f"would mark {what} to {who} ({company}) {transition.to_state}: "
                    f"{transition.reason}"
                )
            if transition.to_state == State.FAILED and fu.state == State.FAILED:
                text += f" — {failure_fix(config, fu, transition.at)}"
            lines.append((transition.to_state, escape(text)))  # reasons quote "[[accounts]]"
    if not lines:
        console.print("Nothing would be done right now." if dry else "Nothing to do right now.")
    else:
        console.print(zone_line(tz), highlight=False)  # the times below (due, reasons)
    counts = Counter(kind for kind, _ in lines)
    for kind, text in lines:
        if kind in (State.DRAFTED, State.FAILED) or counts[kind] <= SHORT:
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
