"""One daemon per state, and one state per mailbox, across followupd instances.

:class:`InstanceLock` keeps two daemons off one state folder (and so one database). It cannot
see a second instance with another state dir (another ``XDG_STATE_HOME``, another
user, a container) serving the same Maildir: each would believe the other's drafts are not its
own and draft them again. So what is shared is locked where it lives: a Maildir in its own root
(``.followupd.lock``, a name no Maildir reader takes for a folder), a Google or Microsoft
mailbox in the user's runtime directory, keyed by the resource's identity.

The lock is an ``flock`` held for the life of the process: it goes when the process goes, even
on SIGKILL, so a crashed instance never blocks the next one. An instance that finds the mailbox
taken leaves that account alone (``status`` says who holds it) and tries again at every poll.

The lock file in a Maildir also names the state that follows the mailbox (its database), and
keeps naming it after the process is gone: a second state, taking turns with the first, would
not know which drafts the user deleted and would bring them back. So an instance with another
state refuses the Maildir even while the first one is stopped, and says how to hand it over
(delete the file). The runtime dir of a remote mailbox's lock is emptied at every boot and is
per login, so there only the running instance counts: a claim found there is ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from pathlib import Path

from daemon.errors import ConnectorError, FollowupdError
from daemon.paths import StateDirError, private_dir, state_directory
from daemon.protocols import Resource
from daemon.worlderrors import explain

LOCK_NAME = ".followupd.lock"

# Locks this process holds, by path: an account that is set up again (a config reload) must
# find its own lock, not a stranger's. flock() is per open file, so a second open of the same
# file in one process would see itself as "another instance".
_held: dict[Path, int] = {}
_held_lock = threading.Lock()


def _locked(fd: int) -> bool:
    """Take the exclusive ``flock`` of an open lock file, or say it is taken. It goes with the
    process, even on SIGKILL: a crashed instance never blocks the next one."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read(fd: int) -> list[str]:
    """The lines of a lock file (what the holder wrote about itself)."""
    try:
        data = os.pread(fd, 4096, 0)
    except OSError:
        return []
    return [line.strip() for line in data.decode(errors="replace").splitlines() if line.strip()]


def _write(fd: int, text: str) -> None:
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode(), 0)


class AlreadyRunning(FollowupdError):
    pass


