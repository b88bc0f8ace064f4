"""Write one message into a Maildir folder the Maildir way, and clean up after our own failures.

Why not ``mailbox.Maildir.add``: it creates the file 0666 minus the umask (drafts readable by
every local user, issue 9 point 10); its fsync and close run outside its clean-up, so a full
disk (ENOSPC surfacing at flush or fsync) left the half-written file in ``tmp/`` for ever (42
of them after one campaign, point 16b); and its file names (``<sec>.M<usec>P<pid>Q<n>.<host>``)
are those of every Python program that uses it, so a file left in ``tmp/`` could not be told
from another program's.

Delivery follows the Maildir convention (https://cr.yp.to/proto/maildir.html): write the file
in ``tmp/`` under a unique name, fsync it, hard-link it into ``cur/`` (never clobbering), remove
the ``tmp/`` name, fsync ``cur/``. Any failure on the way removes our ``tmp/`` file at once.

Our unique names put ``followupd`` in the middle part, which the convention leaves to the
writer: ``<sec>.followupd_M<usec>P<pid>Q<n>R<64 random bits>.<host>``. Only files named so are
ours; :func:`remove_stale_tmp` deletes those alone, and only once they are older than the
convention's 36 hours (another program's ``tmp/`` file is never touched, whatever its age).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import re
import secrets
import socket
import stat
import time
from pathlib import Path

from connectors.maildir.files import create_private_file, kind_of, make_private_dir

log = logging.getLogger(__name__)

STALE_AFTER = 36 * 3600  # seconds; "not accessed for 36 hours" in the Maildir convention
MARK = "followupd"
OWN_TMP_NAME = re.compile(rf"^\d+\.{MARK}_M\d+P\d+Q\d+R[0-9a-f]{{16}}\.[^/:]+$")
_counter = itertools.count(1)


def _hostname() -> str:
    r"""The host part of a unique name, '/', ':', ',' and '!' escaped in octal as the convention
    and Dovecot do ('\057', ...): none can then be read as a path or a flag separator."""
    host = socket.gethostname() or "localhost"
    for char, octal in (("/", r"\057"), (":", r"\072"), (",", r"\054"), ("!", r"\041")):
        host = host.replace(char, octal)
    return host


def unique_name(now: float | None = None) -> str:
    """A new unique name in our scheme (see the module docstring)."""
    now = time.time() if now is None else now
    usec = int(now % 1 * 1_000_000)
    return (
        f"{int(now)}.{MARK}_M{usec}P{os.getpid()}Q{next(_counter)}R{secrets.token_hex(8)}"
        f".{_hostname()}"
    )


def is_own_tmp_name(name: str) -> bool:
    """Whether a ``tmp/`` file name was made by :func:`unique_name` (so the file is ours)."""
    return OWN_TMP_NAME.match(name) is not None


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` 0700 unless it is a directory already (which keeps its permissions).

    FileExistsError when something else has the name, as ``Path.mkdir(exist_ok=True)`` does.
    """
    try:
        make_private_dir(path)
    except FileExistsError:
        if not path.is_dir():
            raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def deliver(folder: Path, data: bytes, flags: str) -> tuple[str, Path]:
    """Store ``data`` in ``folder``/cur with ``flags``; return (unique name, final path).

    The file is 0600 from its creation. On any failure (ENOSPC mid-write, EDQUOT at fsync, ...)
    the ``tmp/`` file is removed before the error propagates; nothing in ``cur/`` is left
    half-written because the link into ``cur/`` is the last step.
    """
    ensure_private_dir(folder / "tmp")
    uniq = unique_name()
    tmp = folder / "tmp" / uniq
    final = folder / "cur" / f"{uniq}:2,{flags}"
    fd = create_private_file(tmp)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)  # the content is on disk before the core records the draft
        finally:
            os.close(fd)
        try:
            os.link(tmp, final)  # fails rather than replacing an existing file
        except OSError as err:
            if err.errno not in (errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            os.rename(tmp, final)  # file systems without hard links; the name is unique
        _fsync_dir(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed into cur/
            os.unlink(tmp)  # after a link: the tmp/ name; after a failure: our partial file
    return uniq, final


def remove_stale_tmp(folder: Path, now: float | None = None) -> list[Path]:
    """Delete our own files in ``folder``/tmp untouched for 36 hours; return what was deleted.

    A file is stale when both its modification and access times are older than 36 hours (the
    convention speaks of access; with ``noatime`` mounts the modification time is what is
    left, and taking the later of the two never deletes early). The inode change time is not
    used: nothing can set it back, so a test (or a restore from backup) could never age a file.
    Non-regular entries and other programs' files are never touched. Errors are logged, not
    raised: tidying must never stop a draft from being written.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        with os.scandir(folder / "tmp") as listing:
            candidates = [e for e in listing if is_own_tmp_name(e.name)]
    except FileNotFoundError:
        return removed
    except OSError as err:
        log.warning("maildir %s: cannot list tmp/ to remove stale files: %s", folder, err)
        return removed
    for entry in candidates:
        try:
            if kind_of(entry) is not None:
                continue
            info = os.lstat(entry.path)
            if not stat.S_ISREG(info.st_mode):
                continue
            if now - max(info.st_mtime, info.st_atime) <= STALE_AFTER:
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except FileNotFoundError:
            continue
        except OSError as err:
            log.warning("maildir %s: cannot remove stale file %s: %s", folder, entry.name, err)
    if removed:
        log.info(
            "maildir %s: removed %d stale file(s) of interrupted draft writes from tmp/",
            folder,
            len(removed),
        )
    return removed
