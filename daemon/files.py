"""Reading files other programs share with us without ever blocking.

Calendar folders and Maildirs are written by other programs (vdirsyncer, a cron'd download, a
mail client, a careless script, the user), so an entry we mean to read may be anything:

* a FIFO: ``open()`` for reading waits for a writer that may never come, and the daemon with it
  (one such file used to hang every poll);
* a socket, which cannot be opened at all;
* a device: opening a tape rewinds it, opening a tty may make it our controlling terminal;
* a directory, or a symbolic link to any of these.

:func:`open_regular` meets all of them once, for every connector: the type is checked before
opening (so a device is never opened), the open itself never waits (``O_NONBLOCK``, which has no
effect on reads of regular files), and the type is checked again on the open descriptor, because
the entry may have been replaced in between (an atomic rename by a sync tool, or on purpose).
Anything but a regular file raises :class:`NotRegularFile`, an ``OSError``, so callers' existing
"cannot read the file" handling covers it.

Whether a symbolic link is followed is the caller's choice: calendar folders are full of them
(vdirsyncer, dotfile managers), while a Maildir has no business holding one.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

# What a st_mode is, for messages: "not a regular file but a FIFO (named pipe)".
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),  # only seen when links are not followed
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


class NotRegularFile(OSError):
    """An entry that is not a regular file where only regular files are read.

    ``kind`` says what it is ("a FIFO (named pipe)"), ``strerror`` says it as a sentence and
    ``filename`` is the path.
    """

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file but {kind}", os.fspath(path))
        self.kind = kind


def describe_mode(mode: int) -> str:
    """What a ``st_mode`` is: 'a regular file', 'a FIFO (named pipe)', 'a directory', ..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _refuse_unless_regular(path: str | os.PathLike[str], mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFile(path, describe_mode(mode))


def open_regular(path: str | os.PathLike[str], *, follow_symlinks: bool) -> BinaryIO:
    """Open ``path`` for reading in binary if it is a regular file; never blocks.

    With ``follow_symlinks=False`` a symbolic link is refused as one (``O_NOFOLLOW``). Raises
    :class:`NotRegularFile` for anything but a regular file, checked before and after opening,
    and ``OSError`` (e.g. ``FileNotFoundError``) as ``stat`` and ``open`` do.
    """
    _refuse_unless_regular(path, os.stat(path, follow_symlinks=follow_symlinks).st_mode)
    flags = _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow_symlinks:  # became a symlink meanwhile
            raise NotRegularFile(path, "a symbolic link") from err
        raise
    try:
        _refuse_unless_regular(path, os.fstat(fd).st_mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], *, follow_symlinks: bool) -> bytes:
    """The whole content of a regular file, as :func:`open_regular` opens it."""
    with open_regular(path, follow_symlinks=follow_symlinks) as handle:
        return handle.read()
