"""The ``followupd`` command line.

Every command loads the config first; a broken config is reported (all problems at once) and
exits with status 2 before anything else happens. Errors the user can act on are printed as
one clear line, never as a traceback (``-v`` adds the traceback for bug reports).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from daemon import __version__, logsetup, paths
from daemon.clock import Clock, FrozenClock, SystemClock
from daemon.errors import ConfigError, FollowupdError

# The rest (SQLAlchemy, Alembic, Jinja2, rich, APScheduler, the providers' libraries) is
# imported by the commands that use it: start-up time is paid by every command, including
# ``--version`` and ``--help``, and by every start of the daemon.
if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session, sessionmaker

    from daemon import config as config_mod
    from daemon.running.engine import Engine
    from daemon.store.models import Interview
    from daemon.writing.render import Renderer

log = logging.getLogger(__name__)
# Made per invocation by main(), so the width follows the terminal (or $COLUMNS) of this run.
out: Console
err_console: Console

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Turn followupd's own errors into one clear message and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as err:
            err_console.print("[bold red]Configuration problems:[/]", highlight=False)
            for problem in err.problems:
                err_console.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        except FollowupdError as err:
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                log.debug("details", exc_info=True)
            err_console.print(f"followupd: {err}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class Runtime:
    """What the commands need, built lazily from the config file."""

    def __init__(self, config_path: Path | None, verbose: bool) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self._config: config_mod.Config | None = None

    @property
    def config(self) -> config_mod.Config:
        if self._config is None:
            from daemon import config as config_mod

            self._config = config_mod.load(self.config_path)
            logsetup.setup(self._config.daemon.log_level, self.verbose)
        return self._config

    def sessions(self) -> sessionmaker[Session]:
        from daemon.store.database import open_store

        return open_store(self.config.daemon.database)

    def renderer(self) -> Renderer:
        from daemon.running.reload import renderer_for

        return renderer_for(self.config)

    def engine(self, clock: Clock) -> Engine:
        from daemon.running.reload import build_engine

        return build_engine(self.config, clock, self.renderer())


pass_runtime = click.make_pass_decorator(Runtime)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="FOLLOWUPD_CONFIG",
    help=f"Config file (default: {paths.default_config_file()}).",
)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.version_option(__version__, prog_name="followupd")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, verbose: bool) -> None:
    """followupd drafts interview thank-you notes and polite status inquiries in your own
    mailbox. It never sends anything: you review, edit and send the drafts yourself."""
    from rich.console import Console

    global out, err_console
    out, err_console = Console(), Console(stderr=True)
    logsetup.setup("debug" if verbose else "info", verbose)
    ctx.obj = Runtime(config_path, verbose)


@main.command()
@click.option(
    "--demo",
    "demo_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Also write a demo setup (calendar + Maildir) into this folder.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@pass_runtime
@friendly
def init(rt: Runtime, demo_dir: Path | None, force: bool) -> None:
    """Write a starter config (and optionally a self-contained demo)."""
    from daemon import demo

    if demo_dir is not None:
        cfg = demo.create(demo_dir)
        out.print(
            f"Demo written to {demo_dir}. Try:\n  followupd --config {cfg} run --once\n  followupd --config {cfg} status"
        )
        return
    target = rt.config_path or paths.default_config_file()
    if target.exists() and not force:
        raise FollowupdError(f"{target} exists; use --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(demo.starter_config())
    out.print(f"Wrote {target}. Edit it, then run: followupd check")


@main.command("demo")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False), default="followupd-demo"
)
@friendly
def demo_cmd(folder: Path) -> None:
    """Create a demo (calendar of interviews + Maildir), run once, and show what happened."""
    from daemon import demo
    from daemon.report import print_status

    cfg = demo.create(folder)
    out.print(f"[bold]Demo set up in {folder}[/] (config: {cfg})\n")
    rt = Runtime(cfg, False)
    _run_once(rt, SystemClock())
    out.print()
    with rt.sessions()() as session:
        print_status(out, session, rt.config, SystemClock().now(), show_all=True)
    out.print(f"\nThe drafts are plain files in {folder / 'Maildir' / '.Drafts' / 'cur'}.")
    out.print(f"Run it again any time: followupd --config {cfg} run --once")


@main.command()
@pass_runtime
@friendly
def check(rt: Runtime) -> None:
    """Validate the config and templates and check that every account is reachable."""
    config = rt.config
    problems: list[str] = []
    out.print(f"config {config.path}: OK")
    problems += [f"template: {p}" for p in rt.renderer().check()]
    if not problems:
        out.print("templates: OK (rendered with sample data)")
    from daemon.writing.notelang import highlight_warnings

    languages = {a.name: a.language for a in config.accounts}
    for warning in highlight_warnings(config.candidate.highlights, languages):
        out.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    try:
        paths.state_directory(config.daemon.state_dir)
    except FollowupdError as err:  # the accounts and the database live there: nothing to check
        problems.append(str(err))
    else:
        problems += _check_accounts_and_store(rt)
        _warn_about_fit(rt)
    if problems:
        for problem in problems:
            err_console.print(f"problem: {problem}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    out.print("[green]all good[/]")


def _check_accounts_and_store(rt: Runtime) -> list[str]:
    """``check`` for what lives in the state folder: each account's connection, the database."""
    from sqlalchemy import select

    from daemon.running.accounts import connect
    from daemon.store.models import AccountState

    config = rt.config
    problems: list[str] = []
    clock = SystemClock()
    for account in config.accounts:
        connection = connect(config, account, clock)
        if connection.error is not None:
            problems.append(f"account {account.name}: {connection.error}")
            continue
        for side, thing in (("calendar", connection.calendar), ("mailbox", connection.mailbox)):
            try:
                out.print(f"account {account.name} {side}: {thing.check()}", highlight=False)  # type: ignore[union-attr]
            except FollowupdError as err:
                problems.append(f"account {account.name} {side}: {err}")
    try:
        sessions = rt.sessions()
        out.print("database: OK")
        with sessions() as session:
            for state in session.scalars(select(AccountState)):
                if state.status == "needs_reauth":
                    problems.append(
                        f"account {state.name}: needs re-authorization: run {state.fix}"
                    )
    except FollowupdError as err:
        problems.append(str(err))
    return problems


