"""Where things live by default (XDG base directories), and owner-only file creation.

Secrets and state are created owner-only from the first byte: the file is opened with mode 0600
(and directories 0700), never created wide and narrowed afterwards.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from daemon.errors import FollowupdError
from daemon.worlderrors import folder_of, sandbox_fix, under_systemd

log = logging.getLogger(__name__)

APP = "followupd"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def default_config_file() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP / "config.toml"


def default_state_dir() -> Path:
    # systemd's StateDirectory= sets STATE_DIRECTORY for system units.
    state = os.environ.get("STATE_DIRECTORY")
    if state:
        return Path(state.split(":")[0])
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def system_timezone() -> str:
    """The system's IANA zone name, or UTC when it cannot be told."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz and "/" in tz and not tz.startswith("/"):
        return tz
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    return "UTC"


OWNER_ONLY = 0o077


def owner_only_umask() -> None:
    """Make everything this process creates owner-only (files 0600, folders 0700).

    Drafts, the state database (and SQLite's -wal, -shm and -journal files, which take the
    database file's mode), tokens and locks are created with explicit modes anyway; the umask
    is the net under what a library creates on its own (a token cache, a temporary file) and
    under what the user's shell or a systemd unit without ``UMask=0077`` would leave wide open.
    Set once at start, as daemons do; programs followupd starts (the editor of the note form,
    a notification hook) inherit it, as under the unit's ``UMask=0077``.
    """
    os.umask(OWNER_ONLY)


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent as 0700; return it.

    ``Path.mkdir(parents=True, mode=...)`` gives the mode to the last directory only; the
    parents it creates get 0777 minus the umask, which is 0777 under umask 000. Directories
    that already exist are left as they are.
    """
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by someone else
            folder.mkdir(mode=0o700)
    return path


class StateDirError(FollowupdError):
    """The state folder cannot be used: it is a file, or it cannot be created or written."""


_STATE_FIX = (
    "expected a folder followupd can write to; set [daemon].state_dir in the config to one, or "
    "fix this one"
)


def state_directory(path: Path) -> Path:
    """Create the state folder (0700) if needed and make sure it can be written; return it.

    Everything the daemon keeps (lock, database, tokens) is written there, so a folder that is a
    file or sits on a read-only mount is reported once, as the setting to fix, instead of as an
    ``OSError`` from whichever file happened to be written first.
    """
    where = f"[daemon].state_dir {path}"
    if path.exists() and not path.is_dir():
        raise StateDirError(f"{where}: is a file; {_STATE_FIX}")
    try:
        private_dir(path)
    except OSError as err:
        culprit = f": {err.filename}" if err.filename and err.filename != str(path) else ""
        fix = _state_fix(path, err.errno == errno.EROFS)
        raise StateDirError(f"{where}: cannot create it ({err.strerror}{culprit}); {fix}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        why = _why_not_writable(path)
        raise StateDirError(
            f"{where}: cannot write there ({why}); {_state_fix(path, why.startswith('read-only'))}"
        )
    return path


def _state_fix(path: Path, read_only: bool) -> str:
    """The fix for an unusable state folder: under systemd a read-only one is the sandbox,
    and the unit's ``ReadWritePaths=`` is what to change."""
    if read_only and under_systemd():
        return f"{_STATE_FIX.split(';')[0]}; {sandbox_fix(folder_of(path))}"
    return _STATE_FIX


def _why_not_writable(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    return "permission denied"


def write_private(path: Path, data: bytes) -> os.stat_result:
    """Atomically replace ``path`` with ``data``, owner-only (0600) from creation on.

    Returns the written file's status, taken before it replaced ``path`` (a rename keeps the
    inode, size and mtime): a reader that keeps its own copy knows it by them, even when
    another process replaces the file right after (a ``stat`` after the rename could be of that
    one)."""
    private_dir(path.parent)
    # Per process and thread: two threads replacing one file (an account's poll and the
    # collection of its former mailbox object) must not write into each other's temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            status = os.fstat(fh.fileno())
        os.replace(tmp, path)
        return status
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_private_table(path: Path, section: str, what: str) -> dict[str, dict[str, Any]]:
    """The ``section`` table of an owner-only JSON record a connector keeps in its state
    folder (its drafts, its sent-mail cache): entries that are objects, keyed by string.

    These records are caches, never the source of truth, so a missing file is an empty table
    and an unreadable one is logged (naming ``what`` it holds) and read as empty too.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning("ignoring unreadable %s %s: %s", what, path, err)
        return {}
    table = data.get(section) if isinstance(data, dict) else None
    if not isinstance(table, dict):
        return {}
    return {str(k): v for k, v in table.items() if isinstance(v, dict)}
