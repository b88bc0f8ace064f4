"""The daemon and what it has done: ``run``, ``status`` and ``preview``."""

from __future__ import annotations

import contextlib
import sys
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import click

from daemon.cli import console
from daemon.cli.app import Runtime, friendly, interview_or_fail, main, pass_runtime
from daemon.clock import Clock, FrozenClock, SystemClock
from daemon.errors import FollowupdError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from daemon.corrections.redraft import Comparison
    from daemon.drafting.drafter import Drafter
    from daemon.running.engine import Engine
    from daemon.store.models import FollowUp, Interview


def run_once(rt: Runtime, clock: Clock, as_json: bool = False, dry_run: bool = False) -> list[str]:
    """One poll and the due work; what it did is printed (as JSON with ``as_json``). Returns
    what failed in it (accounts, follow-ups): empty when all went well. ``dry_run``: the same
    run on a copy of the state with mailboxes that write nothing, and no lock
    (:mod:`daemon.running.dryrun`); what it would do is printed."""
    from daemon import heap, logsetup
    from daemon.output.rows import account_rows
    from daemon.output.runs import run_failures, run_transitions, summarize_run

    config = rt.config
    renderer = rt.checked_renderer(record=not dry_run)
    with contextlib.ExitStack() as stack:
        if dry_run:
            from daemon.running.dryrun import dry_engine

            engine = stack.enter_context(dry_engine(config, clock, renderer))
        else:
            from daemon.running.renewal import leased
            from daemon.running.sharing import InstanceLock

            stack.enter_context(InstanceLock(config.daemon.state_dir, config.daemon.database))
            engine = rt.engine(clock)
            stack.enter_context(leased(engine))  # on PostgreSQL: this run's share of accounts
        before = clock.now()
        after = _last_transition(engine) if dry_run else 0
        # The engine is built: the garbage collector is set for its work (daemon/heap.py).
        stack.enter_context(heap.for_work())
        # The summary below says what happened: on a terminal, the log lines saying it too
        # are left out (each event printed once); -v shows them for a diagnosis.
        with logsetup.reported_by_command():
            engine.poll()
            engine.run_due()
        with engine.sessions() as session:
            failures = run_failures(session, config, before, after)
            if as_json:
                from daemon.output import as_json

                document = as_json.run_document(
                    account_rows(session, config),
                    run_transitions(session, before, after),
                    failures,
                    config.daemon.timezone,
                    before,
                    dry_run,
                )
                console.out.file.write(as_json.dumps(document) + "\n")
            else:
                summarize_run(console.out, session, config, before, after, dry_run)
    return failures


def _last_transition(engine: Engine) -> int:
    """The id of the last transition in the engine's store: a dry run lists those after it
    (a dry run at a past ``--now`` is older than what real runs recorded since)."""
    from daemon.notify.watch import last_transition

    with engine.sessions() as session:
        return last_transition(session)


@main.command(short_help="Run the daemon in the foreground; --once: one round.")
@click.option("--once", is_flag=True, help="One poll plus all due work, then exit.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO-TIME",
    help="With --once: pretend it is this time (testing, what-if).",
)
@click.option("--json", "as_json", is_flag=True, help="With --once: say it as JSON (docs/json.md).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --once: say what it would do, and do none of it: writes no draft, no state, "
    "takes no lock (works while the service runs).",
)
@pass_runtime
@friendly
def run(rt: Runtime, once: bool, now_text: str | None, as_json: bool, dry_run: bool) -> None:
    """Run the daemon in the foreground (systemd runs exactly this).

    With --once: exit status 1 when an account or a follow-up failed in that run (with
    --dry-run: would fail).

    \b
    Examples:
      followupd run                   what the systemd service runs (Ctrl-C stops)
      followupd run --once            one poll, the drafts that are due, a summary
      followupd run --once --json     the same as one JSON document (docs/json.md)
      followupd run --once --dry-run  what it would do now, doing none of it
      followupd run --once --now 2026-11-25T14:00+01:00
      followupd -v run --once         with followupd's debug log
    """
    clock: Clock = SystemClock()
    if (now_text or as_json or dry_run) and not once:
        flag = "--now" if now_text else "--json" if as_json else "--dry-run"
        raise FollowupdError(f"{flag} only works together with --once")
    if now_text:
        clock = FrozenClock(_parse_time(now_text))
    if once:
        if run_once(rt, clock, as_json, dry_run):
            sys.exit(1)
        return
    from daemon.running.reload import Reloader
    from daemon.running.service import Service
    from daemon.running.sharing import InstanceLock

    config = rt.config
    rt.checked_renderer()
    with InstanceLock(config.daemon.state_dir, config.daemon.database):
        from daemon import heap

        reloader = Reloader(rt.config_path, config, clock, rt.verbosity)  # for SIGHUP
        engine = rt.engine(clock)
        with heap.for_work():
            Service(engine, config.daemon.poll_interval, reloader).run()


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise FollowupdError(
            f"--now: expected a time like 2026-11-25T14:00+01:00, got {text!r}"
        ) from None
    if value.tzinfo is None:
        raise FollowupdError(f"--now: expected a time with a UTC offset, got {text!r}")
    return value


