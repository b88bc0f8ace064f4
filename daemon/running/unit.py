"""The systemd unit for *this* followupd: the program that is running, the config it was given,
and a sandbox that lets it write exactly where the config says it writes.

The units shipped in ``systemd/`` stay the reference (tests/test_service_unit.py requires every
directive of theirs here too, with the same sandbox values): a unit copied from there names
``%h/.local/bin/followupd`` and the state folder only, so it breaks for any other install method
and for a Maildir the daemon must write drafts into. This module fills in what only the running
followupd knows. Writing the file and talking to systemctl is :mod:`daemon.cli.unit`'s job.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from daemon import paths
from daemon.config import Config
from daemon.errors import FollowupdError
from daemon.registry import UnknownProvider, provider
from daemon.resources import resource

USER_UNIT = "followupd.service"


class UnitError(FollowupdError):
    """The unit cannot be made as asked (no such user, not root for a system unit)."""


@dataclass(frozen=True)
class Target:
    """Where a unit goes and which manager runs it: the user's own, or the system's for ``user``."""

    system_user: str | None = None  # None: the invoking user's own manager (systemctl --user)

    @property
    def name(self) -> str:
        return f"followupd@{self.system_user}.service" if self.system_user else USER_UNIT

    @property
    def path(self) -> Path:
        if self.system_user:
            return Path("/etc/systemd/system") / self.name
        # systemd's user search path starts at $XDG_CONFIG_HOME/systemd/user, like ours.
        return paths.default_config_file().parent.parent / "systemd" / "user" / self.name

    @property
    def systemctl(self) -> list[str]:
        """The systemctl arguments that address this unit's manager."""
        return [] if self.system_user else ["--user"]


def system_target(user: str) -> Target:
    """A system unit running as ``user``, who must exist (the unit's ``User=``)."""
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise UnitError(f"--system {user}: no such user on this machine") from None
    return Target(system_user=user)


def running_program(argv0: str | None = None, executable: str | None = None) -> list[str]:
    """The command that starts this followupd again, as absolute paths.

    A console script (pip, pipx, a venv, ``--user``) is run by its path: ``sys.argv[0]`` is
    that path, kept unresolved because pipx keeps ``~/.local/bin/followupd`` pointing at its
    venv across upgrades. Run as ``python -m daemon``, the console script beside the interpreter
    is used when there is one, else the interpreter itself with ``-m daemon``.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    script = Path(argv0)
    if script.name == "followupd" and script.is_file():
        return [os.path.abspath(script)]
    beside = shutil.which("followupd", path=str(Path(executable).parent))
    if beside:
        return [os.path.abspath(beside)]
    return [os.path.abspath(executable), "-m", "daemon"]


@dataclass(frozen=True)
class Sandbox:
    """The local paths the daemon reads and writes, from the config."""

    state_dir: Path
    writes: tuple[Path, ...]  # mailbox folders drafts are written into
    reads: tuple[Path, ...]  # calendar files and folders (read only: followupd never writes them)


def sandbox(config: Config) -> Sandbox:
    """What the config makes followupd touch on this machine.

    A mailbox served from a local folder names it (its ``Resource.local_dir``, where drafts and
    the mailbox lock are written). Calendars are only read, so they stay read-only: every path
    option of a calendar provider is listed for reading, which ``ProtectHome=read-only`` already
    allows; making them writable would only let a compromised daemon rewrite them.
    """
    writes: list[Path] = []
    reads: list[Path] = []
    for account in config.accounts:
        local = resource(account, "mailbox").local_dir
        if local is not None:
            writes.append(Path(local).absolute())
        reads.extend(_path_options(account.calendar.provider, account.calendar.options))
    if config.daemon.accounts_dir is not None:  # read again before every poll
        reads.append(config.daemon.accounts_dir.absolute())
    database = _sqlite_folder(config.daemon.database)
    state_dir = config.daemon.state_dir.absolute()
    if database is not None and not database.is_relative_to(state_dir):
        writes.append(database)
    return Sandbox(
        state_dir=state_dir,
        writes=tuple(dict.fromkeys(writes)),
        reads=tuple(p for p in dict.fromkeys(reads) if p not in writes),
    )


def _sqlite_folder(url: str) -> Path | None:
    """The folder of an SQLite database outside the state folder (SQLite writes its journal
    beside the file); None for a server database."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # an invalid URL was already reported by config.load
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).absolute().parent


