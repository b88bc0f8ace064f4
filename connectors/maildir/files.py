"""Safe reading of a Maildir we share with other programs and other users.

Anything can sit in a folder we scan: a FIFO left by a careless script, a socket, a device
node, a symlink to one. ``open()`` on a FIFO with no writer blocks for ever, and one such file
used to hang every poll of the daemon (issue 9, point 11). Entries are classified from the
directory listing without opening them (:func:`kind_of`), and :func:`open_regular` opens with
``O_NONBLOCK | O_NOFOLLOW`` and checks the type again on the open descriptor, for the file
swapped between the listing and the open. Every read of a message file goes through here.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

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