def _warn_about_fit(rt: Runtime) -> None:
    """A warning, not a problem: drafts without fit text are still good to send."""
    from sqlalchemy import func, select

    from daemon.store.models import Interview
    from daemon.writing.fit import fit_warning

    with_fit = 0
    if not any(h.strip() for h in rt.config.candidate.highlights):
        try:
            with rt.sessions()() as session:
                with_fit = (
                    session.scalar(
                        select(func.count())
                        .select_from(Interview)
                        .where(Interview.fit.is_not(None))
                    )
                    or 0
                )
        except FollowupdError:
            pass  # the database problem is reported by the store check
    warning = fit_warning(rt.config.candidate.highlights, with_fit)
    if warning:
        from rich.markup import escape

        out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


def _run_once(rt: Runtime, clock: Clock) -> None:
    from daemon.report import summarize_run
    from daemon.running.sharing import InstanceLock

    config = rt.config
    with InstanceLock(config.daemon.state_dir):
        engine = rt.engine(clock)
        before = clock.now()
        engine.poll()
        engine.run_due()
        with engine.sessions() as session:
            summarize_run(out, session, config, before)


@main.command()
@click.option("--once", is_flag=True, help="One poll plus all due work, then exit.")
@click.option(
    "--now",
    "now_text",
    metavar="ISO-TIME",
    help="With --once: pretend it is this time (testing, what-if).",
)
@pass_runtime
@friendly
def run(rt: Runtime, once: bool, now_text: str | None) -> None:
    """Run the daemon in the foreground (systemd runs exactly this)."""
    clock: Clock = SystemClock()
    if now_text:
        if not once:
            raise FollowupdError("--now only works together with --once")
        clock = FrozenClock(_parse_time(now_text))
    if once:
        _run_once(rt, clock)
        return
    from daemon.running.reload import Reloader
    from daemon.running.service import Service
    from daemon.running.sharing import InstanceLock

    config = rt.config
    with InstanceLock(config.daemon.state_dir):
        reloader = Reloader(rt.config_path, config, clock, rt.verbose)  # for SIGHUP
        Service(rt.engine(clock), config.daemon.poll_interval, reloader).run()


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


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include finished and cancelled follow-ups.")
@pass_runtime
@friendly
def status(rt: Runtime, show_all: bool) -> None:
    """Interviews, interviewers and follow-ups with their state and due time."""
    from daemon.report import print_status

    with rt.sessions()() as session:
        print_status(out, session, rt.config, SystemClock().now(), show_all=show_all)


def _interview(session: Any, interview_id: int) -> Interview:
    from daemon.store.models import Interview

    interview = session.get(Interview, interview_id)
    if interview is None:
        raise FollowupdError(f"no interview with id {interview_id} (see 'followupd status')")
    return interview


