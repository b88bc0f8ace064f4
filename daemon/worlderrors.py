"""The world's errors said as one line: the path or host, what is wrong, and the fix.

The machine refuses things followupd cannot help: a folder without write permission, a file
system mounted read-only (or made read-only by the systemd sandbox), a full disk, a folder that
is not there, a network that is gone. None of these is a bug, so none deserves a traceback:
each becomes one sentence naming the path (or host) and what to do, and the traceback is only
logged at debug level (``-vv``) for whoever wants it.

This module is the one place that turns an ``OSError`` into such a sentence. Connectors call
:func:`explain` / :func:`unreachable` where they know what they were doing ("cannot write the
draft"); the CLI (``friendly``) and the engine (an account's recorded error) call
:func:`world_error` on whatever ``OSError`` still escaped, so even an unforeseen one is one
line. Database errors are explained by :mod:`daemon.store.database` (SQLite speaks in its own
result codes), with the same wording for the same causes.

Under systemd (``$INVOCATION_ID`` is set for every unit's processes) a read-only file system is
almost always the sandbox (``ProtectSystem=strict``, ``ProtectHome=read-only``): the fix is the
``ReadWritePaths=`` line the unit lacks, which ``followupd service install`` writes from the
config.
"""

from __future__ import annotations

import errno
import os
import pwd
import socket
import ssl
from pathlib import Path

from daemon.errors import FollowupdError


class WorldError(FollowupdError):
    """The machine refused (permissions, read-only, disk full, missing folder, network)."""


def under_systemd() -> bool:
    """Whether this process runs as (part of) a systemd unit, whose sandbox may be the cause."""
    return bool(os.environ.get("INVOCATION_ID"))


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def _exists(path: Path, folder: bool = False) -> bool:
    try:
        return path.is_dir() if folder else os.path.lexists(path)
    except OSError:  # a folder above it may not be searchable
        return False


def folder_of(path: str | os.PathLike[str]) -> Path:
    """The nearest existing folder at or above ``path``: what ``ReadWritePaths=`` can name
    (systemd refuses a path that does not exist) and what ``df`` measures."""
    folder = Path(path)
    while not _exists(folder, folder=True) and folder != folder.parent:
        folder = folder.parent
    return folder


def _subject(path: str | os.PathLike[str]) -> Path:
    """What the user should look at: the path if it is there, else the folder it was to be
    created in (a refused new file is its folder's permission, not its own)."""
    return Path(path) if _exists(Path(path)) else folder_of(path)


def sandbox_fix(root: str | os.PathLike[str]) -> str:
    """The line the systemd unit needs for followupd to write under ``root``."""
    return (
        f"add ReadWritePaths={root} to the systemd unit (followupd service install writes it "
        "from the config)"
    )


# What each errno means for the user; the OS's own words (strerror) are kept in the message.
_DENIED = (errno.EACCES, errno.EPERM)
_NETWORK = (
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.EHOSTUNREACH,
    errno.EHOSTDOWN,
    errno.ETIMEDOUT,
)


def fix_for(err: OSError, path: str | os.PathLike[str] | None, root: Path | None = None) -> str:
    """What the user can do about ``err`` at ``path``; ``root`` is the folder a sandbox must
    open for writing (the Maildir's root, the state folder), else the path's own folder."""
    code = err.errno
    where = f" {_subject(path)}" if path is not None else ""
    if code in _DENIED:
        return (
            f"check the owner and mode of{where or ' it'} and the folders above it "
            f"(followupd runs as {_user()})"
        )
    if code == errno.EROFS:
        folder = root or (folder_of(path) if path is not None else None)
        if under_systemd() and folder is not None:
            return sandbox_fix(folder)
        return (
            "the file system is mounted read-only: remount it read-write, or point the config "
            "at a folder on a writable one"
        )
    if code == errno.ENOSPC:
        df = f" (df -h {folder_of(path)})" if path is not None else ""
        return f"the disk is full: free some space{df}; followupd tries again at the next run"
    if code == errno.EDQUOT:
        return "your disk quota is used up: free some space; followupd tries again at the next run"
    if code == errno.ENOENT:
        return "create it, or fix the path in the config"
    if code == errno.ENOTDIR:
        return "a part of the path is a file, not a folder: fix the path in the config"
    if code == errno.EISDIR:
        return "it is a folder, not a file: fix the path in the config"
    if code == errno.EIO:
        return "the disk reported an error: check it (dmesg, fsck) and its cable or mount"
    if code in (errno.EMFILE, errno.ENFILE):
        return "too many files are open: raise the limit (ulimit -n) or close other programs"
    return "check that path"


