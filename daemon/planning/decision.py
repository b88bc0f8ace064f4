"""When the company said it would decide, from the user's word or from their notes.

Its own module because both halves of inquiry planning need it: :mod:`.followups` (when the
first inquiry is due) and :mod:`.basis` (how long an inquiry keeps waiting for something sent).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from daemon.store.models import Interview
from daemon.writing.deadline import decision_from_notes

MANUAL = "note: "  # prefix of the notes added with `followupd note`


def expected_decision(interview: Interview, tz: str) -> date | None:
    """When the company said it would decide: ``followupd note ID --decision-by`` when the user
    gave it, else the date the notes give ("decision: end of month"), resolved against the
    interview's local date.

    Derived from the notes each time rather than stored: the notes are re-read from the
    calendar on every sync and the user may edit them, and a stored copy would go stale.
    """
    if interview.decision_expected is not None:
        return interview.decision_expected
    day = interview.start_at.astimezone(ZoneInfo(tz)).date()
    notes = [*interview.notes, *(n for p in interview.interviewers if p.active for n in p.notes)]
    return decision_from_notes((str(n).removeprefix(MANUAL) for n in notes), day)
