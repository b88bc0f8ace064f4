"""What a status inquiry replies to, and when its clock starts: a message the user really sent.

A status inquiry asks "is there an update?" about something the user said. Without a message
the user sent, there is nothing to follow up on: asking a company about its timeline before
ever thanking it reads as impatient, and a new conversation cannot be a reply (RUBRIC.md items
13 and 14). So the first inquiry of an interview waits for its BASIS, one of:

- our thank-you, once the user sent it (a deleted draft is the same as an unsent one);
- a message of the user's own, written in any client and found in a Sent folder
  (``interviews.own_message``, recorded by :mod:`daemon.running.sentwatch`): to an interviewer or any
  address at the company's domains, sent after the interview *began*. Began, not ended:
  the calendar's end is the scheduled one, and a thank-you written when a call ended early,
  or a portfolio link sent during it, is still mail about this interview.

The inquiry replies in the basis's thread, and its clock (``[status_inquiry].after_business_days``)
starts at the basis's real send time. A later inquiry replies to the one before it, as sent.

While nothing was sent the inquiry stays ``scheduled`` with ``due_at`` at the end of the wait
(:data:`WAIT_FOR_SENT` after the interview); reaching it without a basis, it is skipped with
that reason (:func:`daemon.drafting.drafter.skip_reason`). ``status`` shows :func:`waiting_text`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from daemon.output.times import day
from daemon.planning.decision import expected_decision
from daemon.protocols import ReplyTarget, SentMessage
from daemon.store.models import FollowUp, Interview, Interviewer, Kind, State

log = logging.getLogger(__name__)

# How long after an interview a waiting inquiry keeps looking for something the user sent.
# A thank-you goes out within a day or two; a first message a month later starts no inquiry
# worth sending, and the process has usually moved on (or gone quiet) by then.
WAIT_FOR_SENT = timedelta(days=30)


@dataclass(frozen=True)
class Basis:
    """The sent message an inquiry replies to, when it went out, and to whom."""

    target: ReplyTarget
    sent_at: datetime
    to: str  # the address it was sent to: the inquiry goes to the same person
    name: str | None = None  # their display name, when known
    ours: bool = True  # our thank-you (or inquiry), or the user's own message


def own_record(
    message: SentMessage, to: str, name: str | None, found_at: datetime
) -> dict[str, Any]:
    """``interviews.own_message`` for ``message`` (JSON: plain strings and lists)."""
    return {
        "message_id": message.message_id,
        "sent_at": message.sent_at.isoformat(),
        "subject": message.subject,
        "thread_id": message.thread_id,
        "provider_id": message.provider_id,
        "references": list(message.references),
        "to": to,
        "name": name,
        "found_at": found_at.isoformat(),
    }


def own_basis(data: Any) -> Basis | None:
    """The user's own message recorded on the interview; None when there is none or the record
    cannot be read (then the inquiry keeps waiting, and the next scan records it again)."""
    if not isinstance(data, dict):
        return None
    try:
        sent_at = datetime.fromisoformat(str(data["sent_at"]))
        message_id = str(data["message_id"])
        to = str(data["to"])
    except (KeyError, ValueError, TypeError):
        log.warning("ignoring an unreadable own_message record: %.200r", data)
        return None
    if sent_at.tzinfo is None or not message_id:
        return None

    def text(key: str) -> str | None:
        value = data.get(key)
        return str(value) if isinstance(value, str) and value else None

    refs = data.get("references")
    return Basis(
        target=ReplyTarget(
            message_id=message_id,
            thread_id=text("thread_id"),
            provider_id=text("provider_id"),
            subject=text("subject") or "",
            references=tuple(str(r) for r in refs) if isinstance(refs, list) else (),
        ),
        sent_at=sent_at,
        to=to,
        name=text("name"),
        ours=False,
    )


def _sent_basis(fu: FollowUp) -> Basis | None:
    """Our follow-up as the user sent it, when the mailbox told us its Message-ID."""
    if fu.sent_at is None or not fu.sent_message_id:
        return None
    return Basis(
        target=ReplyTarget(
            message_id=fu.sent_message_id,
            thread_id=fu.thread_id,
            provider_id=fu.sent_provider_id,
            subject=fu.subject or "",
            references=tuple(fu.sent_references or ()),
        ),
        sent_at=fu.sent_at,
        to=fu.interviewer.email,
        name=fu.interviewer.name,
    )


def first_basis(interview: Interview, contact: Interviewer | None) -> Basis | None:
    """What the first inquiry replies to: the sent thank-you to ``contact`` (its own thread),
    else the earliest of the other sent thank-yous and the user's own message."""
    thanks = [
        basis
        for fu in interview.followups
        if fu.kind == Kind.THANK_YOU and (basis := _sent_basis(fu)) is not None
    ]
    own = next((b for b in thanks if contact is not None and b.to == contact.email), None)
    if own is not None:
        return own
    found = thanks + [b for b in (own_basis(interview.own_message),) if b is not None]
    return min(found, key=lambda b: b.sent_at) if found else None


