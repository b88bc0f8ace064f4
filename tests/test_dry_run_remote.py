"""``run --once --dry-run`` on Google and Outlook accounts (issue 12, point 13): the providers
are read, never written to (the fakes record every request: not one that creates, changes or
deletes), the state folder (database, tokens, the connectors' records) stays byte for byte,
and the real run that follows makes exactly the drafts the dry run announced.

Each through the real CLI in subprocesses against the fakes, as tests/test_cli_google.py and
tests/test_cli_outlook.py run them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.google_server import running_google
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft
from tests.outlook_cli import at as outlook_at
from tests.outlook_cli import make_user, seed_interview
from tests.test_cli_google import START, Home, gmail_drafts, interview
from tests.test_cli_google import at as google_at

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def files(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def drafted(output: str) -> list[tuple[str, str]]:
    """(who, subject) of each draft a run made, or a dry run would make."""
    due = r"(?:, due \d{4}-\d\d-\d\d \d\d:\d\d)?"
    return sorted(re.findall(rf"^(?:would draft|drafted) (.+?) \(.*?\){due}: (.+)$", output, re.M))


@pytest.fixture
def google(tmp_path: Path):
    with running_google(tmp_path) as fake:
        yield fake


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


def test_a_dry_run_on_gmail_only_reads_and_run_once_then_drafts_what_it_said(
    tmp_path: Path, google
) -> None:  # noqa: ANN001
    home = Home(tmp_path, google)
    home.authorize()
    google.state.put_event(interview(START))
    assert "planned thank-you to Jane Smith" in home.run_at(google_at(minutes=59))
    state, mark = files(home.state_dir), len(google.state.requests)

    when = google_at(minutes=60)
    google.state.clock = when
    dry = home.cli("run", "--once", "--dry-run", "--now", when.isoformat()).stdout
    assert "would draft thank-you to Jane Smith (Acme), due 2026-03-04 12:00: " in dry
    assert "would draft thank-you to Raj Patel (Acme), due 2026-03-04 12:00: " in dry
    asked = google.state.requests[mark:]
    assert [r for r in asked if r.method.startswith("gmail.") and r.http_method in WRITES] == []
    assert [r.method for r in asked if r.http_method in WRITES] in ([], ["oauth.token"])
    assert any(r.method == "gmail.users.drafts.get" or "list" in r.method for r in asked)
    assert google.state.drafts == {}
    assert files(home.state_dir) == state  # database, token, draft log, sent-mail cache

    real = home.run_at(when)
    assert drafted(real) == drafted(dry) and len(drafted(real)) == 2
    assert len(gmail_drafts(google)) == 2


def test_a_dry_run_on_outlook_only_reads_and_run_once_then_drafts_what_it_said(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user = make_user(tmp_path, ms)
    user.sign_in()
    seed_interview(ms)
    assert "planned thank-you to Ian Interviewer" in user.once(outlook_at(minutes=59))
    state, mark, inner = files(user.state_dir), len(ms.graph.log), len(ms.graph.batch_log)

    when = outlook_at(hours=1)
    ms.graph.clock = lambda: when
    dry = user.ok("run", "--once", "--dry-run", "--now", when.isoformat())
    assert "would draft thank-you to Ian Interviewer (Acme), due 2026-01-14 12:00: " in dry
    assert "would draft thank-you to Gina Grant (Globex)" in dry  # the local account too
    asked = ms.graph.log[mark:]
    assert asked and [r for r in asked if r.method in WRITES and r.path != "/$batch"] == []
    assert [r for r in ms.graph.batch_log[inner:] if r.method in WRITES] == []  # reads batched
    assert ms.graph.drafts() == [] and user.local_drafts() == []
    assert files(user.state_dir) == state  # database, MSAL's token cache

    real = user.once(when)
    assert drafted(real) == drafted(dry) and len(drafted(real)) == 4
    assert len(ms.graph.drafts()) == 2 and len(user.local_drafts()) == 2
