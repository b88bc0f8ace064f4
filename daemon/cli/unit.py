"""``followupd service install|status|uninstall``: followupd as a systemd service.

The unit text comes from :mod:`daemon.running.unit`; this module writes it and asks systemctl
to load, start, show or stop it. systemctl may be missing (a container, CI) or find no user
manager (no login session): then the unit is still written, and the user is told what could
not be done and why, in one line, never as a traceback.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import click

from daemon import paths
from daemon.cli import console
from daemon.cli.app import Runtime, friendly, main, pass_runtime
from daemon.errors import FollowupdError
from daemon.worlderrors import world_error


@dataclass(frozen=True)
class Outcome:
    code: int  # systemctl's exit status; 127 when it could not be run at all
    output: str  # what systemctl printed, or why it could not be run

    @property
    def ok(self) -> bool:
        return self.code == 0


def systemctl(target_args: list[str], *args: str) -> Outcome:
    """Run ``systemctl [--user] args``; a failure is a value, never an exception."""
    exe = shutil.which("systemctl")
    if exe is None:
        return Outcome(127, "systemctl not found (is this a systemd system?)")
    try:
        done = subprocess.run(
            [exe, *target_args, *args], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return Outcome(127, f"systemctl could not be run: {err}")
    output = "\n".join(s.strip() for s in (done.stdout, done.stderr) if s.strip())
    return Outcome(done.returncode, output or f"systemctl exited with {done.returncode}")


def _say(text: str) -> None:
    console.out.print(text, markup=False, highlight=False, soft_wrap=True)


def _warn(text: str) -> None:
    console.err.print(text, markup=False, highlight=False, soft_wrap=True)


def _target(user: bool, system_user: str | None):  # -> daemon.running.unit.Target
    from daemon.running import unit

    if user and system_user:
        raise FollowupdError("--user and --system USER: choose one")
    return unit.system_target(system_user) if system_user else unit.Target()


def _scope_options(fn):  # type: ignore[no-untyped-def]
    fn = click.option(
        "--system",
        "system_user",
        metavar="USER",
        help="A system service (followupd@USER) running as USER; needs root.",
    )(fn)
    return click.option(
        "--user", "user", is_flag=True, help="Your own user service (the default)."
    )(fn)


@main.group(short_help="Install, show or remove the systemd service.")
def service() -> None:
    """Install, show or remove followupd as a systemd service.

    \b
    Examples:
      followupd service install --now     your user service, started
      followupd service status
      followupd service uninstall         your state, tokens and drafts stay
    """


@service.command(short_help="Write the unit and reload systemd; --now starts it.")
@_scope_options
@click.option("--now", "start", is_flag=True, help="Also enable and start it.")
@pass_runtime
@friendly
def install(rt: Runtime, user: bool, system_user: str | None, start: bool) -> None:
    """Write the unit for this followupd and its config, and reload systemd.

    \b
    Examples:
      followupd service install --user --now
      sudo followupd --config /etc/followupd/alice.toml \\
          service install --system alice --now
    """
    from daemon.running import unit

    target = _target(user, system_user)
    if target.system_user and os.geteuid() != 0:
        raise FollowupdError(
            f"--system {target.system_user}: writing {target.path} needs root; run it with sudo"
        )
    text = unit.render(target, rt.config, unit.running_program())
    try:
        target.path.parent.mkdir(parents=True, exist_ok=True)
        target.path.write_text(text, encoding="utf-8")
        # 0644 like systemd's own units: it names paths, never a secret, and a 0600 unit
        # written under followupd's umask could not be read by `systemd-analyze` as another user.
        target.path.chmod(0o644)
    except OSError as err:
        raise world_error(err, f"{target.path}", "cannot write the unit") from None
    _say(f"wrote {target.path}")
    box = unit.sandbox(rt.config)
    for missing in (p for p in box.writes if not p.exists()):
        _warn(
            f"warning: {missing} does not exist yet: the sandbox skips it, so the service cannot "
            "write there; create it and run this again"
        )
    manager = " ".join(["systemctl", *target.systemctl])
    reloaded = systemctl(target.systemctl, "daemon-reload")
    if not reloaded.ok:
        _warn(f"not loaded: {manager} daemon-reload failed: {reloaded.output}")
        _warn(
            "the unit is written; once systemd runs for you, load and start it with: "
            f"{manager} daemon-reload && {manager} enable --now {target.name}"
        )
        if not target.system_user:
            _linger_advice()
        sys.exit(1 if start else 0)
    if start:
        # enable, then restart rather than `enable --now`: a service already running (an
        # install again after a config change) must pick up the new unit too; restart starts a
        # stopped one. A step cut short by the restart is redone safely (drafts have keys).
        for step in (["enable"], ["restart"]):
            started = systemctl(target.systemctl, *step, target.name)
            if not started.ok:
                _warn(f"not started: {manager} {step[0]} {target.name} failed: {started.output}")
                sys.exit(1)
        journal = " ".join(["journalctl", *target.systemctl, "-u", target.name])
        _say(f"enabled and started {target.name}; its log: {journal}")
    else:
        _say(f"loaded; to start it now and at every boot: {manager} enable --now {target.name}")
    if not target.system_user:
        _linger_advice()


def _linger_advice() -> None:
    from daemon.running.unit import linger_enabled

    try:
        me = getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment nor in passwd
        me = "$USER"
    if linger_enabled(me):
        _say(f"lingering is on for {me}: the service keeps running while you are logged out")
    else:
        _say(
            "a user service stops when you log out; to keep it running: "
            f"loginctl enable-linger {me}"
        )


@service.command(short_help="Show the service as systemd sees it.")
@_scope_options
@friendly
def status(user: bool, system_user: str | None) -> None:
    """Show the service as systemd sees it (systemctl status).

    \b
    Examples:
      followupd service status
      followupd service status --system alice
    """
    target = _target(user, system_user)
    if not target.path.exists():
        _say(
            f"not installed (no unit at {target.path}); install it with: followupd service install"
        )
        sys.exit(4)  # systemctl's own "no such unit"
    shown = systemctl(target.systemctl, "status", "--no-pager", target.name)
    _say(shown.output)
    sys.exit(shown.code)


@service.command(short_help="Stop and remove the service; your data stays.")
@_scope_options
@pass_runtime
@friendly
def uninstall(rt: Runtime, user: bool, system_user: str | None) -> None:
    """Stop and disable the service and remove its unit; your data stays.

    \b
    Examples:
      followupd service uninstall
      sudo followupd service uninstall --system alice
    """
    target = _target(user, system_user)
    if not target.path.exists():
        _say(f"not installed (no unit at {target.path}); nothing to remove")
    else:
        manager = " ".join(["systemctl", *target.systemctl])
        stopped = systemctl(target.systemctl, "disable", "--now", target.name)
        if not stopped.ok:
            _warn(f"could not stop it: {manager} disable --now {target.name}: {stopped.output}")
        try:
            target.path.unlink()
        except OSError as err:
            raise world_error(err, f"{target.path}", "cannot remove the unit") from None
        _say(f"removed {target.path}")
        reloaded = systemctl(target.systemctl, "daemon-reload")
        if not reloaded.ok:
            _warn(f"{manager} daemon-reload failed: {reloaded.output}")
    _what_is_left(rt)


def _what_is_left(rt: Runtime) -> None:
    """Uninstalling the service deletes nothing of the user's: say what stays and where."""
    _say("left in place (delete them yourself if you want them gone):")
    try:
        config = rt.config
    except FollowupdError as err:
        _say(f"  - the config {rt.config_path or paths.default_config_file()} ({err})")
        _say("  - the state, tokens and drafts it names (followupd cannot read it to say where)")
        return
    _say(f"  - the config {config.path}")
    _say(f"  - the state (database, sign-in tokens): {config.daemon.state_dir}")
    for account in config.accounts:
        _say(f"  - drafts followupd wrote, in the mailbox of account {account.name!r}")
    _say("  - the program itself: pipx uninstall followupd")
