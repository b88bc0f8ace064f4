"""Accounts from a folder of per-user files (``[daemon].accounts_dir``), one account per file.

Why a folder: a careers office serving hundreds of job seekers adds and removes them every
week. One file per person is what a provisioning script writes and deletes, and one person's
mistake stays in that person's file: a broken file is skipped and recorded (``check`` and
``status`` show it, naming the file and what was expected), and every other account runs.

Each ``*.toml`` file holds the keys of one ``[[accounts]]`` table at its top level (its
provider table as ``[google]``, ``[outlook]``, ...), read by the same code as the main file's
accounts (:func:`daemon.config._accounts`); ``name`` defaults to the file's name without
``.toml``. Relative paths in it are relative to the folder. Names are unique across the main
file and the folder: a file naming an account already taken is skipped, the first file in
name order keeping it, so the running set never flips between two files.

The running service looks again before every poll cycle (:mod:`daemon.running.accountswatch`),
cheaply: the names, sizes and modification times of the files (:func:`signature`); only a
change reads them again.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from daemon import options as o
from daemon.config import Account, SkippedFile, _accounts

# (file name, modification time in ns, size) of each account file, in name order.
Signature = tuple[tuple[str, int, int], ...]


class FolderError(Exception):
    """The folder itself cannot be read: nothing in it can be trusted to be complete."""


@dataclass(frozen=True)
class Found:
    accounts: tuple[Account, ...]
    skipped: tuple[SkippedFile, ...]
    signature: Signature


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The account files: ``*.toml``, not hidden (editors' and sync tools' temporary files
    start with a dot), in name order."""
    try:
        with os.scandir(folder) as found:
            entries = [
                e
                for e in found
                if e.name.endswith(".toml") and not e.name.startswith(".") and e.is_file()
            ]
    except FileNotFoundError:
        raise FolderError(f"{folder}: no such folder; expected a folder of account files") from None
    except NotADirectoryError:
        raise FolderError(f"{folder}: not a folder; expected a folder of account files") from None
    except OSError as err:
        raise FolderError(f"{folder}: cannot read ({err.strerror})") from None
    return sorted(entries, key=lambda e: e.name)


def signature(folder: Path) -> Signature:
    """What changes when a file is added, removed or edited: a stat per file, nothing read."""
    out = []
    for entry in _entries(folder):
        try:
            st = entry.stat()
        except OSError:
            continue  # removed meanwhile
        out.append((entry.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def read(folder: Path, taken: Collection[str] = ()) -> Found:
    """Every account of ``folder``; ``taken``: names of the main file's accounts. Raises
    :class:`FolderError` when the folder cannot be listed."""
    sig = signature(folder)  # before reading: a file changed meanwhile is read again next time
    accounts: list[Account] = []
    skipped: list[SkippedFile] = []
    owners = dict.fromkeys(taken, "the main config file")
    for name, _, _ in sig:
        path = folder / name
        account, problems = read_one(path)
        if account is not None and account.name in owners:
            problems = [
                f"{path}: name: the account name {account.name!r} is taken by "
                f"{owners[account.name]}; expected a name of its own"
            ]
            account = None
        if account is None:
            skipped.append(SkippedFile(path, tuple(problems)))
            continue
        owners[account.name] = str(path)
        accounts.append(account)
    return Found(tuple(accounts), tuple(skipped), sig)


def read_one(path: Path) -> tuple[Account | None, list[str]]:
    """One file's account, or None and every problem with it."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        return None, [f"{path}: cannot read ({err.strerror})"]
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [f"{path}: expected UTF-8 text"]
    except tomllib.TOMLDecodeError as err:
        return None, [f"{path}: not valid TOML: {err}"]
    if "accounts" in data:
        return None, [
            f"{path}: [accounts]: expected the keys of one account at the top of the file "
            "(name, addresses, [calendar], [mailbox], ...), not an [[accounts]] table"
        ]
    data.setdefault("name", path.stem)
    problems: list[str] = []
    found = _accounts([data], str(path), path.parent, problems, table="account")
    if problems or not found:
        return None, problems or [f"{path}: expected one account ({o.describe(data)})"]
    return replace(found[0], source=path), []