def basis_for(fu: FollowUp) -> Basis | None:
    """What inquiry ``fu`` replies to: the first one the basis of its interview, a later one
    the inquiry before it as sent (addressed, like the first, to the basis's recipient)."""
    interview = fu.interview
    first = first_basis(interview, fu.interviewer)
    if fu.seq <= 1 or first is None:
        return first
    previous = next(
        (
            other
            for other in interview.followups
            if other.kind == Kind.STATUS_INQUIRY and other.seq == fu.seq - 1
        ),
        None,
    )
    sent = _sent_basis(previous) if previous is not None else None
    if sent is None:
        return first
    return Basis(sent.target, sent.sent_at, first.to, first.name, ours=True)


def is_waiting(fu: FollowUp) -> bool:
    """A first inquiry still waiting for something the user sent."""
    return (
        fu.kind == Kind.STATUS_INQUIRY
        and fu.seq == 1
        and fu.state == State.SCHEDULED
        and first_basis(fu.interview, fu.interviewer) is None
    )


def _day(interview: Interview, tz: str) -> str:
    local = interview.start_at.astimezone(ZoneInfo(tz))
    return f"{local.day} {local:%B}"


def wait_until(interview: Interview, tz: str) -> datetime:
    """The end of a waiting inquiry's wait: :data:`WAIT_FOR_SENT` after the interview, or the
    day after a decision the user expects later than that."""
    until = interview.end_at + WAIT_FOR_SENT
    decided = expected_decision(interview, tz)
    if decided is not None:
        after = datetime.combine(decided + timedelta(days=1), time(12, 0), tzinfo=ZoneInfo(tz))
        until = max(until, after)
    return until


def waiting_text(
    fu: FollowUp,
    tz: str,
    after_business_days: int,
    decision_due: datetime | None = None,
    shown: str | None = None,
) -> str:
    """Why a waiting inquiry waits and what would start it, for ``status`` (reckoned in the
    interview's zone ``tz``, its days said in the user's zone ``shown``):

    "waiting: nothing sent to Globex about the 3 March interview yet; the inquiry follows 5
    business days after you send the thank-you (or any mail to maria.garcia@globex.example)"
    """
    interview = fu.interview
    company = interview.company_override or interview.company or interview.title
    thanks = [f for f in interview.followups if f.kind == Kind.THANK_YOU]
    unsent = [f for f in thanks if f.state in (State.SCHEDULED, State.CREATING, State.DRAFTED)]
    deleted = [f for f in thanks if f.state == State.DONE and f.sent_at is None]
    # The base domain (process.domains also holds hosts: acme.example, jobs.acme.example).
    domain = min(interview.process.domains or [""], key=lambda d: (len(d), d))
    anyone = f"any mail to {fu.interviewer.email}" + (f" or anyone at {domain}" if domain else "")
    start = f"after you send the thank-you (or {anyone})" if unsent else f"after you send {anyone}"
    deleted_text = "you deleted the thank-you draft; " if deleted and not unsent else ""
    shown = shown or tz
    until = day(wait_until(interview, tz), shown)
    when = f"follows {after_business_days} business days {start}"
    decided = expected_decision(interview, tz)
    if decision_due is not None and decided is not None:
        when = (
            f"follows on {day(decision_due, shown)}, after the decision expected on "
            f"{decided.isoformat()}, once you send the thank-you (or "
            f"{anyone})"
        )
    return (
        f"waiting: nothing sent to {company} about the {_day(interview, shown)} interview yet; "
        f"{deleted_text}the inquiry {when}; followupd looks in Sent until {until}"
    )


def gave_up_text(fu: FollowUp, tz: str, shown: str | None = None) -> str:
    """Why a first inquiry is skipped once the wait is over without anything sent (reckoned
    in ``tz``, said in ``shown``)."""
    interview = fu.interview
    company = interview.company_override or interview.company or interview.title
    shown = shown or tz
    until = day(wait_until(interview, tz), shown)
    return (
        f"nothing was sent to {company} about the {_day(interview, shown)} interview by {until}: "
        "no status inquiry without a message of yours to follow up"
    )
