"""The campaign's story on a calendar served by a real Radicale (the daemon under test reads
it through the caldav provider; the mailbox is a Maildir): first sync, moved and cancelled
interviews, one draft per interviewer, a draft sent and one deleted, a reply, an own message;
then the same story with the daemon killed right after each calendar read (the cursor and the
events not yet recorded) and again after a draft was made. The oracle checks every step."""

from __future__ import annotations

import os
from pathlib import Path

from tests.campaign import scenario
from tests.campaign.passes import KillAt, run_pass

# The recovery run is killed again after its first draft in the long profile only: the Maildir
# side of that is the local world's campaign; here it costs ten more seconds.
LONG = os.environ.get("FOLLOWUPD_CAMPAIGN") == "long"


def test_the_story_on_a_caldav_calendar_converges(tmp_path: Path) -> None:
    kills, counts = run_pass("caldav", tmp_path, lambda step: [], "caldav story")
    assert kills == [] and len(counts) == len(scenario.STEPS)


def test_sigkill_after_the_calendar_read_then_restart_converges(tmp_path: Path) -> None:
    at: list[KillAt] = ["calendar.changes after"]
    if LONG:
        at.append("mailbox.create_draft after")
    kills, _ = run_pass("caldav", tmp_path, lambda step: at, "caldav killed after reading")
    after_reading = [k for k in kills if k.checkpoint == "calendar.changes after"]
    assert len(after_reading) == len(scenario.STEPS)
    assert not LONG or any(k.checkpoint == "mailbox.create_draft after" for k in kills)
