"""Failed follow-ups that come back: by themselves once their cause is fixed, or on request.

At the start of each round of due work the engine calls :func:`heal`: a follow-up that failed
on a template or a config value (:mod:`daemon.drafting.failures`) and whose fingerprint differs from
the current one goes back to ``scheduled``, due at once, with the reason ("the template
changed since it failed: retrying"). If it fails again under the same new fingerprint it
stays failed: one attempt per change, never a loop. ``followupd retry``
(:mod:`daemon.corrections.retry`) reopens any failed follow-up the same way.

The time spent failed counts against ``max_lateness``: the follow-up keeps its original due
time, so a thank-you whose template was fixed within its window is drafted, and one fixed a
week later is not (a week-old thank-you reads worse than none); that one is skipped with the
reason instead of waiting failed for ever.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from daemon.config import Account, Config
from daemon.drafting.failures import HEALING, Fingerprints, what_changed
from daemon.drafting.rules import human, lateness_limit
from daemon.output.times import short
from daemon.store.models import FollowUp, State
from daemon.store.repository import transition

log = logging.getLogger(__name__)


def too_late(config: Config, fu: FollowUp, now: datetime) -> str | None:
    """Why ``fu`` can no longer be drafted, counted from its original due time; None if it can."""
    interview = fu.interview
    if interview.status != "active":
        return f"the interview is {interview.status}"
    limit = lateness_limit(config, fu)
    if now - fu.due_at > limit:
        return (
            f"it was due {short(fu.due_at, config.daemon.timezone)}, more than max_lateness "
            f"({human(limit)}) ago"
        )
    return None


def reopen(session: Session, fu: FollowUp, reason: str, now: datetime) -> None:
    """``fu`` (failed) is scheduled again, due now: its due time stays the one planned, which is
    past, so the next round drafts it and still measures its lateness from then."""
    fu.failure = fu.failure_fingerprint = None
    transition(session, fu, State.SCHEDULED, reason, now)


def _account(config: Config, name: str) -> Account | None:
    return next((a for a in config.accounts if a.name == name), None)


def heal(session: Session, config: Config, prints: Fingerprints, now: datetime) -> int:
    """Reopen the template and config failures whose cause changed; how many (the caller
    commits). Those past their window are skipped with the reason."""
    failed = session.scalars(
        select(FollowUp)
        .where(FollowUp.state == State.FAILED, FollowUp.failure.in_([str(f) for f in HEALING]))
        .order_by(FollowUp.id)
    ).all()
    reopened = 0
    for fu in failed:
        account = _account(config, fu.interview.account)
        if account is None:
            continue  # an account removed from the config: its work waits, untouched
        changed = what_changed(fu.failure_fingerprint, prints.of(account))
        if changed is None:
            continue
        late = too_late(config, fu, now)
        if late is not None:
            why = f"{changed} changed since it failed, but {late}: not drafted"
            transition(session, fu, State.SKIPPED, why, now)
            log.info("follow-up %s not retried: %s", fu.id, why)
            continue
        reopen(session, fu, f"{changed} changed since it failed: retrying", now)
        log.info("follow-up %s: %s changed since it failed; retrying", fu.id, changed)
        reopened += 1
    return reopened


__all__ = ["heal", "reopen", "too_late"]
