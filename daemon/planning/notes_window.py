"""The notes window: a thank-you without notes waits a while for them (``wait_for_notes``).

A thank-you is due ``[thank_you].delay`` after the interview ends. When the user has given no
notes that its draft would use yet, it waits up to ``[thank_you].wait_for_notes`` after the end
instead (when that is longer), so that the draft can say what was discussed. Notes given with
``followupd note`` release it at once: due at ``delay`` after the end, or now if that has
passed. Both settings are at most 24 h (config.py), so a thank-you is never due later than a
day after the interview.

Which notes count: only the ones the user gave with ``followupd note`` (stored with the
:data:`~daemon.planning.decision.MANUAL` prefix), about this interviewer or about the whole
interview. Notes read from the event description (:mod:`daemon.writing.notes`) do not end the
wait, although the draft uses them: they were mostly in the invitation before the interview
took place, written by whoever sent it (an agenda naming the interviewers reads like notes), and
a wait they ended would cost the user the window the setting gives. They are still in the draft
once the wait ends.

Everything here is derived from the stored notes and the interview's end, never stored on its
own, so that a re-plan (the event moved, ``unskip``) gives the same answer as the first plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from daemon.config import Config
from daemon.output.times import near, short, zoned
from daemon.planning.decision import MANUAL
from daemon.store.models import FollowUp, Interview, Interviewer, Kind, State


def notes_given(interview: Interview, person: Interviewer) -> bool:
    """True once the user gave notes the thank-you to ``person`` would use: about them, or
    about the whole interview."""
    return any(str(n).startswith(MANUAL) for n in (*person.notes, *interview.notes))


def thank_you_due(config: Config, interview: Interview, person: Interviewer) -> datetime:
    """When the thank-you to ``person`` is due: ``delay`` after the end, or, without notes
    given yet, the end of the wait for them when that is later."""
    settings = config.thank_you
    after = settings.delay
    if not notes_given(interview, person):
        after = max(after, settings.wait_for_notes)
    return interview.end_at + after


def waits_for_notes(config: Config, fu: FollowUp) -> bool:
    """A scheduled thank-you that is due later than ``delay`` because it waits for notes."""
    return (
        fu.kind == Kind.THANK_YOU
        and fu.state == State.SCHEDULED
        and not notes_given(fu.interview, fu.interviewer)
        and fu.due_at > fu.interview.end_at + config.thank_you.delay
    )


@dataclass
class Window:
    """What a note did to the thank-yous of one interview (for the user)."""

    released: list[FollowUp] = field(default_factory=list)  # due earlier now
    waiting: list[FollowUp] = field(default_factory=list)  # still waiting for notes


def release(config: Config, interview: Interview, now: datetime) -> Window:
    """After the user gave notes: the waiting thank-yous that have notes now are due at
    ``delay`` after the end, or now if that has passed (not earlier: the lateness of a
    thank-you that waited is counted from its release, so ``max_lateness`` never skips it)."""
    window = Window()
    for fu in interview.followups:
        if fu.kind != Kind.THANK_YOU or fu.state != State.SCHEDULED:
            continue
        if waits_for_notes(config, fu):
            window.waiting.append(fu)
            continue
        due = max(interview.end_at + config.thank_you.delay, now)
        if notes_given(interview, fu.interviewer) and fu.due_at > due:
            fu.due_at, fu.updated_at = due, now
            fu.reason = f"your notes arrived: due {short(due, config.daemon.timezone)}"
            window.released.append(fu)
    return window


def local_time(config: Config, when: datetime, now: datetime) -> str:
    """``when`` as the user reads it: the hour today, else the day too (the daemon's zone,
    as ``status`` shows times)."""
    return near(when, config.daemon.timezone, now)


def waiting_text(config: Config, fu: FollowUp, now: datetime) -> str:
    """``status``'s and ``preview``'s why for a thank-you waiting for notes."""
    interview = fu.interview
    return (
        f"waiting for your notes until {local_time(config, fu.due_at, now)}; "
        f"'followupd note {interview.id} ...' releases it"
    )


def said(config: Config, window: Window, now: datetime) -> list[str]:
    """What ``followupd note`` tells the user about the thank-yous of the interview: a line
    that stands alone, so its times name their zone ("until 13:00 CET")."""
    tz = config.daemon.timezone
    lines = []
    for fu in window.released:
        who = fu.interviewer.name or fu.interviewer.email
        when = "now" if fu.due_at <= now else f"at {zoned(fu.due_at, tz, today=now)}"
        lines.append(f"the thank-you to {who} is due {when}")
    for fu in window.waiting:
        who = fu.interviewer.name or fu.interviewer.email
        lines.append(
            f"the thank-you to {who} still waits for notes about them until "
            f"{zoned(fu.due_at, tz, today=now)} (followupd note {fu.interview.id} "
            f"--about {fu.interviewer.email} ...)"
        )
    return lines
