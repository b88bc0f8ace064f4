"""The folders of a Maildir tree, in either of the two layouts mail tools write.

* ``maildir++`` (Dovecot, Courier, offlineimap, mbsync with ``SubFolders Maildir++``): the root
  is itself a Maildir and is the INBOX; every other folder is a dot-directory of the root,
  hierarchy levels joined by dots (``.Archive.2026`` is "Archive/2026").
* ``folders`` (mbsync ``SubFolders Verbatim``, the default of many setups): one plain Maildir
  per folder below the root (``INBOX/``, ``Drafts/``, ``Archive/2026/``).

Folder names are given the way a mail client shows them, levels separated by "/".

Listing messages is done with ``os.scandir`` rather than ``mailbox.Maildir``: the stdlib gives no
public way to learn a message's file path or flags (``get_flags`` arrived in 3.13) without
reading and parsing the whole file, and a scan of a large INBOX must read headers only.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from connectors.maildir.files import create_private_file, kind_of
from connectors.maildir.writing import ensure_private_dir
from daemon.errors import ConnectorError
from daemon.protocols import Problem
from daemon.worlderrors import explain

log = logging.getLogger(__name__)

LAYOUTS = ("auto", "maildir++", "folders")

# Folders whose content is never mail received by the user (last path component, lower case).
TRASH_NAMES = {"trash", "deleted", "deleted items", "deleted messages", "bin", "papierkorb"}
JUNK_NAMES = {"junk", "spam", "junk e-mail", "junk email", "bulk mail", "junk-e-mail"}
SENT_NAMES = {
    "sent",
    "sent items",
    "sent messages",
    "sent mail",
    "gesendet",
    "gesendete elemente",
    "gesendete objekte",
}
DRAFT_NAMES = {"drafts", "draft", "entwürfe", "templates", "outbox", "postausgang"}
MAX_DEPTH = 8


@dataclass(frozen=True)
class Folder:
    name: str  # "INBOX", "Drafts", "Archive/2026"
    path: Path

    @property
    def leaf(self) -> str:
        return self.name.rsplit("/", 1)[-1].lower()

    @property
    def leaves(self) -> set[str]:
        """The last name, lower case, with '/' and with '.' separating levels: offlineimap
        writes ``[Gmail].Sent Mail`` as one directory, Thunderbird ``[Gmail].sbd/Drafts``."""
        return {self.leaf, self.leaf.rsplit(".", 1)[-1]}


@dataclass(frozen=True)
class Entry:
    """One message file: its Maildir key (stable across flag changes and new/ -> cur/ moves)."""

    key: str
    path: Path
    flags: str
    folder: Folder


def is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def split_name(filename: str) -> tuple[str, str]:
    """'1700000000.M1P2.host,U=5:2,DS' -> ('1700000000.M1P2.host,U=5', 'DS').

    ':' is the standard separator; '!' is what mbsync and others use where ':' is not allowed.
    """
    for sep in (":2,", "!2,"):
        key, found, flags = filename.rpartition(sep)
        if found:
            return key, flags
    return filename, ""


class Tree:
    """A Maildir root and its folders; the layout is detected once, on first use."""

    def __init__(self, root: Path, layout: str = "auto") -> None:
        self.root = root
        self._layout = None if layout == "auto" else layout

    @property
    def layout(self) -> str:
        if self._layout is None:
            self._layout = self._detect()
        return self._layout

    def _detect(self) -> str:
        if self.root.exists() and not self.root.is_dir():
            raise ConnectorError(
                f"maildir {self.root}: is a file; expected the root directory of a Maildir"
            )
        if not self.root.is_dir():
            raise ConnectorError(
                f"maildir {self.root}: the directory does not exist; expected the root of a "
                "Maildir (with cur/, new/, tmp/) or a folder of Maildirs (INBOX/, Drafts/, ...)"
            )
        if is_maildir(self.root):
            return "maildir++"
        try:
            children = [p for p in self.root.iterdir() if p.is_dir() and is_maildir(p)]
        except OSError as err:
            raise ConnectorError(
                explain(err, f"maildir {self.root}", "cannot list the directory")
            ) from err
        if children:
            return "folders"
        raise ConnectorError(
            f"maildir {self.root}: not a Maildir; expected cur/ and new/ in it (Maildir++) or "
            "folders that each contain cur/ and new/ (one Maildir per folder, as mbsync writes)"
        )

    def folders(self) -> list[Folder]:
        """Every folder of the tree, INBOX first."""
        return self._maildirplusplus() if self.layout == "maildir++" else self._folders()

    def _maildirplusplus(self) -> list[Folder]:
        found = [Folder("INBOX", self.root)]
        try:
            names = sorted(os.listdir(self.root))
        except OSError as err:
            raise ConnectorError(
                explain(err, f"maildir {self.root}", "cannot list the directory")
            ) from err
        for name in names:
            if name.startswith(".") and name not in (".", "..") and is_maildir(self.root / name):
                found.append(Folder(name[1:].replace(".", "/"), self.root / name))
        return found

    def _folders(self) -> list[Folder]:
        found = [Folder("INBOX", self.root)] if is_maildir(self.root) else []
        for dirpath, dirnames, _ in os.walk(self.root):
            here = Path(dirpath)
            depth = len(here.relative_to(self.root).parts)
            dirnames[:] = sorted(
                d for d in dirnames if d not in ("cur", "new", "tmp") and depth < MAX_DEPTH
            )
            if here != self.root and is_maildir(here):
                found.append(Folder(here.relative_to(self.root).as_posix(), here))
        found.sort(key=lambda f: (f.name.lower() != "inbox", f.name.lower()))
        return found

    def find(self, name: str) -> Folder | None:
        """The folder called ``name``: exact match first, then ignoring case."""
        folders = self.folders()
        for folder in folders:
            if folder.name == name:
                return folder
        return next((f for f in folders if f.name.lower() == name.lower()), None)

    def create(self, name: str) -> Folder:
        """Create folder ``name`` the way mail clients do in this layout, private to the user.

        Directories are made 0700 and the Maildir++ ``maildirfolder`` marker 0600 whatever the
        umask (see :mod:`connectors.maildir.files`); ``mailbox.Maildir`` made the marker 0644
        (0666 under umask 000). Directories that already exist are left as they are.
        """
        if self.layout == "maildir++":
            path = self.root / ("." + name.replace("/", "."))
        else:
            path = self.root / name
        try:
            if self.layout == "folders":
                for parent in reversed(path.relative_to(self.root).parents[:-1]):
                    ensure_private_dir(self.root / parent)  # "Archive/2026": Archive/ first
            ensure_private_dir(path)
            for sub in ("tmp", "new", "cur"):
                ensure_private_dir(path / sub)
            if self.layout == "maildir++":
                with contextlib.suppress(FileExistsError):
                    os.close(create_private_file(path / "maildirfolder"))
        except OSError as err:
            raise ConnectorError(
                explain(
                    err, f"maildir {self.root}", f"cannot create folder {name!r}", root=self.root
                )
            ) from err
        log.info("created maildir folder %s at %s", name, path)
        return Folder(name, path)


def entries(folder: Folder, problems: list[Problem] | None = None) -> Iterator[Entry]:
    """The message files of ``folder`` (new/ and cur/); dot-files and vanished folders skipped.

    Only regular files are yielded, judged from the listing without opening anything: a FIFO
    among them would block the reader for ever. A non-regular entry where mail should be is
    reported in ``problems`` (container: the folder's name) when the caller collects them, and
    skipped silently otherwise: the scans for our own drafts and sent copies have no one to
    report to, and nothing that is not a file can be one of ours.
    """
    for sub in ("new", "cur"):
        files: list[str] = []
        try:
            with os.scandir(folder.path / sub) as listing:
                for item in listing:
                    if item.name.startswith("."):
                        continue
                    try:
                        kind = kind_of(item)
                    except FileNotFoundError:
                        continue  # moved by a mail client while we listed
                    if kind is None:
                        files.append(item.name)
                        continue
                    log.debug("skipped %s: %s", item.path, kind)
                    if problems is not None:
                        problems.append(
                            Problem(
                                item.path,
                                f"not a regular file but {kind}; expected a message file",
                                container=folder.name,
                            )
                        )
        except FileNotFoundError:
            continue
        except OSError as err:
            raise ConnectorError(
                explain(err, f"maildir folder {folder.path / sub}", "cannot list it")
            ) from err
        for name in files:
            key, flags = split_name(name)
            yield Entry(key=key, path=folder.path / sub / name, flags=flags, folder=folder)
