"""Getting started and staying connected: ``init``, ``demo``, ``auth`` and ``notify``
(``check`` is :mod:`daemon.cli.checking`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from daemon import paths
from daemon.cli import console
from daemon.cli.app import Runtime, friendly, main, pass_runtime
from daemon.cli.service import run_once
from daemon.clock import SystemClock
from daemon.errors import FollowupdError
from daemon.worlderrors import world_error

if TYPE_CHECKING:
    pass


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
    from daemon.cli.checking import notifier_findings
    from daemon.notify import events
    from daemon.notify.fanout import Fanout

    for finding in notifier_findings(rt):
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
    from daemon.resources import identity
    from daemon.running.accounts import context
    from daemon.running.identity import claim
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
        claim(session, state, identity(account))  # its tokens follow a rename from now on
        session.commit()
    console.out.print(f"Account {account_name} is authorized. Check with: followupd check")
