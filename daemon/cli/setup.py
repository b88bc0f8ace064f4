"""Getting started and staying connected: ``init``, ``demo``, ``check``, ``auth`` and
``notify``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from daemon import paths
from daemon.cli import console
from daemon.cli.app import Runtime, friendly, main, pass_runtime
from daemon.cli.service import run_once
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.errors import ConfigError, FollowupdError
from daemon.worlderrors import world_error

if TYPE_CHECKING:
    from daemon.output.checks import Finding


@main.command(short_help="Write a starter config (and optionally a demo).")
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
    """Write a starter config (and optionally a self-contained demo).

    \b
    Examples:
      followupd init                      then edit the config it names
      followupd --config work.toml init   a config of another name
      followupd init --demo ~/fu-demo     a demo calendar and Maildir to try
    """
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


@main.command("demo", short_help="Try followupd on a demo calendar and Maildir.")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False), default="followupd-demo"
)
@friendly
def demo_cmd(folder: Path) -> None:
    """Create a demo (calendar of interviews + Maildir), run once, and show what happened.

    \b
    Examples:
      followupd demo                  into ./followupd-demo
      followupd demo /tmp/fu-demo
      followupd --config /tmp/fu-demo/config.toml status
    """
    from daemon import demo
    from daemon.output.tables import print_status

    cfg = demo.create(folder)
    console.out.print(f"[bold]Demo set up in {folder}[/] (config: {cfg})\n")
    rt = Runtime(cfg)
    run_once(rt, SystemClock())
    console.out.print()
    with rt.sessions()() as session:
        print_status(console.out, session, rt.config, SystemClock().now(), True, console.plain)
    console.out.print(f"\nThe drafts are plain files in {folder / 'Maildir' / '.Drafts' / 'cur'}.")
    console.out.print(f"Run it again any time: followupd --config {cfg} run --once")


@main.command(short_help="Check the config, templates and accounts; writes nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (see docs/json.md).")
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on problems.")
@pass_runtime
@friendly
def check(rt: Runtime, as_json: bool, strict: bool) -> None:
    """Validate the config and templates and check that every account is reachable.

    Exit status: 0 when nothing is wrong (warnings allowed, unless --strict), 1 on any
    problem, 2 when the config cannot be read.

    \b
    Examples:
      followupd check
      followupd check --json | jq '.checks[] | select(.level != "ok")'
      followupd --config ~/fu-demo/config.toml check --strict
    """
    from daemon.output.checks import failed, print_findings

    try:
        findings = _findings(rt)
    except ConfigError as err:
        if not as_json:
            raise
        _config_unreadable(rt, err)
    if as_json:
        from daemon.output import as_json as documents

        tz = rt.config.daemon.timezone
        document = documents.check_document(findings, tz, SystemClock().now(), strict)
        console.out.file.write(documents.dumps(document) + "\n")
    else:
        print_findings(console.out, console.err, findings, strict)
    if failed(findings, strict):
        sys.exit(1)


def _config_unreadable(rt: Runtime, err: ConfigError) -> NoReturn:
    """``check --json`` on a config that cannot be read: its problems as the document's
    errors (times in the system's zone: the configured one is not known), exit status 2."""
    from daemon.output import as_json as documents
    from daemon.output.checks import ERROR, Finding

    where = str(rt.config_path or paths.default_config_file())
    findings = [Finding("config", where, ERROR, problem) for problem in err.problems]
    tz = paths.system_timezone()
    document = documents.check_document(findings, tz, SystemClock().now())
    console.out.file.write(documents.dumps(document) + "\n")
    sys.exit(2)


def _findings(rt: Runtime) -> list[Finding]:
    """Everything ``check`` looks at, in the order it says it."""
    from daemon.output.checks import ERROR, OK, WARNING, Finding
    from daemon.writing.notelang import highlight_warnings

    config = rt.config
    where = str(config.path)
    left = placeholders(config)
    said = f"read; {len(left)} placeholder(s) of followupd init left" if left else "OK"
    findings = [Finding("config", where, OK, f"config {where}: {said}")]
    for problem in left:  # "config.toml: [candidate].name: still 'Your Name', ..."
        key = problem.split(": ", 1)[1].split(": still ", 1)[0]
        findings.append(Finding("placeholder", key, ERROR, problem, f"edit {config.path}: {key}"))
    template_problems = rt.renderer().check()
    findings += [
        Finding("template", "templates", ERROR, f"template: {p}") for p in template_problems
    ]
    if not template_problems:
        findings.append(
            Finding("template", "templates", OK, "templates: OK (rendered with sample data)")
        )
    languages = {a.name: a.language for a in config.accounts}
    findings += [
        Finding("highlights", "[candidate].highlights", WARNING, warning)
        for warning in highlight_warnings(config.candidate.highlights, languages)
    ]
    try:
        paths.state_directory(config.daemon.state_dir)
    except FollowupdError as err:  # the accounts and the database live there: nothing to check
        findings.append(Finding.said("state_dir", str(config.daemon.state_dir), ERROR, str(err)))
    else:
        findings += _check_accounts_and_store(rt)
        findings += _warn_about_fit(rt)
    return findings + _report_notifiers(rt)


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


def _check_accounts_and_store(rt: Runtime) -> list[Finding]:
    """``check`` for what lives in the state folder: each account's connection, the database."""
    from sqlalchemy import select

    from daemon.output.checks import ERROR, OK, Finding
    from daemon.running.accounts import connect
    from daemon.store.models import AccountState

    config = rt.config
    found: list[Finding] = []
    clock = SystemClock()
    for account in config.accounts:
        connection = connect(config, account, clock)
        if connection.error is not None:
            message = f"account {account.name}: {connection.error}"
            found.append(Finding.said("account", account.name, ERROR, message))
            continue
        for side, thing in (("calendar", connection.calendar), ("mailbox", connection.mailbox)):
            subject = f"{account.name} {side}"
            try:
                said = thing.check()  # type: ignore[union-attr]
            except FollowupdError as err:
                found.append(Finding.said("account", subject, ERROR, f"account {subject}: {err}"))
            else:
                found.append(Finding("account", subject, OK, f"account {subject}: {said}"))
    try:
        sessions = rt.sessions()
        found.append(Finding("database", "database", OK, "database: OK"))
        with sessions() as session:
            for state in session.scalars(select(AccountState)):
                if state.status == "needs_reauth":
                    message = f"account {state.name}: needs re-authorization: run {state.fix}"
                    found.append(Finding("account", state.name, ERROR, message, state.fix))
    except FollowupdError as err:
        found.append(Finding.said("database", "database", ERROR, str(err)))
    return found


def _warn_about_fit(rt: Runtime) -> list[Finding]:
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
    if not warning:
        return []
    from daemon.output.checks import WARNING, Finding

    return [Finding("fit", "[candidate].highlights", WARNING, warning)]


def _report_notifiers(rt: Runtime) -> list[Finding]:
    """Each [notify] notifier, available or why not. Warnings only: the daemon works without
    them, and one config may serve a desktop (with a session bus) and a server (without)."""
    from daemon.notify.fanout import notifiers_for
    from daemon.notify.notifiers import NotifyError
    from daemon.output.checks import OK, WARNING, Finding

    settings = rt.config.notify
    notifiers = notifiers_for(settings)
    found: list[Finding] = []
    if not notifiers:
        message = "notify: nothing configured (see [notify] in config.example.toml)"
        found.append(Finding("notify", "", OK, message))
    for notifier in notifiers:
        problem = notifier.problem()
        if problem is None:
            try:
                said = notifier.check(settings.timeout)
            except NotifyError as err:
                problem = str(err)
        if problem is None:
            found.append(Finding("notify", notifier.name, OK, f"notify {notifier.name}: {said}"))
        else:
            message = f"notify {notifier.name}: not available: {problem}"
            found.append(Finding("notify", notifier.name, WARNING, message))
    return found


@main.command(short_help="Show the notifiers; --test sends a test notification.")
@click.option("--test", "send_test", is_flag=True, help="Send a test notification through each.")
@pass_runtime
@friendly
def notify(rt: Runtime, send_test: bool) -> None:
    """Show the [notify] notifiers; with --test, send a test notification through each.

    \b
    Examples:
      followupd notify
      followupd notify --test
    """
    from daemon.notify import events
    from daemon.notify.fanout import Fanout

    for finding in _report_notifiers(rt):
        warning = "warning: " if finding.level != "ok" else ""
        console.out.print(warning + finding.message, markup=False, highlight=False, soft_wrap=True)
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


@main.command(short_help="Sign in an account (Google: browser; Microsoft: code).")
@click.argument("account_name")
@pass_runtime
@friendly
def auth(rt: Runtime, account_name: str) -> None:
    """Authorize followupd for an account (Google: browser; Microsoft: device code).

    ACCOUNT_NAME is the account's [[accounts]].name in the config.

    \b
    Examples:
      followupd auth work
      followupd --config ~/other.toml auth personal
    """
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