def _path_options(provider_name: str, options: dict[str, object]) -> list[Path]:
    from daemon import options as o

    try:
        schema = getattr(provider(provider_name), "calendar_options", None) or {}
    except UnknownProvider:
        return []
    return [
        Path(options[key]).absolute()  # type: ignore[arg-type]
        for key, option in schema.items()
        if option.convert is o.path and options.get(key) is not None
    ]


def quote(path: Path, missing_ok: bool = False) -> str:
    """``path`` as one word of a unit file: specifiers (``%``) escaped, quoted if it has spaces;
    ``-`` first when it may not exist (systemd then skips it instead of failing the start)."""
    text = str(path).replace("%", "%%")
    if any(c.isspace() or c in "\"'\\" for c in text):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return ("-" if missing_ok else "") + text


def _paths_line(key: str, found: list[Path], optional: bool) -> list[str]:
    """``key=`` and ``found``; with ``optional`` a missing path is skipped by systemd rather
    than failing the start (a Maildir created later, a calendar that comes and goes)."""
    words = [quote(p, missing_ok=optional and not p.exists()) for p in found]
    return [f"{key}={' '.join(words)}"] if words else []


def _command(words: list[str]) -> str:
    return " ".join(quote(Path(w)) for w in words)


COMMON_HEAD = """\
[Unit]
Description={description}
# A broken setup (bad config, revoked credentials) should not restart forever.
StartLimitIntervalSec=30min
StartLimitBurst=5
"""

SERVICE_HEAD = """\
[Service]
Type=notify
NotifyAccess=main
ExecStart={exec_start}
# `systemctl reload` re-reads the config (followupd checks it first).
ExecReload=/bin/kill -HUP $MAINPID
"""

# See systemd/followupd.service for why each value is what it is.
TIMING = """\
WatchdogSec=5min
Restart=on-failure
RestartSec=30s
# followupd exits 2 on an invalid configuration or command line: restarting cannot fix that.
RestartPreventExitStatus=2
TimeoutStartSec=2min
TimeoutStopSec=15
"""

SYSCALLS = """\
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
"""

USER_SANDBOX = """\
# A user manager builds mount namespaces only inside a user namespace of its own: PrivateUsers=
# makes the Protect*= lines below take effect (systemd/followupd.service explains each).
PrivateUsers=yes
PrivateMounts=yes
ProtectSystem=strict
ProtectHome=read-only
{read_write}PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectClock=yes
ProtectHostname=yes
CapabilityBoundingSet=
AmbientCapabilities=
KeyringMode=private
NoNewPrivileges=yes
"""

SYSTEM_SANDBOX = """\
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
PrivateUsers=yes
ProtectSystem=strict
ProtectHome={protect_home}
{read_write}PrivateTmp=yes
PrivateDevices=yes
DevicePolicy=closed
PrivateIPC=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
KeyringMode=private
PrivateMounts=yes
"""

HOMES = (Path("/home"), Path("/root"), Path("/run/user"))


def render(target: Target, config: Config, program: list[str]) -> str:
    """The unit text for ``target`` running ``program`` with ``config``."""
    box = sandbox(config)
    scope = f"--system {target.system_user}" if target.system_user else "--user"
    exec_start = f"{_command(program)} --config {quote(config.path.absolute())} run"
    header = (
        f"# Written by `followupd service install {scope}` for this\n"
        "# followupd and its config; `followupd service install` again after moving either.\n"
        "# Local changes belong in a drop-in (systemctl edit), since a new install overwrites this.\n\n"
    )
    if target.system_user:
        return header + _system(target.system_user, config, box, exec_start, program)
    return header + _user(box, exec_start, config)


