"""Finding and reading the .ics files of a source without ever blocking.

A calendar folder is written by other programs (vdirsyncer, a cron'd download, a user), so an
entry named ``*.ics`` may be anything: a FIFO (opening it for reading waits for a writer that
never comes, and the daemon with it), a socket, a device (opening a tape or a tty has effects).
So the type is checked before opening, the open itself never waits (``O_NONBLOCK``), and the
type is checked again on the open descriptor, because the entry may have been replaced in
between (an atomic rename by a sync tool, or on purpose).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

# What an entry is, for messages: "x.ics is a FIFO (named pipe); expected a regular file".
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)

_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


class NotRegular(OSError):
    """The entry exists but is not a regular file; the message says what it is."""


def kind(mode: int) -> str | None:
    """What a non-regular file mode is ("a FIFO (named pipe)"), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


@dataclass(frozen=True)
class Listing:
    files: list[Path]  # regular files (or entries whose stat failed: reading them says why)
    others: list[tuple[Path, str]]  # *.ics entries that are not regular files, with their kind


def list_calendar_files(folder: Path) -> Listing:
    """Every ``*.ics`` below ``folder``, sorted; hidden files and folders are skipped.

    Symbolic links are followed (vdirsyncer and dotfile managers use them); a dangling link is
    simply gone. A FIFO, socket or device named ``*.ics`` is listed in ``others`` so that the
    user hears about it instead of the daemon hanging on it or skipping it silently.
    """
    files: list[Path] = []
    others: list[tuple[Path, str]] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if not name.lower().endswith(".ics") or name.startswith("."):
                continue
            path = Path(root, name)
            try:
                what = kind(path.stat().st_mode)
            except FileNotFoundError:
                continue
            except OSError:
                what = None  # e.g. a symlink loop: reading it reports the error
            if what is None:
                files.append(path)
            else:
                others.append((path, what))
    return Listing(files=sorted(files), others=sorted(others))


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file. Never blocks on a FIFO, never opens a device.

    Raises :class:`NotRegular` for anything else (checked before and after opening, since the
    entry may be swapped between the two) and :class:`OSError` as reading does.
    """
    what = kind(os.stat(path).st_mode)
    if what is not None:
        raise NotRegular(f"is {what}")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        what = kind(os.fstat(fd).st_mode)
        if what is not None:
            raise NotRegular(f"is {what}")
        # O_NONBLOCK has no effect on regular files: this reads the whole file.
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            return handle.read()
    finally:
        if fd >= 0:
            os.close(fd)