def explain(
    err: OSError,
    what: str | None = None,
    action: str | None = None,
    *,
    root: Path | None = None,
) -> str:
    """One line for ``err``: ``<what>: <action> (<the OS's words>); <fix>``.

    ``what`` names the thing and its path ("maildir /home/u/Mail/.Drafts"; default: the path
    the error carries), ``action`` what failed ("cannot write the draft"). ``root`` is the
    folder the systemd sandbox must open when the file system is read-only.
    """
    path = err.filename
    reason = err.strerror or type(err).__name__
    if err.filename2 is not None and err.filename is not None:
        reason += f": {err.filename} -> {err.filename2}"
    elif path is not None and what is not None and not _within(str(path), _path_in(what)):
        reason += f": {path}"
    head = what if what is not None else (str(path) if path is not None else None)
    said = f"{action} ({reason})" if action else reason
    fix = fix_for(err, path if path is not None else _path_in(what), root)
    return f"{head}: {said}; {fix}" if head else f"{said}; {fix}"


def _path_in(what: str | None) -> str | None:
    """The path in a ``what`` like "maildir /x/y" or "ics: /x (calendar.path)", for the fix
    of an error (a write's ENOSPC) that carries no file name of its own."""
    words = (what or "").split(" ")
    return next((word.rstrip(":") for word in words if word.startswith("/")), None)


def _within(path: str, named: str | None) -> bool:
    """Whether the message names ``path`` already: it is the ``named`` path, inside it, or
    the temporary file :func:`daemon.paths.write_private` writes it through."""
    if named is None:
        return False
    if path == named or path.startswith(named.rstrip("/") + "/"):
        return True
    file, target = Path(path), Path(named)
    return file.parent == target.parent and file.name.startswith(f".{target.name}.")


def world_error(err: OSError, what: str | None = None, action: str | None = None) -> WorldError:
    """An escaped ``OSError`` as a :class:`WorldError`: one line, no traceback."""
    if err.filename is None and is_network(err):
        return WorldError(unreachable(None, err))
    return WorldError(explain(err, what, action))


def is_network(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) is a failure to reach another machine."""
    return network_cause(err) is not None


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and what it wraps: HTTP libraries wrap a socket error once or twice, as the
    cause, as an argument (requests) or as ``reason`` (urllib3's MaxRetryError)."""
    found: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and all(current is not seen for seen in found):
        found.append(current)
        nested = [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.insert(0, reason)
        current = current.__cause__ or current.__context__ or (nested[0] if nested else None)
    return found


def network_cause(err: BaseException) -> BaseException | None:
    """The socket-level error in ``err``'s chain, None if it is not a network failure."""
    for current in _chain(err):
        if isinstance(current, (socket.gaierror, socket.timeout, ssl.SSLError)):
            return current
        if isinstance(current, OSError) and current.errno in _NETWORK:
            return current
        if isinstance(current, (ConnectionError, TimeoutError)):
            return current
    return None


# Failures to open a connection at all: the network (or the host) is not there. The request
# never left, unlike a connection cut or an answer that never came.
_CONNECT = (
    errno.ECONNREFUSED,
    errno.ENETUNREACH,
    errno.ENETDOWN,
    errno.EHOSTUNREACH,
    errno.EHOSTDOWN,
)


def cannot_connect(err: BaseException) -> bool:
    """Whether ``err`` is a failure to connect: refused, no route, or a name that does not
    resolve (the lost network), as opposed to a connection that broke."""
    for current in _chain(err):
        if isinstance(current, socket.gaierror):
            return True
        if isinstance(current, OSError) and current.errno in _CONNECT:
            return True
        if type(current).__name__ in ("ServerNotFoundError", "NameResolutionError"):
            return True  # httplib2's and urllib3's words for a name that does not resolve
    return False


def _network_reason(err: BaseException) -> str:
    cause = network_cause(err) or err
    if isinstance(cause, socket.gaierror) or any(
        type(e).__name__ in ("ServerNotFoundError", "NameResolutionError") for e in _chain(err)
    ):
        return "the name does not resolve: no network, or no DNS"
    if isinstance(cause, (socket.timeout, TimeoutError)) or getattr(cause, "errno", None) == (
        errno.ETIMEDOUT
    ):
        return "no answer in time"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused: nothing listens there"
    if isinstance(cause, (ConnectionResetError, ConnectionAbortedError)):
        return "the connection was cut"
    if getattr(cause, "errno", None) in (errno.ENETUNREACH, errno.ENETDOWN):
        return "the network is unreachable"
    if getattr(cause, "errno", None) in (errno.EHOSTUNREACH, errno.EHOSTDOWN):
        return "no route to the host"
    strerror = getattr(cause, "strerror", None)
    if strerror:
        return str(strerror)
    text = str(cause).strip()
    return text.splitlines()[0] if text else type(cause).__name__


def unreachable(host: str | None, err: BaseException) -> str:
    """One line for a network failure reaching ``host``: the host, why, and what to check."""
    who = host or "the network"
    return (
        f"cannot reach {who} ({_network_reason(err)}); check the network connection (and "
        "any proxy); followupd tries again at the next poll"
    )
