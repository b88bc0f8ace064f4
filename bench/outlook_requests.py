"""What an Outlook account costs in requests, per ``followupd run --once`` process.

    python3 bench/outlook_requests.py              # 0, 2 and 5 drafts waiting
    python3 bench/outlook_requests.py --drafts 5

Runs the real CLI in subprocesses against the fake Microsoft identity platform and Graph
(tests/fakes/graph_server.py, with the real MSAL and requests in the CLI), through simulated
time: the interview, a ``run --once`` that drafts one thank-you per interviewer (with none
waiting: one, which the user then sends, so that replies are still watched), then two
unchanged ``run --once`` processes. For each process it prints the Graph requests (HTTP
requests, and sub-requests carried inside ``$batch``) and the requests to the sign-in service.
Not a test: the figures are for docs/outlook.md and the issue's notes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = str(ROOT)  # the CLI processes run this tree, not an installed one

from tests.fakes.graph_server import running_microsoft  # noqa: E402
from tests.outlook_cli import ME, START, at, make_user  # noqa: E402

PEOPLE = [(f"person{i}@acme.example", f"Person {i}") for i in range(1, 10)]


def seed(ms, interviewers: int) -> None:  # noqa: ANN001
    attendees = tuple((a, n, "required", "accepted") for a, n in PEOPLE[: max(1, interviewers)])
    ms.graph.add_event(
        "Acme - conversation with the platform team",
        START,
        START + timedelta(hours=1),
        attendees=(*attendees, (ME, "Casey Candidate", "required", "accepted")),
        organizer=PEOPLE[0],
        categories=("Interview",),
    )


def measure(waiting: int) -> list[tuple[str, int, int, Counter[str], list[str]]]:
    """``waiting`` thank-you drafts still waiting; with none, one sent (replies are watched)."""
    rows = []
    interviewers = max(1, waiting)
    with tempfile.TemporaryDirectory() as folder, running_microsoft(Path(folder) / "f") as ms:
        user = make_user(Path(folder), ms)
        user.sign_in()
        seed(ms, interviewers)
        steps = [
            ("first poll (plans)", at(minutes=59)),
            (f"drafts {interviewers} thank-you(s)", at(hours=1)),
        ]
        if not waiting:
            steps.append(("the user sent it", at(hours=1, minutes=2)))
        steps += [
            ("unchanged", at(hours=1, minutes=5)),
            ("unchanged again", at(hours=1, minutes=10)),
        ]
        for label, when in steps:
            if label == "the user sent it":
                for draft in ms.graph.drafts():
                    ms.graph.user_sends(draft["id"], at(hours=1, minutes=1))
            graph_before, auth_before = len(ms.graph.log), len(ms.authority.requests)
            batch_before = len(ms.graph.batch_log)
            user.once(when)
            calls = ms.graph.log[graph_before:]
            inner = ms.graph.batch_log[batch_before:]
            kinds = Counter(
                f"{r.method} {r.path if not r.path.startswith('/me/messages/') else '/me/messages/{id}'}"
                for r in calls
            )
            rows.append((label, len(calls), len(inner), kinds, ms.authority.requests[auth_before:]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, action="append", help="drafts waiting (repeatable)")
    args = parser.parse_args()
    for waiting in args.drafts or [0, 2, 5]:
        print(f"== {waiting} thank-you draft(s) waiting ==")
        for label, http, inner, kinds, auth in measure(waiting):
            print(f"{label:24} Graph HTTP requests {http:3}  ($batch sub-requests {inner})")
            for what, count in sorted(kinds.items()):
                print(f"{'':28}{count} x {what}")
            print(f"{'':24} sign-in requests {len(auth)}: {', '.join(auth) or '-'}")


if __name__ == "__main__":
    main()