class InstanceLock:
    """One daemon per state directory, and one per SQLite file: two would race over the same
    drafts. The state folder's lock alone would let two configs with their own ``state_dir``
    but one ``[daemon].database`` file both run, so an SQLite database named by the config is
    locked too, in a file beside it (``state.db.lock``). Several instances on one PostgreSQL
    share out its accounts instead (:mod:`daemon.running.leases`)."""

    def __init__(self, state_dir: Path, database: str | None = None) -> None:
        self.path = state_dir / "followupd.lock"
        self.database = sqlite_file(database) if database else None
        self._fds: list[int] = []

    def __enter__(self) -> InstanceLock:
        state_directory(self.path.parent)
        try:
            self._fds.append(self._take(self.path, f"with state in {self.path.parent}"))
            if self.database is not None:
                self._take_database(self.database)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _take_database(self, database: Path) -> None:
        """Lock the SQLite file's lock. A folder where it cannot be made (read-only, not ours,
        missing) is one where SQLite cannot write its journal either: no other instance can
        write that database, and the store says what is wrong in its own words."""
        path = database.with_name(database.name + ".lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        os.close(fd)
        self._fds.append(self._take(path, f"on the state database file {database}"))

    @staticmethod
    def _take(path: Path, where: str) -> int:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as err:  # writable folder, but not this file (owned by someone else?)
            raise StateDirError(
                explain(err, f"the lock file {path}", "cannot open it", root=path.parent)
            ) from None
        if not _locked(fd):
            other = " ".join(_read(fd)) or "?"
            os.close(fd)
            raise AlreadyRunning(f"another followupd (pid {other}) is already running {where}")
        _write(fd, str(os.getpid()))
        return fd

    def __exit__(self, *_: object) -> None:
        while self._fds:
            os.close(self._fds.pop())


def sqlite_file(database: str) -> Path | None:
    """The file of an SQLite URL (``sqlite:////path/state.db``); None for anything else (a
    server, an in-memory database, a URL the store will refuse with its own message)."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database)
    except Exception:
        return None
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri"):
        return None
    return Path(url.database).resolve()


class MailboxBusy(ConnectorError):
    """Another followupd instance writes to this mailbox, or another state follows it."""


STATE_LINE = "state: "  # the first line of a lock file: the state that follows the mailbox


def runtime_dir() -> Path:
    """Where locks of remote mailboxes live: per user, shared by all of the user's instances."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        return Path(runtime) / "followupd"
    return Path("/tmp") / f"followupd-{os.getuid()}"


def lock_path(resource: Resource) -> Path:
    if resource.local_dir is not None:
        return resource.local_dir / LOCK_NAME
    digest = hashlib.sha256(resource.identity.encode("utf-8")).hexdigest()[:24]
    return runtime_dir() / f"{digest}.lock"


class SharedLock:
    """The lock of one shared resource; :meth:`acquire` may be called at every unit of work."""

    def __init__(self, resource: Resource, state: str, holder: str) -> None:
        self.resource = resource
        self.path = lock_path(resource)
        self.state = " ".join(state.split())  # the database that follows the mailbox
        self.holder = holder  # what another instance is told about us ("pid 12")

    @property
    def held(self) -> bool:
        with _held_lock:
            return self.path in _held

    def acquire(self) -> None:
        """Take the lock or raise :class:`MailboxBusy` naming the instance that has it."""
        with _held_lock:
            if self.path in _held:
                return
            if self.resource.local_dir is None:
                private_dir(self.path.parent)
            elif not self.path.parent.is_dir():
                return  # nothing there yet: the mailbox itself reports the missing folder
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as err:
                raise ConnectorError(
                    explain(
                        err,
                        f"the mailbox's lock {self.path}",
                        "cannot create it",
                        root=self.path.parent,
                    )
                ) from None
            if not _locked(fd):
                other = _read(fd)
                os.close(fd)
                who = ", ".join(other) or "another process"
                raise MailboxBusy(
                    f"{self.resource.identity} is served by another followupd instance ({who}); "
                    "this one leaves it alone, since two would draft everything twice. Stop "
                    "the other instance, or give each instance its own mailbox"
                ) from None
            found = _read(fd) if self.resource.local_dir is not None else []
            try:
                self._refuse_another_state(found)
            except MailboxBusy:
                os.close(fd)  # and with it the flock
                raise
            _write(fd, f"{STATE_LINE}{self.state}\n{self.holder}\n")
            _held[self.path] = fd

    def release(self) -> None:
        """Let the mailbox go while this process lives on: its account's lease went to another
        instance on the same PostgreSQL (:mod:`daemon.running.leases`), which may be on this
        host and must be able to take the lock. The lock file keeps naming the state."""
        with _held_lock:
            fd = _held.pop(self.path, None)
        if fd is not None:
            os.close(fd)  # and with it the flock

    def _refuse_another_state(self, found: list[str]) -> None:
        """Raise :class:`MailboxBusy` when the lock file's lines name another state."""
        claimed = found[0].removeprefix(STATE_LINE) if found else ""
        if found and found[0].startswith(STATE_LINE) and claimed != self.state:
            raise MailboxBusy(
                f"{self.resource.identity} is followed by another followupd state "
                f"({claimed}); this instance ({self.state}) leaves it alone, since it does "
                "not know which drafts that one made or you deleted. To move the mailbox "
                f"to this state for good, stop the other instance and delete {self.path}"
            )


class ClaimCheck(SharedLock):
    """What :meth:`SharedLock.acquire` would refuse, found without taking or writing the
    lock (``run --once --dry-run``): a mailbox another state follows. That this state's own
    service holds the lock right now is no reason to refuse a dry run."""

    def acquire(self) -> None:
        if self.resource.local_dir is None:
            return  # a runtime dir's claim is ignored anyway (see the module's docstring)
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return  # no claim yet (or none readable): a real run would make one
        try:
            found = _read(fd)
        finally:
            os.close(fd)
        self._refuse_another_state(found)
