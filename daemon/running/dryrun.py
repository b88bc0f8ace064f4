"""``run --once --dry-run``: the real engine, run so that it writes nothing.

What a dry run says must be what a real run would do, so it runs the same code, not a model of
it: the same poll and round of due work, against a private copy of the state
(:mod:`daemon.running.snapshot`) with mailboxes that read the real ones and only pretend to
write (:class:`DryMailbox`). Calendars are only ever read. So the providers
see read requests only; the database, the state folder, the mailboxes and calendars are left
as they were; no lock is taken (neither the state's nor a mailbox's): it works while the
service runs, and the service never waits for it. Notifications are off: nothing happened.

Sync cursors advance in the copy only: the next real poll still sees every change.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime

from daemon.clock import Clock
from daemon.config import Account, Config
from daemon.errors import FollowupdError
from daemon.protocols import (
    DraftContent,
    DraftRef,
    DraftRequest,
    DraftState,
    DraftStatus,
    InboundMessages,
    Mailbox,
    SentMessages,
)
from daemon.running.engine import Connection, Engine
from daemon.writing.render import Renderer

log = logging.getLogger(__name__)

DRY_ID = "dry-run:"  # the id of a draft a dry run pretends to have made


class DryMailbox:
    """A :class:`~daemon.protocols.Mailbox` that reads the real one and writes nothing.

    A draft it is asked to create is answered with a made-up reference, which it then knows
    as a draft (asked about it again in the same run, it says "still a draft"),
    exactly as the real mailbox would after creating it."""

    _ids = itertools.count(1)

    def __init__(self, real: Mailbox) -> None:
        self.real = real
        self._made: dict[str, tuple[DraftRef, DraftRequest]] = {}  # by key
        self.cursor_keeps_watch = getattr(real, "cursor_keeps_watch", False) is True

    def _mine(self, ref: DraftRef) -> DraftRequest | None:
        return next((req for made, req in self._made.values() if made.id == ref.id), None)

    def find_draft(self, key: str) -> DraftRef | None:
        if key in self._made:
            return self._made[key][0]
        return self.real.find_draft(key)

    def create_draft(self, request: DraftRequest) -> DraftRef:
        ref = DraftRef(id=f"{DRY_ID}{next(self._ids)}", message_id=request.message_id)
        self._made[request.key] = (ref, request)
        log.debug("dry run: would create the draft %s", request.key)
        return ref

    def draft_state(self, ref: DraftRef, key: str) -> DraftState:
        if self._mine(ref) is not None:
            return DraftState(DraftStatus.DRAFT)
        return self.real.draft_state(ref, key)

    def read_draft(self, ref: DraftRef, key: str) -> DraftContent | None:
        request = self._mine(ref)
        if request is not None:
            return DraftContent(subject=request.subject, text=request.text)
        return self.real.read_draft(ref, key)

    def delete_draft(self, ref: DraftRef, key: str) -> None:
        log.debug("dry run: would delete the draft %s", key)

    def messages_since(
        self,
        since: datetime,
        senders: Sequence[str],
        domains: Sequence[str],
        cursor: str | None = None,
    ) -> InboundMessages:
        return self.real.messages_since(since, senders, domains, cursor)

    def sent_since(
        self, since: datetime, recipients: Sequence[str], domains: Sequence[str]
    ) -> SentMessages:
        return self.real.sent_since(since, recipients, domains)

    def check(self) -> str:
        return self.real.check()


@contextlib.contextmanager
def dry_engine(config: Config, clock: Clock, renderer: Renderer) -> Iterator[Engine]:
    """An engine for ``config`` that writes nothing (see the module's docstring); its
    ``sessions`` read the copy of the state the run changed, until the block ends."""
    from daemon.running.accounts import connect
    from daemon.running.identity import adopt_renamed
    from daemon.running.snapshot import snapshot
    from daemon.store.database import open_store

    with snapshot(config) as copy, _logged_as_dry():
        sessions = open_store(copy.daemon.database)
        with sessions() as session:  # a renamed account takes over its history (in the copy)
            adopt_renamed(session, copy)
            session.commit()
        connections = [_dry(connect(copy, a, clock), config, a) for a in copy.accounts]
        try:
            yield Engine(copy, sessions, connections, clock, renderer)
        finally:
            bind = sessions.kw.get("bind")
            if bind is not None:
                bind.dispose()  # before the copy is deleted


class _DryLog(logging.Filter):
    """Marks every log line of a dry run as such: the engine and the connectors log what
    they do ("drafted thank_you for ..."), and in a dry run none of it was done."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and not record.msg.startswith(DRY_LOG):
            record.msg = DRY_LOG + record.msg
        return True


DRY_LOG = "dry run, nothing written: "


@contextlib.contextmanager
def _logged_as_dry() -> Iterator[None]:
    """:class:`_DryLog` on the handlers of the root logger (where every record ends up)
    for the length of the dry run."""
    mark, handlers = _DryLog(), list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(mark)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(mark)


def _dry(connection: Connection, config: Config, account: Account) -> Connection:
    """The account's connection with its mailbox made dry, and instead of the mailbox's lock
    the check of what taking it would refuse (:class:`~daemon.running.sharing.ClaimCheck`,
    for the real state: the copy's name would be "another state")."""
    from daemon.running.accounts import mailbox_lock
    from daemon.running.sharing import ClaimCheck

    if connection.mailbox is not None:
        connection.mailbox = DryMailbox(connection.mailbox)
        try:
            connection.lock = mailbox_lock(config, account, ClaimCheck)
        except FollowupdError as err:  # as connect() reports it for a real run
            return Connection(account, None, None, err)
    return connection
