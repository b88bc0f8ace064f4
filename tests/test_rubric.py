"""Every draft of every rubric scenario meets every applicable item of ../shared/RUBRIC.md.

The scenario table (tests/rubric/scenarios.py: panels of 2-5, no notes, notes as people write
them, odd display names, names in many scripts, both salutation styles, English and German,
recruiter screens, company only in the title, decision dates, status inquiries) is run through
the real CLI against an .ics calendar and a Maildir, exactly as ``python3 bench/rubric.py``
does; here a single failing draft fails the suite, and the message shows the draft in full
with what it broke, which is what a developer needs to fix it.

Each scenario is one test, so a failure names its situation; scenarios are independent (own
home, own state), which is also what keeps the whole table under a minute on two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rubric.runner import report, run_scenario
from tests.rubric.scenarios import SCENARIOS


def test_the_table_is_as_wide_as_the_issue_asks() -> None:
    """At least 60 situations, with every class the standard is tried on."""
    classes = {s.cls for s in SCENARIOS}
    assert len(SCENARIOS) >= 60
    for needed in ("panels", "notes", "display names", "names in many scripts",
                   "salutation: formal", "language de", "inquiry", "company from title"):
        assert needed in classes, needed
    sizes = {len([p for p in s.people if p.drafted]) for s in SCENARIOS if s.cls == "panels"}
    assert {2, 3, 4, 5} <= sizes


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_draft_meets_the_rubric(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_scenario(scenario, tmp_path)
    assert result.drafts, f"{scenario.name}: no drafts at all\n" + "\n".join(result.log[-20:])
    failing = [d for d in result.drafts if d.failures]
    assert not failing and not result.problems, report([result], show=len(result.drafts))
