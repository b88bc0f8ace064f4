"""What ``status`` prints on a terminal: accounts, interviews, follow-ups, skipped items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.output.rows import (
    AccountRow,
    FollowUpRow,
    InterviewRow,
    account_problem,
    done_text,
    due_text,
)
from daemon.output.times import local, times_in
from daemon.store.models import Interview, ProblemRecord, State

# "due": when it is due (open ones); "done": when a finished one reached its state. Through a
# pipe each is a column of its own (stable names for scripts); in the table, where 80 columns
# are tight, the "done" time stands under the state it names ("drafted" / "2026-03-03 12:00").
INTERVIEW_COLUMNS = ("id", "interview", "when", "follow-up", "to", "state", "due", "done", "why")
TABLE_COLUMNS = tuple(c for c in INTERVIEW_COLUMNS if c != "done")
UNBROKEN = ("id", "when", "state", "due")  # never broken inside a word

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


def print_status(
    console: Console,
    session: Session,
    config: Config,
    now: datetime,
    show_all: bool = False,
    plain: bool = False,
    patterns: Sequence[str] = (),
) -> None:
    """The summary, the accounts, interviews and follow-ups, and skipped input: rich tables, or
    with ``plain`` (stdout is not a terminal) tab-separated records (:mod:`daemon.output.plain`).
    ``patterns``: only the accounts ``--account`` names. Past :data:`~daemon.output.summary.MANY`
    accounts and without ``show_all``, only the accounts and interviews that need attention."""
    from daemon.output.rows import account_rows, interview_rows  # noqa: F811
    from daemon.output.summary import MANY, is_late, selected, summarize

    tz = config.daemon.timezone
    accounts = [a for a in account_rows(session, config) if selected(a.name, patterns)]
    summary = summarize(session, config, accounts, now, patterns)
    interviews, every = interview_rows(session, config, now, show_all)
    interviews = [i for i in interviews if selected(i.account, patterns)]
    every = [i for i in every if selected(i.account, patterns)]
    hidden = None
    if len(accounts) > MANY and not show_all:
        hidden = (len(accounts), len(interviews))
        accounts = [a for a in accounts if a.needs_attention]
        interviews = [i for i in interviews if is_late(i, now)]
        shown = {i.id for i in interviews}
        every = [i for i in every if i.id in shown]
    if plain:
        from daemon.output.plain import print_status_plain

        print_status_plain(console, accounts, interviews, tz, summary)
    else:
        _print_summary(console, summary)
        _print_tables(console, accounts, interviews, tz)
    if hidden is not None:
        console.print(
            f"{'# ' if plain else ''}Listed: the accounts needing attention and the interviews "
            f"with a failed or late follow-up, of {hidden[0]} accounts and {hidden[1]} "
            "interviews (followupd status --all, or --account NAME)",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    if interviews:
        print_remarks(console, config, every, plain)
    print_problems(console, session, tz, show_all, plain, patterns)


def _print_summary(console: Console, summary) -> None:  # noqa: ANN001 (a Summary)
    from daemon.output.summary import summary_line

    console.print(summary_line(summary), markup=False, highlight=False, soft_wrap=True)
    for skipped in summary.skipped_files:
        for problem in skipped.problems:
            console.print(
                f"[red]account file skipped:[/] {escape(problem)}", highlight=False, soft_wrap=True
            )


def _print_tables(
    console: Console, accounts: list[AccountRow], interviews: list[InterviewRow], tz: str
) -> None:
    table = Table(title=f"Accounts ({times_in(tz)})", title_justify="left")
    for column in ("account", "state", "last poll", "last success", "problem"):
        table.add_column(column)
    for account in accounts:
        if account.status == "never polled":
            table.add_row(account.name, "never polled", "-", "-", "")
            continue
        style = "green" if account.status == "ok" else "red"
        table.add_row(
            account.name,
            f"[{style}]{account.status}[/]",
            local(account.last_poll_at, tz),
            local(account.last_success_at, tz),
            Text(account_problem(account, tz)),
        )
    console.print(table)

    stack = console.width < WIDE  # date over time in a cell, in a narrow terminal
    table = Table(title="Interviews and follow-ups", title_justify="left")
    for column in TABLE_COLUMNS:
        table.add_column(column, overflow="fold", no_wrap=column in UNBROKEN)
    for interview in interviews:
        label = Text(interview.label)
        if interview.language_set:
            label.append(f" ({interview.language})", style="dim")
        if interview.status != "active":
            label.append(f" ({interview.status})", style="dim")
        first = True
        for fu in interview.followups or [None]:
            cells: list[str | Text] = (
                [str(interview.id), label, _stacked(local(interview.start_at, tz), stack)]
                if first
                else ["", "", ""]
            )
            first = False
            if fu is None:
                table.add_row(*cells, "-", "-", "-", "-", Text(interview.reason or ""))
                continue
            table.add_row(
                *cells,
                fu.label,
                Text(fu.to_name or fu.to_email),
                _state_cell(fu, tz, stack),
                _stacked(due_text(fu, tz), stack),
                Text(fu.reason),
            )
    if interviews:
        console.print(table)
    else:
        console.print("No interviews found yet.")


WIDE = 120  # columns from which a time stays on one line in a cell


def _stacked(text: str, stack: bool) -> str:
    """With ``stack``, ``2026-03-03 12:00`` as two lines in a table cell, date over time:
    three time columns of 16 characters would leave the "why" no room in 80 columns."""
    return text.replace(" ", "\n", 1) if stack else text


def _state_cell(fu: FollowUpRow, tz: str, stack: bool) -> Text:
    """The state, and for one that is not due any more, when it got there (below it)."""
    cell = Text(fu.state, style=STATE_STYLE.get(State(fu.state), ""))
    if fu.finished_at is not None:
        cell.append("\n" + _stacked(done_text(fu, tz), stack), style="dim")
    return cell


# Follow-ups whose draft the user has yet to send: remarks about it are still useful.
_TO_REVIEW = (State.SCHEDULED, State.CREATING, State.DRAFTED)


def print_remarks(
    console: Console, config: Config, interviews: Sequence[Interview], plain: bool = False
) -> None:
    """What to check in the drafts not sent yet (a misspelled word in a note, ...), by
    interview and recipient, under the table; nothing when there is nothing to say."""
    from daemon.drafting.facts import context_for
    from daemon.explain import draft_remarks

    remarks = []
    for interview in interviews:
        if interview.status != "active":
            continue
        for fu in interview.followups:
            if fu.state not in _TO_REVIEW:
                continue
            kind = "thank-you" if fu.kind == "thank_you" else f"inquiry #{fu.seq}"
            who = fu.interviewer.name or fu.interviewer.email
            for remark in draft_remarks(config, fu, context_for(config, fu)):
                remarks.append((interview.id, kind, who, remark))
    if not remarks:
        return
    if plain:
        from daemon.output.plain import print_section

        console.print()
        print_section(
            console,
            "check before sending (followupd preview ID shows the draft)",
            ("id", "follow-up", "to", "remark"),
            remarks,
        )
        return
    console.print("Check before sending (followupd preview ID shows the draft):")
    for interview_id, kind, who, remark in remarks:
        console.print(
            f"  - interview {interview_id}, {kind} to {who}: {remark}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


PROBLEMS_LISTED = 50  # rows of skipped input listed by ``status`` (all with ``--all``)
PER_CONTAINER = 10  # of one file, unless ``--all``


def problem_records(session: Session) -> Sequence[ProblemRecord]:
    """Every skipped input item, by account, source and file, the latest first."""
    return session.scalars(
        select(ProblemRecord).order_by(
            ProblemRecord.account,
            ProblemRecord.source,
            ProblemRecord.container,
            ProblemRecord.last_seen.desc(),
            ProblemRecord.id,
        )
    ).all()


def print_problems(
    console: Console,
    session: Session,
    tz: str,
    show_all: bool = False,
    plain: bool = False,
    patterns: Sequence[str] = (),
) -> None:
    """Skipped input, each item on its own row, grouped by the file or folder it is in.

    Four broken events in one .ics file are four rows under one heading that counts them:
    the user fixes them at the source, and needs to know which."""
    from daemon.output.summary import selected

    problems = [p for p in problem_records(session) if selected(p.account, patterns)]
    if not problems:
        return
    if plain:
        from daemon.output.plain import print_problems_plain

        print_problems_plain(console, problems, tz)
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
            seen = f"{p.count}x, last {local(p.last_seen, tz)}"
            table.add_row(account, source, item, Text(p.message), seen)
            listed += 1
    console.print(table)
