"""Build each account's calendar source and mailbox from the config, through the registry.

An account whose provider cannot be set up (a missing client file, a library that fails to
import) becomes a :class:`~daemon.running.engine.Connection` carrying the error: the other accounts
still run, and ``status`` says what is wrong with this one.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from daemon import faults
from daemon.clock import Clock
from daemon.config import Account, Config
from daemon.errors import ConnectorError, FollowupdError
from daemon.paths import StateDirError, private_dir, state_directory
from daemon.protocols import AccountContext
from daemon.registry import provider
from daemon.resources import resource
from daemon.running.engine import Connection
from daemon.running.identity import adopt_renamed
from daemon.running.sharing import SharedLock
from daemon.store import repository as repo

log = logging.getLogger(__name__)


def context(config: Config, account: Account, clock: Clock) -> AccountContext:
    state_directory(config.daemon.state_dir)  # names the setting when the folder is unusable
    folder = config.daemon.state_dir / "accounts" / account.name
    try:
        private_dir(folder)
    except OSError as err:
        raise StateDirError(
            f"cannot create {folder} ({err.strerror}); expected [daemon].state_dir to be a "
            "folder followupd can write to"
        ) from None
    return AccountContext(
        name=account.name,
        addresses=account.addresses,
        state_dir=folder,
        clock=clock,
        timezone=config.daemon.timezone,
    )


def connect(config: Config, account: Account, clock: Clock, writer: bool = False) -> Connection:
    """The account's connectors. A ``writer`` (the daemon, ``run --once``) also gets the lock
    that keeps other followupd instances off its mailbox (:mod:`daemon.running.sharing`)."""
    ctx = context(config, account, clock)
    try:
        calendar = _open(ctx, account, "calendar")
        mailbox = _open(ctx, account, "mailbox")
        lock = mailbox_lock(config, account) if writer else None
    except FollowupdError as err:
        log.error("%s: cannot set up: %s", account.name, err)
        return Connection(account, None, None, err)
    # Counted by the crash-safety test hook when FOLLOWUPD_FAULTS is set; as is otherwise.
    return Connection(
        account, faults.wrap(calendar, "calendar"), faults.wrap(mailbox, "mailbox"), lock=lock
    )


def mailbox_lock(
    config: Config, account: Account, kind: type[SharedLock] = SharedLock
) -> SharedLock:
    """The lock of the account's mailbox, naming this config's state as the one that follows
    it (``kind``: :class:`~daemon.running.sharing.ClaimCheck` for a dry run)."""
    from sqlalchemy.engine import make_url

    try:  # the database names the state; never its password
        state = make_url(config.daemon.database).render_as_string(hide_password=True)
    except Exception:  # the store reports a bad URL itself
        state = config.daemon.database.rpartition("@")[2]
    return kind(resource(account, "mailbox"), state, f"pid {os.getpid()}")


def _open(ctx: AccountContext, account: Account, side: str) -> Any:
    """The account's calendar source or mailbox, as its provider builds it."""
    section = getattr(account, side)
    try:
        return getattr(provider(section.provider), side)(
            ctx, section.options, account.options_for(section.provider)
        )
    except ImportError as err:  # providers load their SDKs here, when first needed
        raise ConnectorError(
            f"{section.provider} {side}: a library it needs cannot be loaded ({err}); expected "
            "followupd's dependencies installed (python3 -m pip install --force-reinstall followupd)"
        ) from err


def connect_all(
    config: Config, clock: Clock, sessions: sessionmaker[Session] | None = None
) -> list[Connection]:
    """Every account, set up to write drafts. With the store's ``sessions``, an account the
    config renamed first takes over its history and tokens (:func:`daemon.running.identity.adopt_renamed`)."""
    if sessions is not None:
        with sessions() as session:
            repo.one_at_a_time(session, "followupd: adopt renamed accounts")  # instances
            adopt_renamed(session, config)
            session.commit()
    return [connect(config, account, clock, writer=True) for account in config.accounts]
