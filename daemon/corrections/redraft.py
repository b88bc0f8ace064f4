"""``followupd redraft``: the user's later notes and corrections, in a draft that exists already.

Notes added after a draft was made, a corrected company or role, a template change: the
draft in the mailbox does not have them. ``preview`` shows the difference (:func:`compare`,
offline: it compares with ``followups.draft_text``, the body as followupd wrote it), and
``redraft`` writes the new version, on the user's request only:

- it replaces our draft only when the user has not touched it: still a draft, and still what
  followupd wrote (:func:`daemon.drafting.edits.untouched`; the mailbox is asked, ``read_draft``);
- a draft the user edited is theirs: it is refused, or with ``--keep`` a new draft is added
  beside it and nothing is deleted; a draft already sent or deleted is refused either way.

**The daemon never edits or deletes a draft on its own.** The one deletion in followupd is the
last step of a redraft the user asked for, of a draft that is verifiably untouched.

Exactly one draft, across crashes: the redraft is an ordinary drafting of the follow-up's next
revision (a new KEY, so a new Message-ID), through :class:`daemon.drafting.drafter.Drafter`:

1. verify the draft is untouched (nothing written yet);
2. commit the intent: ``revision + 1`` and ``creating``; the follow-up still names the old draft
   (``draft_id``), or with ``--keep`` names none, since none is to be deleted;
3. find the new revision's draft, or create it;
4. read the old draft again and delete it only if it is still untouched;
5. commit ``drafted`` with the new draft and its text.

The new draft is made before the old one goes: killed between 3 and 5, the user sees two
drafts until the next run, never none. Any run (the daemon, ``run --once``, another
``redraft``) finishes an interrupted redraft as it finishes any interrupted creation: it finds
the new draft by its KEY rather than making a second one, and step 4 then retires the old one,
unless the user edited it in the meantime (then it stays beside the new one, and the history
says so). Steps 3 to 5 are done by whoever holds the state's instance lock and the mailbox's
lock: the command itself when no daemon runs (as ``run --once`` does), else the running daemon,
which finishes the committed intent in its next round (within its one-minute recheck), so the
two never draft or check the same follow-up at once.

After a redraft the follow-up follows the new draft: sent, it starts the status inquiry as any
sent thank-you does; deleted, it is done. A draft kept beside (``--keep``) is no longer
followupd's: if the user sends that one instead, it is a message they sent to the company, which
starts a waiting inquiry as anything they write does (:mod:`daemon.running.sentwatch`); the new
draft stays until they delete it.
"""

from __future__ import annotations

import difflib
import enum
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from daemon.drafting.drafter import (
    REDRAFTED,
    REDRAFTED_BESIDE,
    REDRAFTED_EDITED,
    REDRAFTED_GONE,
    Drafter,
    request_key,
)
from daemon.drafting.edits import same_text, untouched, words
from daemon.errors import BadItem, FollowupdError, TemplateError
from daemon.output.times import day, zoned
from daemon.protocols import DraftRef, DraftRequest
from daemon.store.models import FollowUp, Interview, State
from daemon.store.repository import transition


@dataclass(frozen=True)
class Comparison:
    """A drafted follow-up's draft as followupd wrote it, and what a redraft would write."""

    subject: str | None  # as written; None when unknown
    text: str | None  # as written; None for drafts made before followupd kept it (0006)
    request: DraftRequest  # what a redraft would write

    @property
    def known(self) -> bool:
        return self.text is not None

    @property
    def same(self) -> bool:
        """Nothing a reader would notice changed (whitespace aside)."""
        if self.text is None:
            return False
        subject = words(self.subject or "") == words(self.request.subject)
        return subject and same_text(self.request.text, self.text)

    def diff(self, width: int = 76, context: int = 1) -> list[str]:
        """A compact unified diff of the written draft and the redraft, subject included, with
        paragraphs wrapped at ``width`` first: a changed word shows as one changed line, in a
        terminal of 80 columns and in a pipe alike."""
        before = _lines(self.subject or "", self.text or "", width)
        after = _lines(self.request.subject, self.request.text, width)
        lines = difflib.unified_diff(
            before, after, "in your mailbox", "a redraft", n=context, lineterm=""
        )
        return list(lines)


def _lines(subject: str, text: str, width: int) -> list[str]:
    wrapped = [f"Subject: {subject}", ""]
    for line in text.splitlines():
        wrapped += textwrap.wrap(line, width, break_long_words=False) or [""]
    return wrapped


def compare(session: Session, drafter: Drafter, fu: FollowUp) -> Comparison:
    """What a redraft of ``fu`` would write, beside what was written (no mailbox access)."""
    return Comparison(fu.subject, fu.draft_text, drafter.request(session, fu))


class Result(enum.StrEnum):
    REPLACED = "replaced"
    ADDED = "added beside"
    UP_TO_DATE = "up to date"
    REFUSED = "refused"
    NOT_DRAFTED = "not drafted"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    FINISHED = "finished"  # an interrupted drafting, completed
    HANDED_OVER = "handed over"  # verified and committed; the running daemon writes it


@dataclass(frozen=True)
class Outcome:
    followup: int
    to: str
    kind: str
    result: Result
    message: str

    @property
    def refused(self) -> bool:
        """The user asked for something that did not happen (the exit status says so)."""
        return self.result in (Result.REFUSED, Result.FAILED, Result.INTERRUPTED)


