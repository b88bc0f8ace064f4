"""TEST HOOK: kill this process with SIGKILL at its N-th checkpoint (crash-safety tests only).

``tests/test_crash_campaign.py`` runs the real daemon in subprocesses and crashes them at chosen,
reproducible moments. With ``FOLLOWUPD_FAULTS`` set, the store counts a checkpoint after every
flush and before and after every commit, and calendar sources and mailboxes are wrapped so each
protocol call counts one before and one after. Values, comma-separated:

- ``kill-at:N``   SIGKILL this very process at checkpoint N (1-based): no cleanup, no rollback,
                  no atexit, exactly like the OOM killer or a power cut;
- ``kill-on:NAME`` the same at the first checkpoint called NAME (see the trace for names);
- ``trace:PATH``  append ``<n> <checkpoint>`` to PATH at every checkpoint, unbuffered, so the
                  line of the fatal checkpoint is on disk before the kill.

Unset (always, outside tests) nothing is registered and nothing is wrapped: zero cost.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

ENV = "FOLLOWUPD_FAULTS"
_lock = threading.RLock()
_plan: dict[str, Any] = {}


def active() -> bool:
    return bool(os.environ.get(ENV))


def _load() -> dict[str, Any]:
    if not _plan:
        _plan.update(count=0, kill_at=None, kill_on=None, trace=None, written=set())
        for part in filter(None, (p.strip() for p in os.environ.get(ENV, "").split(","))):
            name, _, value = part.partition(":")
            if name == "kill-at" and value.isdigit() and int(value) > 0:
                _plan["kill_at"] = int(value)
            elif name == "kill-on" and value:
                _plan["kill_on"] = value
            elif name == "trace" and value:
                _plan["trace"] = os.open(value, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            else:
                raise ValueError(
                    f"{ENV}: expected 'kill-at:N' (N >= 1), 'kill-on:NAME' and/or 'trace:PATH' "
                    f"separated by commas, got {part!r}"
                )
    return _plan


def checkpoint(name: str) -> None:
    with _lock:
        plan = _load()
        plan["count"] += 1
        if plan["trace"] is not None:
            os.write(plan["trace"], f"{plan['count']} {name}\n".encode())
        if plan["count"] == plan["kill_at"] or name == plan["kill_on"]:
            os.kill(os.getpid(), signal.SIGKILL)


def _written() -> str:
    return "+".join(sorted(_load()["written"])) or "-"


def _flushed(session: Any, _context: Any) -> None:
    """Name what the transaction wrote so far: tables, and the states follow-ups moved to."""
    from daemon.store.repository import writes_history

    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__tablename__", type(obj).__name__)
        state = getattr(obj, "state", None) if table == "followups" else None
        _load()["written"].add(f"{table}={state}" if state else table)
    if writes_history(session):
        _load()["written"].add("transitions")
    checkpoint(f"db.flushed {_written()}")


def _committed(_session: Any) -> None:
    done, _load()["written"] = _written(), set()
    checkpoint(f"db.committed {done}")


def _rolled_back(_session: Any) -> None:
    _load()["written"] = set()


def watch_sessions(factory: Any) -> None:
    """Checkpoints around every commit of the sessions ``factory`` (a sessionmaker) makes."""
    from sqlalchemy import event

    event.listen(factory, "after_flush", _flushed)
    event.listen(factory, "before_commit", lambda _s: checkpoint("db.before_commit"))
    event.listen(factory, "after_commit", _committed)
    event.listen(factory, "after_rollback", _rolled_back)


class _Counting:
    """A calendar source or mailbox whose every public method call is two checkpoints."""

    def __init__(self, inner: Any, side: str) -> None:
        self._inner, self._side = inner, side

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        # A watch (daemon/running/wakeups.py) starts in the service, outside any unit of work:
        # counted, it would move every checkpoint after it.
        if name.startswith("_") or name == "watch" or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            checkpoint(f"{self._side}.{name} before")
            result = attr(*args, **kwargs)
            checkpoint(f"{self._side}.{name} after")
            return result

        return call


def wrap(inner: Any, side: str) -> Any:
    return _Counting(inner, side) if inner is not None and active() else inner
