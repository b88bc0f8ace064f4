"""The rubric's note scenarios through the real CLI (ics + maildir): items 4 and 6 hold.

:mod:`tests.test_compose` checks the composer on its own; this checks that what it composes
reaches the drafts a user gets, for the situations issue 10 names: a clause, a fragment, a
label, a decision date in the notes (as a label and as a sentence) or on the command line, a
follow-up, a long note, a question, an exclamation, bullets, a panel of five with a notes block.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rubric.runner import run_scenario
from tests.rubric.scenarios import by_name

NAMES = ("clause-note", "fragment-note", "label-next-step", "decision-label",
         "decision-sentence", "decision-cli", "follow-up-label", "long-note", "question-note",
         "exclamation-note", "bullet-notes", "panel-5-notes-block")  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_notes_are_woven_in_and_decision_dates_used(name: str, tmp_path: Path) -> None:
    (scenario,) = by_name(name)
    result = run_scenario(scenario, tmp_path)
    assert result.drafts, result.log
    for draft in result.drafts:
        mine = [f for f in draft.failures if f.item in (4, 6)]
        assert not mine, f"{name} to {draft.to}: {[str(f) for f in mine]}\n{draft.raw!r}"
