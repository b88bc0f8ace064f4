"""How many of followupd's drafts meet RUBRIC.md: the scenario table through the real CLI.

    python3 bench/rubric.py              # the figures
    python3 bench/rubric.py --show 5     # and the first five drafts in full, with failures
    python3 bench/rubric.py --only panel --show 3   # scenarios whose name starts with "panel"

A measurement: it prints the number of scenarios and drafts, the pass rate (drafts that meet
every applicable rubric item) and the failures per item, and exits 0 whatever the figures are.
tests/test_rubric.py asserts that every draft of every scenario passes (since issue 10); this
is the command a developer runs to see the drafts. The work is in tests/rubric/ (checks.py,
scenarios.py, runner.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.rubric.runner import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
    raise SystemExit(0)
