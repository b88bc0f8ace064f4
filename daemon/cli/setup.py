"""Getting started and staying connected: ``init``, ``demo``, ``check``, ``auth`` and
``notify``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from daemon import paths
from daemon.cli import console
from daemon.cli.app import Runtime, friendly, main, pass_runtime
from daemon.cli.service import run_once
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.errors import FollowupdError
from daemon.worlderrors import world_error


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
        console.out.print(
            f"Demo written to {demo_dir}. Try:\n  followupd --config {cfg} run --once\n  followupd --config {cfg} status"
        )
        return
    target = rt.config_path or paths.default_config_file()
    if target.exists() and not force:
        raise FollowupdError(f"{target} exists; use --force to overwrite it")
    # Owner-only like the state: the config may come to hold a push URL with its token.
    try:
        paths.write_private(target, demo.starter_config().encode("utf-8"))
    except OSError as err:
        raise world_error(err, f"{target}", "cannot write the config") from None
    console.out.print(f"Wrote {target}. Edit it, then run: followupd check")


@main.command("demo")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False), default="followupd-demo"
)
@friendly
def demo_cmd(folder: Path) -> None:
    """Create a demo (calendar of interviews + Maildir), run once, and show what happened."""
    from daemon import demo
    from daemon.output.tables import print_status

    cfg = demo.create(folder)
    console.out.print(f"[bold]Demo set up in {folder}[/] (config: {cfg})\n")
    rt = Runtime(cfg, False)
    run_once(rt, SystemClock())
    console.out.print()
    with rt.sessions()() as session:
        print_status(console.out, session, rt.config, SystemClock().now(), True, console.plain)
    console.out.print(f"\nThe drafts are plain files in {folder / 'Maildir' / '.Drafts' / 'cur'}.")
    console.out.print(f"Run it again any time: followupd --config {cfg} run --once")


@main.command()
@pass_runtime
@friendly
def check(rt: Runtime) -> None:
    """Validate the config and templates and check that every account is reachable."""
    config = rt.config
    problems: list[str] = placeholders(config)
    left = f"read; {len(problems)} placeholder(s) of followupd init left" if problems else "OK"
    console.out.print(f"config {config.path}: {left}", highlight=False)
    problems += [f"template: {p}" for p in rt.renderer().check()]
    if not problems:
        console.out.print("templates: OK (rendered with sample data)")
    from daemon.writing.notelang import highlight_warnings

    languages = {a.name: a.language for a in config.accounts}
    for warning in highlight_warnings(config.candidate.highlights, languages):
        console.out.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    try:
        paths.state_directory(config.daemon.state_dir)
    except FollowupdError as err:  # the accounts and the database live there: nothing to check
        problems.append(str(err))
    else:
        problems += _check_accounts_and_store(rt)
        _warn_about_fit(rt)
    _report_notifiers(rt)
    if problems:
        for problem in problems:
            console.err.print(f"problem: {problem}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    console.out.print("[green]all good[/]")


def placeholders(config: Config) -> list[str]:
    """What ``init`` wrote for the user to replace and is still there: drafts signed "Your
    Name" from you@example.com would be wrong in every one, so each is a problem."""
    from daemon.demo import PLACEHOLDER_ADDRESS, PLACEHOLDER_HIGHLIGHT, PLACEHOLDER_NAME

    where = config.path.name
    found: list[str] = []
    if config.candidate.name.strip() == PLACEHOLDER_NAME:
        found.append(
            f"{where}: [candidate].name: still {PLACEHOLDER_NAME!r}, the placeholder of "
            "followupd init; expected your name as the drafts are to be signed"
        )
    if any(h.strip() == PLACEHOLDER_HIGHLIGHT for h in config.candidate.highlights):
        found.append(
            f"{where}: [candidate].highlights: still {PLACEHOLDER_HIGHLIGHT!r}, the placeholder "
            "of followupd init; expected what you are good at, in a few words (or no highlights)"
        )
    for account in config.accounts:
        if PLACEHOLDER_ADDRESS in (a.lower() for a in account.addresses):
            found.append(
                f"{where}: [[accounts]] {account.name!r}: addresses: still "
                f"{PLACEHOLDER_ADDRESS!r}, the placeholder of followupd init; expected your own "
                "address(es) in this account"
            )
    return found


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
                console.out.print(
                    f"account {account.name} {side}: {thing.check()}", highlight=False
                )  # type: ignore[union-attr]
            except FollowupdError as err:
                problems.append(f"account {account.name} {side}: {err}")
    try:
        sessions = rt.sessions()
        console.out.print("database: OK")
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

        console.out.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


def _report_notifiers(rt: Runtime) -> None:
    """Each [notify] notifier, available or why not. Warnings only: the daemon works without
    them, and one config may serve a desktop (with a session bus) and a server (without)."""
    from daemon.notify.fanout import notifiers_for
    from daemon.notify.notifiers import NotifyError

    settings = rt.config.notify
    notifiers = notifiers_for(settings)
    if not notifiers:
        console.out.print(
            "notify: nothing configured (see [notify] in config.example.toml)", markup=False
        )
    for notifier in notifiers:
        problem = notifier.problem()
        if problem is None:
            try:
                said = notifier.check(settings.timeout)
            except NotifyError as err:
                problem = str(err)
        if problem is None:
            console.out.print(f"notify {notifier.name}: {said}", markup=False, highlight=False)
        else:
            console.out.print(
                f"warning: notify {notifier.name}: not available: {problem}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


@main.command()
@click.option("--test", "send_test", is_flag=True, help="Send a test notification through each.")
@pass_runtime
@friendly
def notify(rt: Runtime, send_test: bool) -> None:
    """Show the [notify] notifiers; with --test, send a test notification through each."""
    from daemon.notify import events
    from daemon.notify.fanout import Fanout

    _report_notifiers(rt)
    if not send_test:
        return
    fanout = Fanout.from_settings(rt.config.notify)
    outcomes = fanout.send(events.test())
    if not outcomes:
        raise FollowupdError("no notifier could be used; see the warnings above")
    failed = [o for o in outcomes if o.error is not None]
    for outcome in outcomes:
        said = "sent" if outcome.error is None else f"failed: {outcome.error}"
        console.out.print(f"test via {outcome.notifier}: {said}", markup=False, highlight=False)
    if failed:
        sys.exit(1)


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
        provider(section.provider).authorize(
            ctx, account.options_for(section.provider), console.out.print
        )
    with rt.sessions()() as session:
        state = account_state(session, account_name)
        if state.status == "needs_reauth":
            state.status, state.fix = "new", None
        session.commit()
    console.out.print(f"Account {account_name} is authorized. Check with: followupd check")
