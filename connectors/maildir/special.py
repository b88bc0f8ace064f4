"""Which folder of a Maildir tree is Drafts, and whether a draft can be written there.

Mail tools name the drafts folder after the server: mbsync and offlineimap copy Gmail's
``[Gmail]/Drafts`` (``[Google Mail]/Drafts`` in Germany and the UK) as ``[Gmail]/Drafts/`` or
``.[Gmail].Drafts/`` (offlineimap also ``[Gmail].Drafts/``), Thunderbird as
``[Gmail].sbd/Drafts/``; Outlook, Fastmail and iCloud call it "Drafts", Courier and Cyrus
"INBOX/Drafts". Writing to a folder named "Drafts" beside ``[Gmail]/Drafts`` makes a new label
that the sync tool pushes to the server (issue 12), so the folder is looked for by its last
name, and two candidates are not guessed between: the user names one with ``drafts_folder``.

Nothing here writes except :func:`probe`, which creates and removes one file of ours in a
``tmp/`` (what ``tmp/`` is for), so that ``followupd check`` knows a draft can be written.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from connectors.maildir.files import create_private_file
from connectors.maildir.folders import TRASH_NAMES, Folder, Tree
from connectors.maildir.writing import unique_name
from daemon.errors import ConnectorError
from daemon.worlderrors import explain

# Last names of drafts folders (lower case): English, and what localised servers use.
DRAFTS_LEAVES = {"drafts", "draft", "entwürfe", "brouillons", "borradores", "bozze", "concepten"}
DEFAULT_DRAFTS = "Drafts"  # created by the first draft when the tree has no drafts folder


class AmbiguousDrafts(ConnectorError):
    """Two or more folders could be the drafts folder; the user must name one."""

    def __init__(self, root: Path, candidates: list[Folder]) -> None:
        self.candidates = candidates
        names = ", ".join(repr(f.name) for f in candidates)
        super().__init__(
            f"maildir {root}: {len(candidates)} folders could be the drafts folder ({names}); "
            f"followupd will not guess. Set drafts_folder in the account's mailbox section to "
            f'the one your mail client uses, e.g. drafts_folder = "{candidates[0].name}"'
        )


def candidates(tree: Tree) -> list[Folder]:
    """The folders that look like a drafts folder (a "Drafts" inside Trash is not one), top
    level first, in the same order whatever the layout."""
    found = [
        f
        for f in tree.folders()
        if f.leaves & DRAFTS_LEAVES
        and not any(level in TRASH_NAMES for level in f.name.lower().split("/")[:-1])
    ]
    return sorted(found, key=lambda f: (f.name.count("/"), f.name.lower()))


def drafts_folder(tree: Tree, configured: str | None) -> Folder | None:
    """The drafts folder: the configured one (None if it does not exist yet), else the one
    folder named like a drafts folder (None if there is none); AmbiguousDrafts for two."""
    if configured is not None:
        return tree.find(configured)
    found = candidates(tree)
    if len(found) > 1:
        raise AmbiguousDrafts(tree.root, found)
    return found[0] if found else None


def probe(folder: Path, root: Path, *, parent: bool = False) -> None:
    """Create and remove one file of ours in the drafts ``folder``'s ``tmp/`` (in ``folder``
    itself when it has no ``tmp/`` yet, or when it is the ``parent`` the first draft will
    create the drafts folder in); ConnectorError naming the directory and the fix (on a
    read-only file system, the line a systemd unit needs for the Maildir ``root``, which also
    holds the lock file)."""
    where = folder / "tmp" if not parent and (folder / "tmp").is_dir() else folder
    path = where / unique_name()
    try:
        os.close(create_private_file(path))
    except OSError as err:
        raise ConnectorError(
            explain(err, f"maildir {where}", "drafts cannot be written there", root=root)
        ) from err
    with contextlib.suppress(OSError):
        os.unlink(path)
    cur = folder / "cur"
    if not parent and cur.is_dir() and not os.access(cur, os.W_OK | os.X_OK):
        denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(cur))
        raise ConnectorError(explain(denied, f"maildir {cur}", "drafts cannot be written there"))