def _state_home(config: Config) -> str:
    """An ``Environment=`` line passing on ``$XDG_STATE_HOME`` when the default state folder
    depends on it: the user manager's environment need not have it, and a daemon that looked
    in ~/.local/state would find neither the database the shell's commands use nor a folder
    its sandbox lets it write."""
    value = os.environ.get("XDG_STATE_HOME", "")
    if not os.path.isabs(value) or config.daemon.state_dir != paths.default_state_dir():
        return ""
    value = value.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'Environment="XDG_STATE_HOME={value}"\n'


def _user(box: Sandbox, exec_start: str, config: Config) -> str:
    # The state folder is made by ExecStartPre= before the daemon's sandbox is built: required.
    # So is %t/followupd ($XDG_RUNTIME_DIR/followupd), where the locks of remote mailboxes are
    # shared with followupd commands run in a shell (daemon.running.sharing.runtime_dir):
    # ProtectSystem=strict makes /run read-only too.
    read_write = [f"ReadWritePaths={quote(box.state_dir)} %t/followupd"]
    read_write += _paths_line("ReadWritePaths", list(box.writes), optional=True)
    read_write += _paths_line("ReadOnlyPaths", list(box.reads), optional=True)
    return "\n".join(
        [
            COMMON_HEAD.format(description=_DESCRIPTION),
            SERVICE_HEAD.format(exec_start=exec_start)
            + "# ReadWritePaths= needs the folder to exist; '+' runs this outside the sandbox.\n"
            + f"ExecStartPre=+mkdir -p -m 0700 {quote(box.state_dir)} %t/followupd\n"
            + "UMask=0077\n"
            + _state_home(config),
            TIMING,
            USER_SANDBOX.format(read_write="".join(line + "\n" for line in read_write)) + SYSCALLS,
            "[Install]\nWantedBy=default.target\n",
        ]
    )


def _system(user: str, config: Config, box: Sandbox, exec_start: str, program: list[str]) -> str:
    # The state goes to systemd's StateDirectory= unless the config names one of its own.
    own_state = config.daemon.state_dir != paths.default_state_dir()
    writes = ([box.state_dir] if own_state else []) + list(box.writes)
    # ProtectHome=yes hides every home, so also the program when pip --user or pipx (not
    # --global) put it in one: then homes stay visible, read-only.
    touched = [*writes, *box.reads, config.path.absolute(), Path(program[0])]
    under_home = any(p.is_relative_to(home) for p in touched for home in HOMES)
    read_write = _paths_line("ReadWritePaths", writes, optional=True)
    read_write += _paths_line("ReadOnlyPaths", list(box.reads), optional=True)
    return "\n".join(
        [
            COMMON_HEAD.format(description=f"{_DESCRIPTION} for {user}").replace(
                "[Unit]\n", "[Unit]\nWants=network-online.target\nAfter=network-online.target\n"
            ),
            SERVICE_HEAD.format(exec_start=exec_start)
            + f"User={user}\nStateDirectory=followupd/{user}\nStateDirectoryMode=0700\n"
            + "UMask=0077\n",
            TIMING,
            SYSTEM_SANDBOX.format(
                protect_home="read-only" if under_home else "yes",
                read_write="".join(line + "\n" for line in read_write),
            )
            + SYSCALLS,
            "[Install]\nWantedBy=multi-user.target\n",
        ]
    )


_DESCRIPTION = "followupd interview follow-up drafter (drafts only, never sends)"


def linger_enabled(user: str) -> bool | None:
    """Does ``user``'s manager outlive their sessions? None when it cannot be told."""
    linger = Path("/var/lib/systemd/linger")
    return (linger / user).exists() if linger.is_dir() else None
