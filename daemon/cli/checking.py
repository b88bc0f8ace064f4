"""``check``: what ``run`` will need, tested without writing anything to a mailbox or a
calendar. Each thing looked at becomes a :class:`daemon.output.checks.Finding`, which both the
lines a person reads and ``--json`` are made of."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import click

from daemon import paths
from daemon.cli import console
from daemon.cli.app import Runtime, friendly, main, pass_runtime
from daemon.clock import SystemClock
from daemon.config import Config
from daemon.errors import ConfigError, FollowupdError

if TYPE_CHECKING:
    from daemon.output.checks import Finding


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
    if config.daemon.accounts_dir is not None:
        folder = config.daemon.accounts_dir
        read = sum(1 for a in config.accounts if a.source is not None)
        message = f"accounts_dir {folder}: {read} account(s), {len(config.skipped)} skipped"
        findings.append(Finding("accounts_dir", str(folder), OK, message))
    if config.daemon.metrics_port is not None:
        import importlib.util

        if importlib.util.find_spec("prometheus_client") is None:  # the service runs without
            message = (
                "metrics: [daemon].metrics_port is set, but prometheus_client is not installed; "
                "expected python3 -m pip install 'followupd[metrics]'"
            )
            findings.append(Finding("metrics", "[daemon].metrics_port", WARNING, message))
    for skipped in config.skipped:  # the file's accounts are not run: each problem is an error
        findings += [
            Finding("account_file", str(skipped.path), ERROR, f"skipped: {problem}")
            for problem in skipped.problems
        ]
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
    return findings + notifier_findings(rt)


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


def notifier_findings(rt: Runtime) -> list[Finding]:
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
