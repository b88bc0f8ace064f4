"""What the user says about an interview: ``note``, ``skip``, ``unskip`` and ``redraft``.

Every correction takes effect visibly: the command says what it changed, and what it could
not change any more.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import click

from daemon.cli import console
from daemon.cli.app import Runtime, friendly, interview_or_fail, main, pass_runtime
from daemon.clock import Clock, SystemClock

if TYPE_CHECKING:
    from daemon.config import Account, Config
    from daemon.corrections.notes import NoteResult
    from daemon.protocols import Mailbox


@main.command(short_help="Add notes, a contact, a decision date or corrections.")
@click.argument("interview_id", type=int)
@click.argument("text", nargs=-1)
@click.option("--about", "about", metavar="EMAIL", help="The note is about this interviewer.")
@click.option("--contact", metavar="EMAIL", help="Send status inquiries to this interviewer.")
@click.option(
    "--decision-by",
    "decision_by",
    metavar="DATE",
    help="A decision is expected by this date (YYYY-MM-DD).",
)
@click.option(
    "--language",
    metavar="CODE",
    help="Write this interview's drafts in this language (e.g. 'de'); 'account' returns to "
    "the account's language.",
)
@click.option(
    "--max-interviewers",
    "max_interviewers",
    type=click.IntRange(1, 10_000),
    metavar="N",
    help="Draft thank-yous for up to N interviewers of this interview "
    "(default: [detection].max_interviewers).",
)
@click.option(
    "--fit",
    metavar="TEXT",
    help='How your experience fits this role, said in the thank-you ("" clears it).',
)
@click.option(
    "--company",
    metavar="NAME",
    help='The company as the drafts should name it ("" goes back to the detected one).',
)
@click.option(
    "--role",
    metavar="TITLE",
    help='The role as the drafts should name it ("" goes back to the detected one).',
)
@click.option(
    "--title",
    "titles",
    metavar="EMAIL=TITLE",
    multiple=True,
    help="This interviewer's job title, as the thank-you may name it (repeatable; "
    "EMAIL= clears it).",
)
@pass_runtime
@friendly
def note(
    rt: Runtime,
    interview_id: int,
    text: tuple[str, ...],
    about: str | None,
    contact: str | None,
    decision_by: str | None,
    language: str | None,
    max_interviewers: int | None,
    fit: str | None,
    company: str | None,
    role: str | None,
    titles: tuple[str, ...],
) -> None:
    """Add what was discussed (used in the drafts), set the main contact or a decision date,
    say how you fit the role, correct the company and role the drafts name, or set the drafts'
    language. Without text or options, opens the note form in $VISUAL or $EDITOR.

    \b
    Examples:
      followupd note 3                               the note form in your editor
      followupd note 3 we discussed the payments migration
      followupd note 3 --about jane@acme.example she leads the platform team
      followupd note 3 --decision-by 2026-12-15 --contact jane@acme.example
      followupd note 3 --company "Acme" --role "Backend Engineer"
    """
    from daemon.corrections.notes import (
        NoteChanges,
        apply_note,
        parse_decision_date,
        parse_titles,
    )

    flags = (about, contact, decision_by, language, max_interviewers, fit, company, role)
    if not text and not titles and all(flag is None for flag in flags):
        from daemon.cli.noteform import edit_notes

        edit_notes(rt, interview_id)
        return

    changes = NoteChanges(
        text=" ".join(text) or None,
        about=about,
        contact=contact,
        decision_by=parse_decision_date(decision_by) if decision_by else None,
        language=language,
        max_interviewers=max_interviewers,
        fit=fit,
        company=company,
        role=role,
        titles=parse_titles(titles),
    )
    now = SystemClock().now()
    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        result = apply_note(rt.config, session, interview, changes, now)
        session.commit()
    said = ["Saved"]
    if contact:
        said.append(
            f"{result.moved} status inquiry moved to {contact.lower()}"
            if result.moved
            else f"status inquiries will go to {contact.lower()}"
        )
    said += _notes_window(rt.config, result, now)
    console.out.print("; ".join(said) + ".", markup=False, highlight=False, soft_wrap=True)


def _notes_window(config: Config, result: NoteResult, now: datetime) -> list[str]:
    """What the note did to thank-yous waiting for notes ([thank_you].wait_for_notes)."""
    from daemon.planning.notes_window import said

    return said(config, result.window, now) if result.window else []


@main.command(short_help="Never draft anything (more) for an interview.")
@click.argument("interview_id", type=int)
@click.option("--reason", default="skipped by you", help="Why (shown in status).")
@pass_runtime
@friendly
def skip(rt: Runtime, interview_id: int, reason: str) -> None:
    """Never draft anything (more) for this interview.

    \b
    Examples:
      followupd skip 3
      followupd skip 3 --reason "not a job interview"
    """
    from daemon.corrections import skips

    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        count = skips.skip(session, interview, reason, SystemClock().now())
        if count is None:
            console.out.print(
                f"Interview {interview_id} is already skipped ({interview.reason}); "
                f"'followupd unskip {interview_id}' undoes it."
            )
            return
        session.commit()
    console.out.print(
        f"Skipped {count} pending follow-up(s) of interview {interview_id}; "
        f"'followupd unskip {interview_id}' undoes it."
    )


@main.command(short_help="Undo skip: plan an interview's follow-ups again.")
@click.argument("interview_id", type=int)
@pass_runtime
@friendly
def unskip(rt: Runtime, interview_id: int) -> None:
    """Undo 'skip': what it stopped is planned again, and drafted if still in time.

    \b
    Examples:
      followupd unskip 3
    """
    from daemon.corrections import skips

    with rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        if interview.status != "skipped":
            console.out.print(f"Interview {interview_id} is not skipped ({interview.status}).")
            return
        result = skips.unskip(rt.config, session, interview, SystemClock().now())
        session.commit()
    console.out.print(f"Restored {result.restored} follow-up(s) of interview {interview_id}.")
    for line in result.late:
        console.out.print(
            f"  not drafted after all: {line}", markup=False, highlight=False, soft_wrap=True
        )
    if result.late:  # the reasons say when it was due
        from daemon.output.times import zone_line

        console.out.print(zone_line(rt.config.daemon.timezone), markup=False, highlight=False)


@main.command(short_help="Rewrite drafts with your later notes and corrections.")
@click.argument("interview_id", type=int)
@click.option("--about", metavar="EMAIL", help="Only the draft(s) to this interviewer.")
@click.option(
    "--keep",
    is_flag=True,
    help="Add the new version beside the draft in your mailbox; delete nothing.",
)
@pass_runtime
@friendly
def redraft(rt: Runtime, interview_id: int, about: str | None, keep: bool) -> None:
    """Rewrite drafts with your later notes and corrections ('preview ID' shows the change).

    A draft you have not touched is replaced; one you edited, sent or deleted is left alone
    (with --keep, a new draft is added beside one you edited).

    \b
    Examples:
      followupd preview 3                 see what would change
      followupd redraft 3
      followupd redraft 3 --about jane@acme.example --keep
    """
    from daemon.corrections.redraft import Result, chosen
    from daemon.corrections.redraft import redraft as run_redraft
    from daemon.drafting.drafter import Drafter

    config, clock = rt.config, SystemClock()
    with _writer_lock(rt) as writer, rt.sessions()() as session:
        interview = interview_or_fail(session, interview_id)
        followups = chosen(interview, about)
        if not followups:
            console.out.print(f"Interview {interview_id} has no follow-ups to redraft.")
            return
        account = config.account(interview.account)
        mailbox = _mailbox(rt, account, clock, writer)
        drafter = Drafter(config, account, mailbox, rt.renderer())
        outcomes = list(run_redraft(session, drafter, followups, keep, clock.now(), writer))
    for outcome in outcomes:
        console.out.print(
            f"{outcome.kind} to {outcome.to}: {outcome.message}.",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if any(o.result in (Result.REPLACED, Result.ADDED) for o in outcomes):
        console.out.print(f"Check it with: followupd preview {interview_id}", highlight=False)
    if any(o.refused for o in outcomes):
        raise SystemExit(1)


@contextmanager
def _writer_lock(rt: Runtime) -> Iterator[bool]:
    """The state's instance lock, as ``run --once`` takes it; True when this process holds it
    and so writes the drafts itself. When a daemon holds it (the usual case: it runs as a
    service), False: the redraft is checked and committed here, and that daemon, which looks
    after the same drafts, writes it in its next round, so the two never race."""
    from daemon.running.sharing import AlreadyRunning, InstanceLock

    try:
        lock = InstanceLock(rt.config.daemon.state_dir, rt.config.daemon.database).__enter__()
    except AlreadyRunning:
        yield False
        return
    try:
        yield True
    finally:
        lock.__exit__()


def _mailbox(rt: Runtime, account: Account, clock: Clock, writer: bool) -> Mailbox:
    """The account's mailbox, connected as the daemon connects it, with its lock held when
    this process writes (a running daemon holds it otherwise; reading needs no lock)."""
    from daemon.running.accounts import connect

    connection = connect(rt.config, account, clock, writer=writer)
    if connection.error is not None:
        raise connection.error
    if connection.lock is not None:
        connection.lock.acquire()
    assert connection.mailbox is not None
    return connection.mailbox
