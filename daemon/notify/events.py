"""What followupd tells the user, as values, worded for a phone's or a desktop's notification.

Short and actionable: each message names the thing and the command that acts on it. The
wording lives here, apart from how it is delivered (the notifiers) and from how the store is
read (watch.py), so that it can be read and changed in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from daemon.output.times import zoned

INTERVIEW_ENDED = "interview_ended"
DRAFTS_CREATED = "drafts_created"
NEEDS_AUTH = "needs_auth"
FOLLOWUP_FAILED = "followup_failed"
TEST = "test"

MAX_NAMES = 3  # more interviewers than this are counted, not listed
MAX_REASON = 160  # a failure's reason, cut: the whole of it is in `followupd status`


@dataclass(frozen=True)
class Event:
    kind: str  # one of the constants above; FOLLOWUPD_EVENT for a command hook
    title: str  # a desktop notification's summary, a push message's title
    message: str  # the sentence the user acts on
    interview: int | None = None
    account: str | None = None

    def environment(self) -> dict[str, str]:
        """The event as a command hook receives it."""
        return {
            "FOLLOWUPD_EVENT": self.kind,
            "FOLLOWUPD_TITLE": self.title,
            "FOLLOWUPD_MESSAGE": self.message,
            "FOLLOWUPD_INTERVIEW": "" if self.interview is None else str(self.interview),
            "FOLLOWUPD_ACCOUNT": self.account or "",
        }


@dataclass(frozen=True)
class Failure:
    """A follow-up that entered ``failed`` this round, in the words the message needs."""

    kind: str  # thank_you, status_inquiry
    to: str  # the interviewer's name, else address
    company: str
    reason: str
    interview: int
    account: str


def listed(names: Sequence[str]) -> str:
    """'Jane Smith', 'Jane Smith, Raj Patel', 'Jane Smith, Raj Patel, Li Wu and 2 more'."""
    if len(names) <= MAX_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:MAX_NAMES])} and {len(names) - MAX_NAMES} more"


def interview_ended(
    interview: int,
    account: str,
    company: str | None,
    title: str,
    names: Sequence[str],
    notes_until: datetime,
    ended: datetime,
    tz: str,
) -> Event:
    """'Interview with Acme (Jane Smith, Raj Patel) ended — add notes before 15:30 CET:
    followupd note 3'. ``notes_until`` is when the first thank-you is due; a notification
    stands alone, so its time names its zone (``tz``, the user's)."""
    what = f"Interview with {company}" if company else f"Interview “{title}”"
    who = f" ({listed(names)})" if names else ""
    until = zoned(notes_until, tz, today=ended)
    return Event(
        INTERVIEW_ENDED,
        "Interview ended: notes wanted",
        f"{what}{who} ended — add notes before {until}: followupd note {interview}",
        interview=interview,
        account=account,
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def drafts_created(
    thank_yous: int,
    inquiries: int,
    accounts: Sequence[str],
    interviews: Sequence[int],
    named: bool = False,
) -> Event:
    """'2 thank-you drafts are waiting in Drafts': in which account(s) is said when ``named``
    (the config has several, so "Drafts" alone would not say where to look)."""
    parts = []
    if thank_yous:
        parts.append(_count(thank_yous, "thank-you draft", "thank-you drafts"))
    if inquiries:
        parts.append(_count(inquiries, "status inquiry", "status inquiries"))
    verb = "is" if thank_yous + inquiries == 1 else "are"
    where = "Drafts"
    if named:
        where += f" ({'account' if len(accounts) == 1 else 'accounts'} {', '.join(accounts)})"
    return Event(
        DRAFTS_CREATED,
        "Drafts to review and send",
        f"{' and '.join(parts)} {verb} waiting in {where}",
        interview=interviews[0] if len(interviews) == 1 else None,
        account=accounts[0] if len(accounts) == 1 else None,
    )


def needs_auth(account: str, fix: str | None) -> Event:
    return Event(
        NEEDS_AUTH,
        "followupd needs you to sign in again",
        f"Account {account} needs re-authorization — run: {fix or f'followupd auth {account}'}",
        account=account,
    )


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _which(failure: Failure) -> str:
    kind = "thank-you" if failure.kind == "thank_you" else "status inquiry"
    return f"the {kind} to {failure.to} ({failure.company})"


def followups_failed(failures: Sequence[Failure]) -> Event:
    """One event per round, however many failed: the first one's reason, and where to look."""
    first = failures[0]
    which = _which(first)
    if len(failures) == 1:
        text = f"{which[0].upper()}{which[1:]} could not be drafted: {_cut(first.reason)}"
    else:
        text = f"{len(failures)} follow-ups could not be drafted; {which}: {_cut(first.reason)}"
    interviews = {f.interview for f in failures}
    accounts = {f.account for f in failures}
    return Event(
        FOLLOWUP_FAILED,
        "A follow-up could not be drafted",
        f"{text} — see: followupd status",
        interview=first.interview if len(interviews) == 1 else None,
        account=first.account if len(accounts) == 1 else None,
    )


def test() -> Event:
    return Event(
        TEST,
        "followupd test notification",
        "This is how followupd tells you that an interview ended and your notes are wanted.",
    )
