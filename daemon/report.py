"""What ``status`` and ``run --once`` print: accounts, interviews, follow-ups, skipped items."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from daemon.config import Config
from daemon.drafting.facts import language_for
from daemon.planning.basis import is_waiting
from daemon.planning.followups import waiting_reason
from daemon.planning.notes_window import waiting_text as notes_waiting_text
from daemon.planning.notes_window import waits_for_notes
from daemon.store.models import AccountState, FollowUp, Interview, ProblemRecord, State, Transition
from daemon.writing import phrases

SHORT = 20  # up to this many lines of one kind are listed, more are counted

STATE_STYLE = {
    State.SCHEDULED: "cyan",
    State.CREATING: "yellow",
    State.DRAFTED: "green",
    State.DONE: "dim green",
    State.REPLIED: "bold green",
    State.CANCELLED: "dim",
    State.SKIPPED: "dim yellow",
    State.FAILED: "bold red",
}


def _local(value: datetime | None, tz: str) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def print_status(
    console: Console, session: Session, config: Config, now: datetime, show_all: bool = False
) -> None:
    tz = config.daemon.timezone
    accounts = Table(title="Accounts", title_justify="left")
    for column in ("account", "state", "last poll", "last success", "problem"):
        accounts.add_column(column)
    states = {s.name: s for s in session.scalars(select(AccountState))}
    for account in config.accounts:
        st = states.get(account.name)
        if st is None:
            accounts.add_row(account.name, "never polled", "-", "-", "")
            continue
        problem = st.last_error or ""
        if st.status == "needs_reauth":
            problem = f"needs re-authorization: run [bold]{st.fix}[/]"
        elif st.status == "backoff":
            problem = f"{problem} (retrying after {_local(st.backoff_until, tz)})"
        style = "green" if st.status == "ok" else "red"
        accounts.add_row(
            account.name,
            f"[{style}]{st.status}[/]",
            _local(st.last_poll_at, tz),
            _local(st.last_success_at, tz),
            problem,
        )
    console.print(accounts)

    table = Table(title=f"Interviews and follow-ups (times in {tz})", title_justify="left")
    for column in ("id", "interview", "when", "follow-up", "to", "state", "due", "why"):
        table.add_column(column, overflow="fold")
    interviews = session.scalars(select(Interview).order_by(Interview.start_at)).all()
    accounts_by_name = {a.name: a for a in config.accounts}
    shown = 0
    for interview in interviews:
        followups = [
            fu for fu in interview.followups if show_all or fu.state not in (State.CANCELLED,)
        ]
        if not show_all and interview.status != "active" and not followups:
            continue
        label = interview.company_override or interview.company or interview.title
        if role := interview.role_override or interview.role:
            label += f" — {role}"
        language = language_for(interview, accounts_by_name.get(interview.account))
        if interview.language or language != phrases.DEFAULT:
            label += f" [dim]({language})[/]"  # the drafts' language, when it is not English
        if interview.status != "active":
            label += f" [dim]({interview.status})[/]"
        first = True
        for fu in followups or [None]:
            cells = (
                [str(interview.id), label, _local(interview.start_at, tz)]
                if first
                else ["", "", ""]
            )
            first = False
            if fu is None:
                table.add_row(*cells, "-", "-", "-", "-", interview.reason or "")
                continue
            kind = "thank-you" if fu.kind == "thank_you" else f"inquiry #{fu.seq}"
            style = STATE_STYLE.get(State(fu.state), "")
            due = (
                _local(fu.due_at, tz)
                if fu.state in (State.SCHEDULED, State.CREATING)
                else _local(fu.drafted_at or fu.updated_at, tz)
            )
            why = fu.reason or ""
            if fu.state == State.FAILED:
                why = f"{why} — {failure_fix(config, fu, now)}"
            if is_waiting(fu):  # said afresh: the thank-you may have been deleted meanwhile
                why = waiting_reason(config, fu)
                due = "waiting"
            elif waits_for_notes(config, fu):
                why = notes_waiting_text(config, fu, now)
            table.add_row(
                *cells,
                kind,
                fu.interviewer.name or fu.interviewer.email,
                f"[{style}]{fu.state}[/]",
                due,
                Text(why),
            )
        shown += 1
    if shown:
        console.print(table)
        print_remarks(console, config, interviews)
    else:
        console.print("No interviews found yet.")

    print_problems(console, session, tz, show_all)


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


# Follow-ups whose draft the user has yet to send: remarks about it are still useful.
_TO_REVIEW = (State.SCHEDULED, State.CREATING, State.DRAFTED)


def print_remarks(console: Console, config: Config, interviews: Sequence[Interview]) -> None:
    """What to check in the drafts not sent yet (a misspelled word in a note, ...), by
    interview and recipient, under the table; nothing when there is nothing to say."""
    from daemon.drafting.facts import context_for
    from daemon.explain import draft_remarks

    lines = []
    for interview in interviews:
        if interview.status != "active":
            continue
        for fu in interview.followups:
            if fu.state not in _TO_REVIEW:
                continue
            kind = "thank-you" if fu.kind == "thank_you" else f"inquiry #{fu.seq}"
            who = fu.interviewer.name or fu.interviewer.email
            for remark in draft_remarks(config, fu, context_for(config, fu)):
                lines.append(f"interview {interview.id}, {kind} to {who}: {remark}")
    if lines:
        console.print("Check before sending (followupd preview ID shows the draft):")
        for line in lines:
            console.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


PROBLEMS_LISTED = 50  # rows of skipped input listed by ``status`` (all with ``--all``)
PER_CONTAINER = 10  # of one file, unless ``--all``


def print_problems(console: Console, session: Session, tz: str, show_all: bool = False) -> None:
    """Skipped input, each item on its own row, grouped by the file or folder it is in.

    Four broken events in one .ics file are four rows under one heading that counts them:
    the user fixes them at the source, and needs to know which."""
    problems = session.scalars(
        select(ProblemRecord).order_by(
            ProblemRecord.account,
            ProblemRecord.source,
            ProblemRecord.container,
            ProblemRecord.last_seen.desc(),
            ProblemRecord.id,
        )
    ).all()
    if not problems:
        return
    table = Table(
        title="Skipped input (fix it at the source; followupd keeps going)",
        title_justify="left",
    )
    for column in ("account", "source", "item", "problem", "seen"):
        table.add_column(column, overflow="fold")
    groups: dict[tuple[str, str, str], list[ProblemRecord]] = {}
    for p in problems:
        groups.setdefault((p.account, p.source, p.container or ""), []).append(p)
    listed = 0
    for (account, source, container), rows in groups.items():
        if container:
            count = f"{len(rows)} problem" + ("s" if len(rows) != 1 else "")
            table.add_row(account, source, Text(container, style="bold"), count, "")
        for n, p in enumerate(rows):
            if not show_all and (n >= PER_CONTAINER or listed >= PROBLEMS_LISTED):
                rest = len(rows) - n
                table.add_row(
                    account, source, f"  ... {rest} more (followupd status --all)", "", ""
                )
                listed += 1
                break
            item = Text(("  " if container else "") + p.item)
            seen = f"{p.count}x, last {_local(p.last_seen, tz)}"
            table.add_row(account, source, item, Text(p.message), seen)
            listed += 1
    console.print(table)


def summarize_run(console: Console, session: Session, config: Config, since: datetime) -> None:
    """What one ``run --once`` did, from the transitions it recorded.

    Drafts and failures are listed one by one; the rest is listed while it is short and
    counted once it is long (a first run over a big calendar plans thousands of things).
    """
    rows = session.scalars(
        select(Transition)
        .where(Transition.at >= since)
        .order_by(Transition.id)
        .options(
            selectinload(Transition.followup).selectinload(FollowUp.interviewer),
            selectinload(Transition.followup).selectinload(FollowUp.interview),
        )
    ).all()
    tz = config.daemon.timezone
    lines: list[tuple[str, str]] = []
    for transition in rows:
        fu = transition.followup
        who = fu.interviewer.name or fu.interviewer.email
        what = "thank-you" if fu.kind == "thank_you" else f"status inquiry #{fu.seq}"
        company = fu.interview.company or fu.interview.title
        if transition.to_state == State.DRAFTED:
            lines.append(
                (State.DRAFTED, f"[green]drafted[/] {what} to {who} ({company}): {fu.subject}")
            )
        elif transition.to_state == State.SCHEDULED and transition.from_state is None:
            lines.append(
                ("planned", f"planned {what} to {who} ({company}), due {_local(fu.due_at, tz)}")
            )
        elif transition.to_state != State.CREATING:
            text = f"{transition.to_state} {what} to {who} ({company}): {transition.reason}"
            if transition.to_state == State.FAILED and fu.state == State.FAILED:
                text += f" — {failure_fix(config, fu, transition.at)}"
            lines.append((transition.to_state, escape(text)))  # reasons quote "[[accounts]]"
    if not lines:
        console.print("Nothing to do right now.")
    counts = Counter(kind for kind, _ in lines)
    for kind, text in lines:
        if kind in (State.DRAFTED, State.FAILED) or counts[kind] <= SHORT:
            console.print(text, highlight=False)
    for kind, count in counts.items():
        if kind not in (State.DRAFTED, State.FAILED) and count > SHORT:
            console.print(
                f"{kind}: {count} follow-ups (see followupd status --all)", highlight=False
            )
    for state in session.scalars(select(AccountState)):
        if state.status != "ok":
            console.print(
                f"[red]account {state.name}: {state.status}[/] {state.last_error or ''}",
                highlight=False,
                soft_wrap=True,
            )
