"""``followupd retry``: the user asks for failed follow-ups to be tried again, now.

Any failure, whatever its cause (:mod:`daemon.drafting.failures`): a template or config failure also
heals by itself once the cause changes, but the user may have fixed something followupd does
not watch (a note, the calendar event, the mailbox). The follow-up keeps its planned due time,
so ``max_lateness`` still counts from then (:func:`daemon.running.healing.too_late`): what is
past its window stays failed and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from daemon.config import Config
from daemon.errors import FollowupdError
from daemon.running.healing import reopen, too_late
from daemon.store.models import FollowUp, Interview, State


@dataclass
class Retried:
    """What :func:`retry` did, follow-up by follow-up, in words for the user."""

    retried: list[str] = field(default_factory=list)
    not_retried: list[str] = field(default_factory=list)  # failed, left so: why (too late)
    not_failed: list[str] = field(default_factory=list)  # "thank-you to Jane Smith: drafted"


def label(fu: FollowUp) -> str:
    """'thank-you to Jane Smith <jane@acme.example>', 'status inquiry #1 to ...'."""
    what = "thank-you" if fu.kind == "thank_you" else f"status inquiry #{fu.seq}"
    person = fu.interviewer
    who = f"{person.name} <{person.email}>" if person.name else person.email
    return f"{what} to {who}"


def retry(
    config: Config, session: Session, interview: Interview, about: str | None, now: datetime
) -> Retried:
    """Schedule the failed follow-ups of ``interview`` (of ``about`` only, when given) again,
    due now (the caller commits)."""
    people = {p.email for p in interview.interviewers}
    if about is not None and about.lower() not in people:
        raise FollowupdError(
            f"{about} is not an interviewer of interview {interview.id} "
            f"(interviewers: {', '.join(sorted(people)) or 'none'})"
        )
    result = Retried()
    for fu in interview.followups:
        if about is not None and fu.interviewer.email != about.lower():
            continue
        if fu.state != State.FAILED:
            result.not_failed.append(f"{label(fu)}: {fu.state}")
            continue
        late = too_late(config, fu, now)
        if late is not None:
            result.not_retried.append(f"{label(fu)}: {late}")
            continue
        reopen(session, fu, "retried on request (followupd retry)", now)
        result.retried.append(label(fu))
    interview.updated_at = now
    return result
