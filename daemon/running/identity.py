"""Keeping an account's history when the config calls it something else.

An account's name is a label in the config; the user may rename it, re-order the
``[[accounts]]`` tables or split a config in two. What the store remembers about an account
(interviews, follow-ups, deleted drafts, cursors) must follow what the account *serves*: its
calendar and its mailbox, as each provider names them (:mod:`daemon.resources`).

So each account row records that identity, and at start an account whose name the store has
never seen takes over the rows of an account that is no longer configured but served the same
calendar and mailbox. The KEY of a draft carries a digest of the identity, not the name, so a
renamed account also finds its drafts in the mailbox after a lost database.

The account's folder of tokens and caches (``accounts/<name>``) moves with it, before the
store's rename is committed. A process killed in between would leave the folder under the new
name and the store under the old one, and the next rename (the user may have renamed it again)
would look for it where it is not: the account would have lost its sign-in. So the moves are
written down first (``accounts/.renaming.json``), and a start that finds that note with the
store's rename not committed moves the folders back.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.paths import write_private
from daemon.resources import identity
from daemon.store import repository as repo
from daemon.store.models import AccountState, Interview

log = logging.getLogger(__name__)


def adopt_renamed(session: Session, config: Config) -> list[str]:
    """Give each configured account the history stored under another name for the same
    calendar and mailbox (a rename, or names swapped between accounts), and record every
    account's identity. Returns what was carried over, also logged. The caller commits."""
    states = list(session.scalars(select(AccountState)))
    _undo_interrupted(config.daemon.state_dir, {s.name: s.identity for s in states})
    owners: dict[str, list[str]] = {}
    for state in states:
        if state.identity:
            owners.setdefault(state.identity, []).append(state.name)
    counts = dict(
        session.execute(select(Interview.account, func.count()).group_by(Interview.account)).all()
    )
    serves = {account.name: identity(account) for account in config.accounts}
    renames: dict[str, str] = {}  # stored name -> configured name
    for account in config.accounts:
        found = owners.get(serves[account.name], [])
        if len(found) == 1 and found[0] != account.name:
            renames[found[0]] = account.name
    for old, new in list(renames.items()):
        if counts.get(new) and new not in renames:
            log.warning(
                "account %r serves what %r served before, but %r already has its own history: "
                "keeping both apart",
                new,
                old,
                new,
            )
            del renames[old]
    # Two steps through temporary names, so that two accounts may swap names.
    parked = {old: f"~renaming {i}~" for i, old in enumerate(renames)}
    if parked:
        _note_moves(session, config.daemon.state_dir, parked, renames, serves)
    for old, temp in parked.items():
        repo.rename_account(session, old, temp)
        _move_state_dir(config.daemon.state_dir, old, temp)
    moved = []
    for old, temp in parked.items():
        new = renames[old]
        repo.rename_account(session, temp, new)
        _move_state_dir(config.daemon.state_dir, temp, new)
        moved.append(
            f"account {old!r} is now {new!r} (same calendar and mailbox): its "
            f"{counts.get(old, 0)} interview(s) and their follow-ups carry over"
        )
    for name, ident in serves.items():
        repo.account_state(session, name).identity = ident
    for line in moved:
        log.info("%s", line)
    return moved


def claim(session: Session, state: AccountState, ident: str) -> None:
    """Record what ``state``'s account serves, unless another stored account serves it.

    For ``followupd auth``, which leaves the account's tokens in ``accounts/<name>`` before any
    run may have recorded its identity (none yet, or the first killed early): a rename before
    the next start then still finds them. When another row has that identity the user renamed
    the account before signing it in again, and the next start's :func:`adopt_renamed` carries
    that row's history over; a second claimant would make it keep the two apart."""
    if state.identity:
        return
    others = select(AccountState.name).where(
        AccountState.identity == ident, AccountState.name != state.name
    )
    if session.scalars(others.limit(1)).first() is None:
        state.identity = ident


def _journal(state_dir: Path) -> Path:
    return state_dir / "accounts" / ".renaming.json"


def _note_moves(
    session: Session,
    state_dir: Path,
    parked: dict[str, str],
    renames: dict[str, str],
    serves: dict[str, str],
) -> None:
    """Write down the folder moves to come, and drop the note once the store's rename is
    committed (:func:`_undo_interrupted` reads it after a crash in between)."""
    note = _journal(state_dir)
    moves = [
        {"old": old, "temp": temp, "new": renames[old], "identity": serves[renames[old]]}
        for old, temp in parked.items()
    ]
    if not (state_dir / "accounts").is_dir():
        return  # no folder to move
    write_private(note, json.dumps({"moves": moves}).encode("utf-8"))

    def committed(_session: Session) -> None:
        note.unlink(missing_ok=True)

    event.listen(session, "after_commit", committed, once=True)


def _undo_interrupted(state_dir: Path, stored: dict[str, str | None]) -> None:
    """Folders moved by a rename whose commit never came (the process was killed): back to
    the names the store still has. ``stored``: each stored account's identity, by name."""
    note = _journal(state_dir)
    try:
        moves = json.loads(note.read_text(encoding="utf-8"))["moves"]
        pending = [m for m in moves if stored.get(m["new"]) != m["identity"]]
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the unreadable note of an interrupted rename %s: %s", note, err)
        note.unlink(missing_ok=True)
        return
    # Each back to a parking name first, then to its own: two swapped accounts undo too.
    for n, move in enumerate(pending):
        back = f"~undoing {n}~"
        for where in (move["new"], move["temp"]):
            if (state_dir / "accounts" / where).is_dir():
                _move_state_dir(state_dir, where, back)
                break
    for n, move in enumerate(pending):
        _move_state_dir(state_dir, f"~undoing {n}~", move["old"])
    if pending:
        log.info(
            "undid the folder moves of an interrupted rename: %s",
            ", ".join(f"{m['new']} -> {m['old']}" for m in pending),
        )
    note.unlink(missing_ok=True)


def _move_state_dir(state_dir: Path, old: str, new: str) -> None:
    """Tokens and caches live in ``accounts/<name>``: a renamed account keeps its sign-in."""
    source, target = state_dir / "accounts" / old, state_dir / "accounts" / new
    if not source.is_dir():
        return
    if target.is_dir():
        if any(target.iterdir()):
            log.warning("%s: keeping it, %s exists and is not empty", source, target)
            return
        target.rmdir()
    shutil.move(str(source), str(target))
