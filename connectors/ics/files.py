"""Finding the .ics files of a source without opening any of them.

A calendar folder is written by other programs (vdirsyncer, a cron'd download, a user), so an
entry named ``*.ics`` may be a FIFO, a socket or a device. The listing tells them apart from the
entry's type alone, so that the user hears about them; reading the files that look regular is
:func:`daemon.files.read_regular`'s job, which checks the type again (the entry may have been
replaced since) and never blocks.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from daemon.files import describe_mode


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
                mode = path.stat().st_mode
            except FileNotFoundError:
                continue
            except OSError:
                files.append(path)  # e.g. a symlink loop: reading it reports the error
                continue
            if stat.S_ISREG(mode):
                files.append(path)
            else:
                others.append((path, describe_mode(mode)))
    return Listing(files=sorted(files), others=sorted(others))
