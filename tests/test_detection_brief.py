"""``detect(..., explain_no=False)``: the planner's question, answered as fully as before.

The planner records only why an event is no interview, so for a "no" it skips looking for
the company and role (most events of a calendar are no interview); every "yes", and every
reason, must be exactly what the full detection says."""

from __future__ import annotations

from dataclasses import replace

import pytest

from daemon.detection import detect
from daemon.protocols import Response
from tests.test_detection import ME, SELF, event, rules

EVENTS = [
    event(),
    event("Team sync"),
    event("Lunch with Jane"),
    event("Mock interview with Acme"),
    event("Interview with Acme", cancelled=True),
    event("Interview with Acme", description="#nofollowup"),
    event("Dentist", description="#followup"),
    event("Interview with Acme", all_day=True),
    event("Final round - Data Engineer at Acme"),
    event("Interview", attendees=(replace(SELF, response=Response.DECLINED),)),
    event("Interview with Acme", attendees=(SELF,), organizer=None),
]


@pytest.mark.parametrize("found", EVENTS, ids=lambda e: e.title)
def test_a_brief_no_has_the_same_reason_and_a_yes_is_the_same(found) -> None:
    full = detect(found, rules(), [ME], candidate_name="Alex Morgan")
    brief = detect(found, rules(), [ME], candidate_name="Alex Morgan", explain_no=False)
    assert (brief.is_interview, brief.reason) == (full.is_interview, full.reason)
    assert brief.interviewers == full.interviewers and brief.organizer == full.organizer
    if full.is_interview:
        assert brief == full
    else:
        assert (brief.company, brief.role, brief.domains) == (None, None, ())


def test_both_answers_are_among_the_cases() -> None:
    answers = {detect(e, rules(), [ME]).is_interview for e in EVENTS}
    assert answers == {True, False}
    assert any(
        detect(e, rules(), [ME]).company
        for e in EVENTS
        if not detect(e, rules(), [ME]).is_interview
    )
