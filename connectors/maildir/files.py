"""Safe file-system primitives for a Maildir we share with other programs and other users.

Two hazards, each met here once so no caller can forget it:

* **Reading.** Anything can sit in a folder we scan: a FIFO left by a careless script, a socket,
  a device node, a symlink to one. ``open()`` on a FIFO with no writer blocks for ever, and one
  such file used to hang every poll of the daemon (issue 9, point 11). Entries are classified
  from the directory listing without opening them (:func:`kind_of`), and :func:`open_regular`
  opens with ``O_NONBLOCK | O_NOFOLLOW`` and checks the type again on the open descriptor, for
  the file swapped between the listing and the open.
* **Writing.** Drafts are private mail. The permissions of what we create must not depend on
  the umask the daemon happens to run under (0644 under 022, 0666 under 000): every file is
  created 0600 and every directory 0700, and set again explicitly after creation because the
  mode given to ``open``/``mkdir`` is only ever narrowed by the umask, never guaranteed.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

FILE_MODE = 0o600
DIR_MODE = 0o700

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class NotRegularFile(OSError):
    """An entry that is not a regular file where only regular files are read.

    An OSError so that callers' existing "cannot read the file" handling covers it; ``strerror``
    says what the entry is.
    """

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file but {kind}", os.fspath(path))
        self.kind = kind


def describe_mode(mode: int) -> str:
    """'a FIFO (named pipe)', 'a directory', ... for a ``st_mode``; 'a regular file' for one."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def kind_of(entry: os.DirEntry[str]) -> str | None:
    """None for a regular file; otherwise what the entry is. Never opens or follows it.

    ``is_file(follow_symlinks=False)`` answers from the directory listing (d_type) on most
    file systems; only where that is unknown does it cost one ``lstat``.
    """
    try:
        if entry.is_file(follow_symlinks=False):
            return None
        return describe_mode(entry.stat(follow_symlinks=False).st_mode)
    except FileNotFoundError:
        raise
    except OSError:
        return "an entry whose type cannot be read"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file; never blocks, never follows.

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer (it has
    no effect on reads of regular files); ``O_NOFOLLOW`` refuses a symlink in the last
    component. Raises :class:`NotRegularFile` (an OSError) for anything else.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW on a symlink
            raise NotRegularFile(path, "a symbolic link") from err
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, describe_mode(mode))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def make_private_dir(path: str | os.PathLike[str]) -> None:
    """``mkdir`` with mode 0700 whatever the umask. FileExistsError if it exists (left as is:
    a directory someone else made keeps the permissions they chose)."""
    os.mkdir(path, DIR_MODE)
    os.chmod(path, DIR_MODE)


def create_private_file(path: str | os.PathLike[str]) -> int:
    """Create ``path`` exclusively, mode 0600 whatever the umask; return a write descriptor.

    ``O_EXCL | O_NOFOLLOW``: never truncates or writes through an existing file or symlink.
    """
    fd = os.open(
        path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE
    )
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    return fd
