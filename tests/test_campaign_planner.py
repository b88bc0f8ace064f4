"""Where the crash campaign's first kills fall (tests/campaign/passes.py), without running it.

The run's start (the account's row, then the calendar read) is a handful of checkpoints that
even strata of a step often missed: with fewer passes a seed could leave a phase unkilled. It
is now one pass's stratum at every step, killed by name, so bookkeeping and sync are killed
whatever the seed; and the passes that rename the account die there too, before the account's
row is first committed (``followupd auth`` claimed what the account serves, so the rename is
still told from a new account).
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.campaign.passes import Planner, phase

STEPS = 6
# The clean run of a step that drafts one thank-you (the local world's last step).
TRACE = [
    "db.before_commit",
    "db.flushed accounts",
    "db.committed accounts",
    "calendar.changes before",
    "calendar.changes after",
    "db.flushed interviewers+interviews",
    "db.before_commit",
    "db.flushed interviewers+interviews+sync_cursors",
    "db.committed interviewers+interviews+sync_cursors",
    "mailbox.draft_state before",
    "mailbox.draft_state after",
    "mailbox.messages_since before",
    "mailbox.messages_since after",
    "db.before_commit",
    "db.committed -",
    "db.before_commit",
    "db.flushed followups=creating+transitions",
    "db.committed followups=creating+transitions",
    "mailbox.find_draft before",
    "mailbox.find_draft after",
    "mailbox.create_draft before",
    "mailbox.create_draft after",
    "db.before_commit",
    "db.flushed followups=drafted+transitions",
    "db.committed followups=drafted+transitions",
]


def position(kill: int | str) -> int:
    """The checkpoint number a kill strikes at in :data:`TRACE` (a name: its first one)."""
    return TRACE.index(kill) + 1 if isinstance(kill, str) else kill


@pytest.mark.parametrize("passes", [5, 16])  # the ci and long profiles
def test_every_seed_kills_the_runs_start_renamed_or_not(passes: int) -> None:
    account_row = TRACE.index("db.committed accounts") + 1
    for seed in range(30):
        renamed_early = 0
        planner = Planner(str(seed), passes, chain=3)
        for step in range(STEPS):
            planner.record(step, TRACE)
        phases: Counter[str] = Counter()
        for number in range(passes):
            for step in range(STEPS):
                at = position(planner.kills(number, step)[0])
                assert 1 <= at <= len(TRACE)
                phases[phase(TRACE[:at])] += 1
                if step == 0 and planner.renames(number) and at < account_row:
                    renamed_early += 1
        assert phases["sync"] >= STEPS // 2, (seed, phases)
        assert phases["bookkeeping"] >= STEPS // 2 - 1, (seed, phases)
        # The strata after the start still spread over the rest of the run.
        assert phases["drafting"] + phases["recording"] >= STEPS // 2, (seed, phases)
        assert renamed_early == 1, seed  # the very first start, killed and then renamed
