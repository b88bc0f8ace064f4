"""Keeping an account's history when the config calls it something else.

An account's name is a label in the config; the user may rename it, re-order the
``[[accounts]]`` tables or split a config in two. What the store remembers about an account
(interviews, follow-ups, deleted drafts, cursors) must follow what the account *serves*: its
calendar and its mailbox, as each provider names them (:mod:`daemon.resources`).

So each account row records that identity, and at start an account whose name the store has
never seen takes over the rows of an account that is no longer configured but served the same
calendar and mailbox. The KEY of a draft carries a digest of the identity, not the name, so a
renamed account also finds its drafts in the mailbox after a lost database.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.resources import identity
from daemon.store import repository as repo
from daemon.store.models import AccountState, Interview

log = logging.getLogger(__name__)


def adopt_renamed(session: Session, config: Config) -> list[str]:
    """Give each configured account the history stored under another name for the same
    calendar and mailbox (a rename, or names swapped between accounts), and record every
    account's identity. Returns what was carried over, also logged. The caller commits."""
    states = list(session.scalars(select(AccountState)))
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