@main.command()
@click.argument("interview_id", type=int)
@pass_runtime
@friendly
def preview(rt: Runtime, interview_id: int) -> None:
    """Show the drafts of an interview as they would be created (creates nothing)."""
    from daemon.drafter import Drafter, context_for, language_for
    from daemon.explain import draft_remarks, reasons
    from daemon.planning.basis import is_waiting
    from daemon.planning.followups import waiting_reason
    from daemon.writing import phrases

    config = rt.config
    renderer = rt.renderer()
    with rt.sessions()() as session:
        interview = _interview(session, interview_id)
        account = config.account(interview.account)
        drafter = Drafter(config, account, None, renderer)  # type: ignore[arg-type]
        language = language_for(interview, account)
        why = (
            "set for this interview; 'note ID --language account' returns to the account's"
            if interview.language == language
            else f"the account's (change it with 'followupd note {interview_id} --language')"
        )
        out.print(f"Language: {phrases.get(language).name} ({language}), {why}", markup=False,
                  highlight=False)  # fmt: skip
        if not interview.followups:
            out.print("This interview has no follow-ups.")
        for fu in interview.followups:
            request = drafter.request(session, fu)
            out.rule(
                f"{fu.kind} #{fu.seq} to {fu.interviewer.email} — {fu.state}, due {fu.due_at:%Y-%m-%d %H:%M} UTC"
            )
            if is_waiting(fu):  # not drafted until something was sent: say so, and why
                out.print(waiting_reason(config, fu), markup=False, highlight=False)
            out.print(f"Subject: {request.subject}", markup=False, highlight=False)
            out.print(
                f"To: {', '.join(a.email for a in request.to)}", markup=False, highlight=False
            )
            if request.reply_to:
                out.print(
                    f"In-Reply-To: {request.reply_to.message_id}", markup=False, highlight=False
                )
            out.print()
            out.print(request.text, markup=False, highlight=False)
            ctx = context_for(config, fu, account)
            _print_list("Why", reasons(config, fu, ctx))
            _print_list("Check before sending", draft_remarks(config, fu, ctx))


def _print_list(title: str, lines: list[str]) -> None:
    """A titled list beside a draft in ``preview``; nothing when it is empty."""
    if lines:
        out.print(f"{title}:", highlight=False)
        for line in lines:
            out.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)


ACCOUNT_LANGUAGE = "account"  # `note ID --language account`: back to the account's language


@main.command()
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
) -> None:
    """Add what was discussed (used in the drafts), set the main contact or a decision date,
    say how you fit the role, correct the company and role the drafts name, or set the drafts'
    language."""
    from daemon.planning.followups import FollowUpPlanner
    from daemon.store.models import State
    from daemon.writing import phrases

    if language is not None and language not in (*phrases.codes(), ACCOUNT_LANGUAGE):
        raise FollowupdError(
            f"--language: expected one of {', '.join(phrases.codes())} (the folders of "
            f"daemon/writing/languages/), or '{ACCOUNT_LANGUAGE}' for the account's language; "
            f"got {language!r}"
        )
    now = SystemClock().now()
    with rt.sessions()() as session:
        interview = _interview(session, interview_id)
        people = {p.email: p for p in interview.interviewers}
        for address in filter(None, (about, contact)):
            if address.lower() not in people:
                raise FollowupdError(
                    f"{address} is not an interviewer of interview {interview_id} (interviewers: {', '.join(people) or 'none'})"
                )
        if text:
            entry = "note: " + " ".join(text)
            if about:
                person = people[about.lower()]
                person.notes = [*person.notes, entry]
            else:
                interview.notes = [*interview.notes, entry]
        if contact:
            interview.main_contact = contact.lower()
        if decision_by:
            try:
                interview.decision_expected = date.fromisoformat(decision_by)
            except ValueError:
                raise FollowupdError(
                    f"--decision-by: expected a date like 2026-12-24, got {decision_by!r}"
                ) from None
        if max_interviewers:
            interview.max_interviewers = max_interviewers
        if language is not None:
            interview.language = None if language == ACCOUNT_LANGUAGE else language
        for column, value in (("fit", fit), ("company_override", company), ("role_override", role)):
            if value is not None:
                setattr(interview, column, " ".join(value.split()) or None)
        if text and not (contact or decision_by or max_interviewers):
            # A note may give the decision date ("decision: end of month"): the pending
            # inquiry waits until one business day after it, as with --decision-by.
            planner = FollowUpPlanner(rt.config, rt.config.account(interview.account))
            planner.reschedule_inquiries(session, interview, now, "a note gave a decision date")
        moved = 0
        if contact or decision_by or max_interviewers:
            planner = FollowUpPlanner(rt.config, rt.config.account(interview.account))
            if contact:
                moved = planner.move_inquiries(session, interview, people[contact.lower()], now)
            for fu in interview.followups:
                if fu.kind == "status_inquiry" and fu.state == State.SCHEDULED:
                    fu.due_at = planner.due_time(session, interview, fu)
            session.flush()
            planner.plan(session, interview, now)
        interview.updated_at = now
        session.commit()
    if contact:
        where = (
            f"{moved} status inquiry moved to {contact.lower()}"
            if moved
            else (f"status inquiries will go to {contact.lower()}")
        )
        out.print(f"Saved; {where}.")
    else:
        out.print("Saved.")


