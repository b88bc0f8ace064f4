"""The running service's accounts follow ``[daemon].accounts_dir`` without a restart.

Before each poll cycle the service asks :meth:`AccountsWatch.refresh` to look: a stat of each
file (:func:`daemon.accountsdir.signature`), nothing read while nothing changed, so a thousand
files cost a few milliseconds. When something changed, the folder is read again and the engine
gets the new set (:meth:`daemon.running.engine.Engine.update_accounts`):

- an account whose file is unchanged keeps its connection (its HTTP pool, its lock, its caches);
- an added or edited one is set up anew, after the store gave it the history of an account
  it was renamed from (:func:`daemon.running.identity.adopt_renamed`, as at start);
- a removed one is no longer polled or drafted for; its state stays in the store, as for an
  account removed from the main file, and comes back with its file.

A folder that cannot be read (a network file system's hiccup) changes nothing: the accounts
running go on, and the error is logged once. A broken file is skipped and logged once per
change, with every problem; ``status`` and ``check`` show it too.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from daemon import accountsdir
from daemon.running.identity import adopt_renamed

if TYPE_CHECKING:
    from daemon.running.engine import Connection, Engine

log = logging.getLogger(__name__)


class AccountsWatch:
    """The folder of account files of one engine, looked at before each of its polls."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.folder = engine.config.daemon.accounts_dir
        self.signature: accountsdir.Signature | None = None
        self._unreadable: str | None = None  # the last folder error, logged once
        if self.folder is not None:
            try:  # the engine was built from what the folder held when the config was loaded
                self.signature = accountsdir.signature(self.folder)
            except accountsdir.FolderError:
                self.signature = None

    def refresh(self) -> bool:
        """Look at the folder; hand the engine the new set of accounts if it changed. Returns
        whether it did."""
        if self.folder is None:
            return False
        try:
            now = accountsdir.signature(self.folder)
        except accountsdir.FolderError as err:
            if str(err) != self._unreadable:
                log.error("accounts_dir: %s; keeping the accounts running", err)
                self._unreadable = str(err)
            return False
        self._unreadable = None
        if now == self.signature:
            return False
        engine = self.engine
        config = engine.config
        main = tuple(a for a in config.accounts if a.source is None)
        try:
            found = accountsdir.read(self.folder, {a.name for a in main})
        except accountsdir.FolderError as err:
            log.error("accounts_dir: %s; keeping the accounts running", err)
            return False
        self.signature = found.signature
        for skipped in found.skipped:
            if skipped not in config.skipped:
                log.error("account file skipped: %s", "; ".join(skipped.problems))
        config = replace(config, accounts=main + found.accounts, skipped=found.skipped)
        engine.update_accounts(config, self._connections(config))
        return True

    def _connections(self, config) -> list[Connection]:  # noqa: ANN001 (a Config)
        from daemon.running.accounts import connect

        engine = self.engine
        old = engine.connections
        fresh = [a for a in config.accounts if a.name not in old or old[a.name].account != a]
        if fresh:
            # A file renamed its account: the new name takes the old one's history first.
            with engine.writer.session() as session:
                adopt_renamed(session, config)
                session.commit()
        out = []
        for account in config.accounts:
            current = old.get(account.name)
            if current is not None and current.account == account:
                out.append(current)
                continue
            log.info("account %s: %s", account.name, "changed" if current else "added")
            out.append(connect(config, account, engine.clock, writer=True))
        names = {a.name for a in config.accounts}
        for name in old:
            if name not in names:
                log.info("account %s: removed; its state stays in the store", name)
        return out
