"""File-system primitives for a Maildir we share with other programs and other users.

Two hazards, each met once so no caller can forget it:

* **Reading.** Anything can sit in a folder we scan: a FIFO left by a careless script, a socket,
  a device node, a symlink to one. ``open()`` on a FIFO with no writer blocks for ever, and one
  such file used to hang every poll of the daemon (issue 9, point 11). Entries are classified
  from the directory listing without opening them (:func:`kind_of`); message files are then
  read with :func:`daemon.files.open_regular` without following symlinks, which checks the type
  again before and after the non-blocking open, for the file swapped since the listing.
* **Writing.** Drafts are private mail. The permissions of what we create must not depend on
  the umask the daemon happens to run under (0644 under 022, 0666 under 000): every file is
  created 0600 and every directory 0700, and set again explicitly after creation because the
  mode given to ``open``/``mkdir`` is only ever narrowed by the umask, never guaranteed.
"""

from __future__ import annotations

import os

from daemon.files import describe_mode

FILE_MODE = 0o600
DIR_MODE = 0o700


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