@main.command()
@click.argument("interview_id", type=int)
@click.option("--reason", default="skipped by you", help="Why (shown in status).")
@pass_runtime
@friendly
def skip(rt: Runtime, interview_id: int, reason: str) -> None:
    """Never draft anything (more) for this interview."""
    from daemon.store.models import OPEN_STATES, State
    from daemon.store.repository import transition

    now = SystemClock().now()
    with rt.sessions()() as session:
        interview = _interview(session, interview_id)
        if interview.status == "skipped":
            out.print(
                f"Interview {interview_id} is already skipped ({interview.reason}); "
                f"'followupd unskip {interview_id}' undoes it."
            )
            return
        count = 0
        for fu in interview.followups:
            if fu.state in OPEN_STATES:
                transition(session, fu, State.SKIPPED, reason, now)
                count += 1
        interview.status, interview.reason, interview.updated_at = "skipped", reason, now
        session.commit()
    out.print(
        f"Skipped {count} pending follow-up(s) of interview {interview_id}; "
        f"'followupd unskip {interview_id}' undoes it."
    )


@main.command()
@click.argument("interview_id", type=int)
@pass_runtime
@friendly
def unskip(rt: Runtime, interview_id: int) -> None:
    """Undo 'skip': what it stopped is planned again, and drafted if still in time."""
    from daemon.drafter import skip_reason
    from daemon.planning.followups import FollowUpPlanner
    from daemon.store.models import State
    from daemon.store.repository import transition

    now = SystemClock().now()
    with rt.sessions()() as session:
        interview = _interview(session, interview_id)
        if interview.status != "skipped":
            out.print(f"Interview {interview_id} is not skipped ({interview.status}).")
            return
        skipped_by_you = interview.reason
        interview.status, interview.reason, interview.updated_at = "active", None, now
        planner = FollowUpPlanner(rt.config, rt.config.account(interview.account))
        restored, late = 0, []
        for fu in interview.followups:
            if fu.state != State.SKIPPED or fu.reason != skipped_by_you:
                continue  # skipped for a reason of its own (too late, ...): that still holds
            fu.due_at = planner.due_time(session, interview, fu)
            transition(session, fu, State.SCHEDULED, f"unskipped, due {fu.due_at.isoformat()}", now)
            restored += 1
            why = skip_reason(rt.config, fu, now)
            if why is not None:
                late.append(f"{fu.kind.replace('_', '-')} to {fu.interviewer.email}: {why[1]}")
        session.flush()
        planner.plan(session, interview, now)
        session.commit()
    out.print(f"Restored {restored} follow-up(s) of interview {interview_id}.")
    for line in late:
        out.print(f"  not drafted after all: {line}", markup=False, highlight=False, soft_wrap=True)


@main.command()
@click.argument("account_name")
@pass_runtime
@friendly
def auth(rt: Runtime, account_name: str) -> None:
    """Authorize followupd for an account (Google: browser; Microsoft: device code)."""
    from daemon.registry import provider
    from daemon.running.accounts import context
    from daemon.store.repository import account_state

    config = rt.config
    account = config.account(account_name)
    ctx = context(config, account, SystemClock())
    done: set[str] = set()
    for section in (account.calendar, account.mailbox):
        if section.provider in done:
            continue
        done.add(section.provider)
        provider(section.provider).authorize(ctx, account.options_for(section.provider), out.print)
    with rt.sessions()() as session:
        state = account_state(session, account_name)
        if state.status == "needs_reauth":
            state.status, state.fix = "new", None
        session.commit()
    out.print(f"Account {account_name} is authorized. Check with: followupd check")


if __name__ == "__main__":  # pragma: no cover
    main()
