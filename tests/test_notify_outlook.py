"""[notify] with an Outlook account (the fake Graph and identity platform), as a user runs it.

The interviews (one in Outlook, one in the local ics account) end at 10:00 UTC, 11:00 in the
user's Europe/Berlin; at 10:05 the hook hears about both, once. When the user revokes the sign-in, the hook hears
once that the account needs ``followupd auth``, however many runs follow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.graph_server import MicrosoftFakes, running_microsoft
from tests.outlook_cli import FIX, at, make_user, seed_interview
from tests.test_notify import hook, told


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


def test_an_outlook_interview_end_and_a_revoked_sign_in_are_told(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user = make_user(tmp_path, ms)
    user.sign_in()
    seed_interview(ms)
    script, out = hook(tmp_path)
    with user.config.open("a") as file:
        file.write(f'\n[notify]\ncommand = ["{script}"]\n')

    user.once(at(minutes=5))
    user.once(at(minutes=10))
    ended = [c for c in told(out) if c["FOLLOWUPD_EVENT"] == "interview_ended"]
    # Both interviews end at 10:00 UTC: the thank-yous are due at 11:00 UTC, 12:00 in the
    # user's Europe/Berlin (an event written in UTC says nothing about where the user is).
    assert [(c["FOLLOWUPD_ACCOUNT"], c["FOLLOWUPD_MESSAGE"]) for c in ended] == [
        (
            "work",
            "Interview with Acme (Ian Interviewer, Pam Panelist) ended — add notes before 12:00 CET: "
            "followupd note 1",
        ),
        (
            "home",
            "Interview with Globex (Gina Grant, Omar Ortiz) ended — add notes before 12:00 CET: "
            "followupd note 2",
        ),
    ]

    ms.authority.tokens.revoke()
    user.once(at(hours=1), code=1)  # the work account failed: a script must hear it
    user.once(at(hours=2), code=1)
    auth = [c["FOLLOWUPD_MESSAGE"] for c in told(out) if c["FOLLOWUPD_EVENT"] == "needs_auth"]
    assert auth == [f"Account work needs re-authorization — run: {FIX}"]
    # Two accounts: the drafts message says where to look (the work account waits for auth).
    waiting = [c for c in told(out) if c["FOLLOWUPD_EVENT"] == "drafts_created"]
    assert [(c["FOLLOWUPD_ACCOUNT"], c["FOLLOWUPD_MESSAGE"]) for c in waiting] == [
        ("home", "2 thank-you drafts are waiting in Drafts (account home)")
    ]