@main.command(short_help="Interviews and follow-ups: their state and due time.")
@click.option("--all", "show_all", is_flag=True, help="Include finished and cancelled follow-ups.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (see docs/json.md).")
@click.option(
    "--fail-on-attention",
    is_flag=True,
    help="Exit 1 when an account needs attention (an error, re-authorization, a backoff).",
)
@click.option(
    "--account",
    "patterns",
    multiple=True,
    metavar="NAME",
    help="Only this account (repeatable; a glob like 'cohort-*').",
)
@pass_runtime
@friendly
def status(
    rt: Runtime, show_all: bool, as_json: bool, fail_on_attention: bool, patterns: tuple[str, ...]
) -> None:
    """Interviews, interviewers and follow-ups with their state and due time.

    On a terminal: tables. Through a pipe: one tab-separated record per line under a
    '# section' line and a header line (see README, "Output for scripts").

    \b
    Examples:
      followupd status
      followupd status --all          finished and cancelled ones too
      followupd status --json | jq '.followups[] | select(.state == "failed")'
      followupd status --fail-on-attention >/dev/null || echo "look at it"
      followupd status --account 'cohort-*'   some accounts only

    A summary comes first (accounts by state, follow-ups due in the next hour, late ones).
    Past 20 accounts, only the accounts and interviews needing attention are listed, unless
    --all or --account.
    """
    from daemon.output.rows import account_rows, interview_rows
    from daemon.output.summary import selected, summarize
    from daemon.output.tables import print_status, problem_records

    config, now = rt.config, SystemClock().now()
    names = [a.name for a in config.accounts]
    for pattern in patterns:
        if not any(selected(name, [pattern]) for name in names):
            known = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
            raise FollowupdError(
                f"--account {pattern}: no account by that name or pattern (accounts: {known or 'none'})"
            )
    with rt.sessions()() as session:
        if as_json:
            from daemon.output import as_json

            accounts = [a for a in account_rows(session, config) if selected(a.name, patterns)]
            interviews, _ = interview_rows(session, config, now, show_all)
            document = as_json.status_document(
                accounts,
                [i for i in interviews if selected(i.account, patterns)],
                [p for p in problem_records(session) if selected(p.account, patterns)],
                config.daemon.timezone,
                now,
                summarize(session, config, accounts, now, patterns),
            )
            console.out.file.write(as_json.dumps(document) + "\n")
        else:
            print_status(console.out, session, config, now, show_all, console.plain, patterns)
        attention = [
            a.name
            for a in account_rows(session, config)
            if a.needs_attention and selected(a.name, patterns)
        ]
    if fail_on_attention and attention:
        console.err.print(
            f"followupd: needs attention: account {', '.join(attention)}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
        sys.exit(1)


@main.command(short_help="Show an interview's drafts as they would be written.")
@click.argument("interview_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON document (see docs/json.md).")
@pass_runtime
@friendly
def preview(rt: Runtime, interview_id: int, as_json: bool) -> None:
    """Show the drafts of an interview as they would be created (creates nothing).

    INTERVIEW_ID is the id column of 'followupd status'.

    \b
    Examples:
      followupd preview 3
      followupd preview 3 --json | jq -r '.drafts[0].text'
    """
    from daemon.corrections.redraft import compare
    from daemon.drafting.drafter import Drafter
    from daemon.drafting.facts import context_for, language_for
    from daemon.explain import draft_remarks, reasons
    from daemon.output.times import zone_line
    from daemon.planning.basis import is_waiting
    from daemon.planning.followups import waiting_reason
    from daemon.planning.notes_window import waiting_text as notes_waiting_text
    from daemon.planning.notes_window import waits_for_notes
    from daemon.store.models import State
    from daemon.writing import phrases

    config = rt.config
    renderer = rt.renderer()
    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        account = config.account(interview.account)
        drafter = Drafter(config, account, None, renderer)  # type: ignore[arg-type]
        if as_json:
            _preview_json(rt, session, interview, drafter)
            return
        tz = config.daemon.timezone
        console.out.print(zone_line(tz), markup=False, highlight=False)
        language = language_for(interview, account)
        why = (
            "set for this interview; 'note ID --language account' returns to the account's"
            if interview.language == language
            else f"the account's (change it with 'followupd note {interview_id} --language')"
        )
        console.out.print(f"Language: {phrases.get(language).name} ({language}), {why}", markup=False,
                  highlight=False)  # fmt: skip
        if not interview.followups:
            console.out.print("This interview has no follow-ups.")
        for fu in interview.followups:
            comparison = compare(session, drafter, fu)
            request = comparison.request
            console.out.rule(f"{fu.kind} #{fu.seq} to {fu.interviewer.email} — {_when(fu, tz)}")
            if is_waiting(fu):  # not drafted until something was sent: say so, and why
                console.out.print(waiting_reason(config, fu), markup=False, highlight=False)
            if waits_for_notes(config, fu):
                console.out.print(
                    notes_waiting_text(config, fu, SystemClock().now()), markup=False,
                    highlight=False,
                )  # fmt: skip
            if fu.state == State.DRAFTED:
                _print_against_mailbox(comparison, fu, interview_id, tz)
            console.out.print(f"Subject: {request.subject}", markup=False, highlight=False)
            console.out.print(
                f"To: {', '.join(a.email for a in request.to)}", markup=False, highlight=False
            )
            if request.reply_to:
                console.out.print(
                    f"In-Reply-To: {request.reply_to.message_id}", markup=False, highlight=False
                )
            console.out.print()
            console.out.print(request.text, markup=False, highlight=False)
            ctx = context_for(config, fu, account)
            console.print_list("Why", reasons(config, fu, ctx))
            console.print_list("Check before sending", draft_remarks(config, fu, ctx))


def _preview_json(rt: Runtime, session: Session, interview: Interview, drafter: Drafter) -> None:
    """``preview --json``: each follow-up (as in ``status --json``) with the draft it would
    have, and whether the draft in the mailbox is still what a redraft would write."""
    from daemon.corrections.redraft import compare
    from daemon.drafting.facts import context_for
    from daemon.explain import draft_remarks, reasons
    from daemon.output import as_json
    from daemon.output.rows import followup_row, interview_row
    from daemon.store.models import State

    config, now = rt.config, SystemClock().now()
    tz = config.daemon.timezone
    account = config.account(interview.account)
    drafts = []
    for fu in interview.followups:
        comparison = compare(session, drafter, fu)
        request = comparison.request
        ctx = context_for(config, fu, account)
        drafted = fu.state == State.DRAFTED
        drafts.append(
            {
                "followup": as_json.followup(followup_row(config, fu, now), interview.id, tz),
                "subject": request.subject,
                "to": [{"email": a.email, "name": a.name} for a in request.to],
                "in_reply_to": request.reply_to.message_id if request.reply_to else None,
                "text": request.text,
                "why": reasons(config, fu, ctx),
                "check_before_sending": draft_remarks(config, fu, ctx),
                # drafted only: is the mailbox's draft what this text is? (null: unknown)
                "same_as_mailbox": (comparison.same if comparison.known else None)
                if drafted
                else None,
            }
        )
    document = as_json.preview_document(interview_row(config, interview, now), drafts, tz, now)
    console.out.file.write(as_json.dumps(document) + "\n")


def _when(fu: FollowUp, tz: str) -> str:
    """``scheduled, due Wed 04 Mar 15:00``; for one not due any more, when it got there:
    ``drafted Tue 03 Mar 13:00``."""
    from daemon.output.rows import OPEN, finished_at
    from daemon.output.times import short

    if fu.state in OPEN:
        return f"{fu.state}, due {short(fu.due_at, tz)}"
    return f"{fu.state} {short(finished_at(fu), tz)}"


def _print_against_mailbox(
    comparison: Comparison, fu: FollowUp, interview_id: int, tz: str
) -> None:
    """For a drafted follow-up: is the draft in the mailbox what a redraft would write? If not,
    what would change (a compact diff, coloured on a terminal, plain in a pipe), and how to
    apply it. The text that follows is what a redraft would write (the same, when nothing
    changed). Offline: compared with the draft as followupd wrote it, not read back."""
    from daemon.output.times import short

    say = partial(console.out.print, markup=False, highlight=False)
    written = short(fu.drafted_at, tz) if fu.drafted_at else "an earlier run"
    if not comparison.known:
        say(
            f"The draft in your mailbox was written on {written}, before followupd kept a copy "
            "of what it wrote: it cannot compare it with what a redraft would write, shown "
            "below. 'followupd redraft ... --keep' adds that as a second draft."
        )
        say()
        return
    if comparison.same:
        say(f"The draft in your mailbox (as followupd wrote it on {written}):")
        say()
        return
    say(
        f"The draft in your mailbox (as followupd wrote it on {written}) is older than your "
        "notes, corrections or templates. What a redraft would change:"
    )
    say()
    for line in comparison.diff():
        style = {"-": "red", "+": "green", "@": "cyan"}.get(line[:1]) if line[:3] not in (
            "---", "+++") else "bold"  # fmt: skip
        console.out.print(line, style=style, markup=False, highlight=False, soft_wrap=True)
    say()
    say("To replace the draft with it (if you have not edited the draft):")
    say(f"  followupd redraft {interview_id} --about {fu.interviewer.email}", soft_wrap=True)
    say()
    say("What a redraft would write:")
