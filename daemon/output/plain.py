"""``status`` through a pipe: one record per line, tab-separated, never wrapped, no colour.

Each section is a comment line naming it (``# accounts (times in Europe/Berlin)``: the first
one names the zone of every time below, once), a header line of column names, then one line
per record; sections are separated by an empty line. A follow-up's line repeats its
interview's id, label and time, so that ``grep Acme | cut -f6`` works on any line. A tab or
newline inside a value becomes a space: a line is always exactly one record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console

from daemon.output.rows import AccountRow, InterviewRow, account_problem, done_text, due_text
from daemon.output.tables import INTERVIEW_COLUMNS
from daemon.output.times import local, times_in
from daemon.store.models import ProblemRecord


def cell(value: object) -> str:
    return " ".join(str(value).replace("\t", " ").splitlines())


def print_record(console: Console, values: Iterable[object]) -> None:
    """One line, as it is: written past rich, which would turn the tabs into spaces."""
    console.file.write("\t".join(cell(v) for v in values) + "\n")


def print_section(
    console: Console, title: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    console.file.write(f"# {cell(title)}\n")
    print_record(console, header)
    for row in rows:
        print_record(console, row)


def print_status_plain(
    console: Console,
    accounts: list[AccountRow],
    interviews: list[InterviewRow],
    tz: str,
    summary=None,  # noqa: ANN001 (a Summary): after the accounts, whose title names the zone
) -> None:
    print_section(
        console,
        f"accounts ({times_in(tz)})",
        ("account", "state", "last poll", "last success", "problem"),
        (
            (
                a.name,
                a.status,
                local(a.last_poll_at, tz),
                local(a.last_success_at, tz),
                account_problem(a, tz),
            )
            for a in accounts
        ),
    )
    console.print()
    if summary is not None:
        print_summary_plain(console, summary)
    if not interviews:
        console.print("# no interviews found yet", markup=False, highlight=False)
        return
    rows = []
    for interview in interviews:
        label = interview.label
        if interview.language_set:
            label += f" ({interview.language})"
        if interview.status != "active":
            label += f" ({interview.status})"
        head = (interview.id, label, local(interview.start_at, tz))
        if not interview.followups:
            rows.append((*head, "-", "-", "-", "-", "-", interview.reason or ""))
        for fu in interview.followups:
            rows.append(
                (
                    *head,
                    fu.label,
                    fu.to_name or fu.to_email,
                    fu.state,
                    due_text(fu, tz),
                    done_text(fu, tz),
                    fu.reason,
                )
            )
    print_section(console, "interviews and follow-ups", INTERVIEW_COLUMNS, rows)


def print_summary_plain(console: Console, summary) -> None:  # noqa: ANN001 (a Summary)
    """The summary as one record, then each problem of a skipped account file."""
    from daemon.output.summary import STATES

    print_section(
        console,
        "summary",
        ("accounts", *STATES, "due_next_hour", "late", "skipped_files"),
        [
            (
                summary.accounts,
                *(summary.by_state[s] for s in STATES),
                summary.due_next_hour,
                summary.late,
                len(summary.skipped_files),
            )
        ],
    )
    if summary.skipped_files:
        console.print()
        print_section(
            console,
            "account files skipped (fix them; the other accounts run)",
            ("file", "problem"),
            ((s.path, problem) for s in summary.skipped_files for problem in s.problems),
        )
    console.print()


def print_problems_plain(console: Console, problems: Sequence[ProblemRecord], tz: str) -> None:
    """Every skipped item on its own line, with the file or folder it is in (no limit: a
    script counts them, ``grep`` picks them)."""
    console.print()
    print_section(
        console,
        "skipped input (fix it at the source; followupd keeps going)",
        ("account", "source", "file", "item", "problem", "count", "last seen"),
        (
            (p.account, p.source, p.container or "", p.item, p.message, p.count,
             local(p.last_seen, tz))
            for p in problems
        ),
    )  # fmt: skip