def chosen(interview: Interview, about: str | None) -> list[FollowUp]:
    """The follow-ups of ``interview`` a redraft is about: all, or those of one interviewer."""
    if about is None:
        return list(interview.followups)
    wanted = about.strip().lower()
    if not any(p.email == wanted for p in interview.interviewers):
        known = ", ".join(p.email for p in interview.interviewers) or "none"
        raise FollowupdError(
            f"--about {about}: interview {interview.id} has no interviewer with that address; "
            f"expected one of: {known}"
        )
    return [fu for fu in interview.followups if fu.interviewer.email == wanted]


def redraft(
    session: Session,
    drafter: Drafter,
    followups: list[FollowUp],
    keep: bool,
    now: datetime,
    finish: bool = True,
) -> Iterator[Outcome]:
    """Redraft each of ``followups`` that has a draft, and say for each what happened.

    With ``finish`` False (a daemon is running on this state: it holds the mailbox), only the
    checks and the intent are done here; the daemon's next round of due work writes the new
    draft and retires the old one, as it finishes any interrupted redraft."""
    for fu in followups:
        result, message = _redraft_one(session, drafter, fu, keep, now, finish)
        yield Outcome(fu.id, fu.interviewer.email, fu.kind.replace("_", "-"), result, message)


def _redraft_one(
    session: Session, drafter: Drafter, fu: FollowUp, keep: bool, now: datetime, finish: bool
) -> tuple[Result, str]:
    if fu.state == State.CREATING and not finish:
        return Result.HANDED_OVER, HANDED_OVER
    if fu.state == State.CREATING:  # interrupted (a redraft, or a first drafting): finish it
        return _finish(session, drafter, fu, now)
    if fu.state != State.DRAFTED:
        return Result.NOT_DRAFTED, why_not(fu, drafter.config.daemon.timezone)
    try:
        comparison = compare(session, drafter, fu)
    except (TemplateError, BadItem) as err:  # the draft in the mailbox stays as it is
        return Result.FAILED, f"not redrafted: the new version cannot be written: {err}"
    if comparison.same:
        return Result.UP_TO_DATE, "already up to date: nothing to redraft"
    ref = DraftRef(id=fu.draft_id or "", thread_id=fu.thread_id, message_id=fu.message_id)
    found = drafter.mailbox.read_draft(ref, request_key(fu))
    if found is None:
        return Result.REFUSED, (
            "not redrafted: the draft is no longer in your Drafts, so you already sent or "
            "deleted it (the next run records which)"
        )
    if not keep and fu.draft_text is None:
        return Result.REFUSED, (
            "not redrafted: this draft was made before followupd kept a copy of what it "
            "wrote, so it cannot tell whether you edited it; your draft is kept. Use --keep "
            "to add the new version beside it"
        )
    if not keep and not untouched(found, fu.subject, fu.draft_text):
        return Result.REFUSED, (
            "not redrafted: you edited the draft in your mailbox; your edits are kept. Use "
            "--keep to add the new version beside it"
        )
    old = fu.draft_id
    fu.revision = (fu.revision or 0) + 1
    if keep:
        fu.draft_id = None  # nothing to retire: the draft stays the user's, beside the new one
        reason = f"redrafting on your request: a new draft beside draft {old}"
    else:
        reason = f"redrafting on your request: replacing draft {old}"
    transition(session, fu, State.CREATING, reason, now)
    session.commit()  # the durable intent: from here on any run finishes it
    if not finish:
        return Result.HANDED_OVER, HANDED_OVER
    return _finish(session, drafter, fu, now)


HANDED_OVER = (
    "checked; the running followupd writes the new version within a minute or so "
    "('followupd status' shows when it is done)"
)


def _finish(session: Session, drafter: Drafter, fu: FollowUp, now: datetime) -> tuple[Result, str]:
    try:
        drafter.draft(session, fu, now)
    except FollowupdError as err:
        session.rollback()
        return Result.INTERRUPTED, (
            f"interrupted ({err}); nothing is lost: the next run of followupd finishes it"
        )
    if fu.state != State.DRAFTED:
        return Result.FAILED, f"not redrafted: {fu.state}: {fu.reason}"
    return _ENDINGS.get(fu.reason or "", (Result.FINISHED, f"finished: {fu.reason}"))


_ENDINGS = {
    REDRAFTED: (Result.REPLACED, "replaced the draft in your mailbox with the new version"),
    REDRAFTED_BESIDE: (
        Result.ADDED,
        "added the new version as a second draft beside the one in your mailbox; send the "
        "one you like and delete the other",
    ),
    REDRAFTED_EDITED: (
        Result.ADDED,
        "added the new version; you edited the earlier draft meanwhile, so it stays beside it",
    ),
    REDRAFTED_GONE: (
        Result.REPLACED,
        "wrote the new version (the earlier draft was no longer in your Drafts)",
    ),
}


def why_not(fu: FollowUp, tz: str) -> str:
    """Why a follow-up that is not ``drafted`` has no draft to redraft (times in ``tz``)."""
    if fu.state == State.SCHEDULED:
        return (
            f"not drafted yet (due {zoned(fu.due_at, tz)}): it will use your notes "
            "and corrections when it is"
        )
    if fu.state == State.DONE and fu.sent_at is not None:
        return f"you already sent it on {day(fu.sent_at, tz)}: nothing to redraft"
    if fu.state == State.DONE:
        return "you deleted its draft, and followupd does not bring it back"
    return f"{fu.state}: {fu.reason or 'no reason recorded'}; nothing to redraft"
