"""The instrument of bench/many.py: many users behind one fake, and the benchmark itself.

The figures are bench/many.py's to print; here only that the instrument still works: each
user's tokens reach that user's state (a token of nobody's is refused), requests overlap at
the fakes and are counted so, and ``bench/many.py --smoke`` runs a service to its drafts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from connectors.google import PROVIDER as GOOGLE
from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
from tests.conftest import POSTGRES_ENV
from tests.fakes.tenants import GoogleTenants, MicrosoftTenants

ROOT = Path(__file__).resolve().parent.parent


def test_each_users_tokens_reach_their_own_state_and_requests_overlap(tmp_path: Path) -> None:
    """Two Google and two Outlook users, each account checked by its own connector (the real
    client libraries) in a thread of its own: each mailbox is the user's own, each user's
    requests landed in their state only, and with latency the requests were in flight together."""
    google = GoogleTenants(tmp_path / "g", latency=0.3)
    microsoft = MicrosoftTenants(tmp_path / "m")
    try:
        accounts = []
        for name in ("ann", "bob"):
            address = f"{name}@gmail.example"
            token = tmp_path / name / "google-token.json"
            google.write_token(google.add_user(address), token)
            options = {**google.fake.account_options(tmp_path), "token_file": token}
            accounts.append((GOOGLE, address, options))
        for name in ("cat", "dan"):
            address = f"{name}@contoso.example"
            microsoft.add_user(address, name.title())
            cache = tmp_path / name / "msal-cache.bin"
            microsoft.sign_in(address, cache)
            accounts.append((OUTLOOK, address, microsoft.account_options(cache)))
        microsoft.pace.latency = 0.3
        said: dict[str, str] = {}

        def check(provider: object, address: str, options: dict) -> None:
            name = address.split("@")[0]
            ctx = AccountContext(name, (address,), tmp_path / name, SystemClock(), "UTC")
            said[address] = provider.mailbox(ctx, {}, options).check()  # type: ignore[attr-defined]

        threads = [threading.Thread(target=check, args=account) for account in accounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        forget_runtimes()

        for _, address, _ in accounts:
            assert address in said[address] and "note:" not in said[address], said
        for user in google.users.values():
            assert [r.method for r in user.requests] == ["oauth.token", "gmail.users.getProfile"]
        for state in microsoft.users.values():
            assert [r.path for r in state.log] == ["/me"]
        assert not google.nobody.requests and not microsoft.nobody.log
        assert google.pace.max_in_flight == 2  # the two users' requests overlapped
        assert microsoft.pace.max_in_flight >= 2
        assert not google.problems() and not microsoft.problems()

        refused = requests.get(
            google.fake.base_url + "gmail/v1/users/me/profile",
            headers={"Authorization": "Bearer ya29.nobody"},
            verify=str(google.fake.ca_file),
            timeout=10,
        )
        assert refused.status_code == 401
    finally:
        google.stop()
        microsoft.stop()


def test_the_benchmark_runs_a_service_to_its_drafts(tmp_path: Path) -> None:
    """``bench/many.py --smoke``: the fakes' process, one Google and one Outlook account, the
    real ``followupd run`` until the thank-yous that came due are drafted; figures printed."""
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "many.py"), "--smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(out.read_text())
    service = row["service"]
    assert service["due"] >= 2 and service["drafted"] == service["due"], service
    assert service["missing"] == 0 and service["problems"] == 0 and not service["died"]
    assert service["requests"] > 0 and service["cpu"] > 0 and service["rss_mb"] > 0
    assert row["fake_problems"] == []
    assert "| 2 |" in done.stdout  # the table's row for two accounts


@pytest.mark.postgres
def test_the_benchmark_kills_one_of_two_instances_and_the_other_takes_over(
    tmp_path: Path,
) -> None:
    """``bench/many.py --smoke --instances 2 --kill`` on PostgreSQL: two ``followupd run`` on one
    database, the one holding an account SIGKILLed before its thank-yous come due; the other
    takes the account over within the lease period (4 s) and drafts them: none missing, none
    twice at the fakes."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (bash .ci/run starts a PostgreSQL and sets it)")
    out = tmp_path / "figures.json"
    argv = [sys.executable, str(ROOT / "bench" / "many.py"), "--smoke", "--json", str(out)]
    argv += ["--instances", "2", "--kill", "--database", server]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(out.read_text())
    service = row["service"]
    assert service["killed_held"] >= 1, service  # the kill left accounts to take over
    assert service["takeover_s"] is not None and service["takeover_s"] < 3 * 4, service
    assert service["split_after"][0] == 0 and sum(service["split_after"][1:]) == 2, service
    assert service["due"] >= 2 and service["missing"] == 0, service
    assert service["duplicates"] == 0 and service["duplicate_ids"] == 0, service
    assert service["drafts_at_fakes"] >= service["due"] and not service["died"], service
    assert row["fake_problems"] == [] and service["problems"] == 0
    assert "| 2 | 2 |" in done.stdout  # the multi-instance table's row


def test_the_benchmark_counts_a_draft_made_twice() -> None:
    """The duplicate count: two drafts of one follow-up (one Message-ID, or the same
    recipients and subject) count once each beyond the first; other accounts' do not."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from manyinstances import duplicates
    finally:
        sys.path.remove(str(ROOT / "bench"))
    ann = {"account": "u0001", "to": ["a@x.example"], "subject": "Thank you", "message_id": "<1@x>"}
    other = {**ann, "account": "u0002"}
    moved = {**ann, "subject": "Thanks", "message_id": "<2@x>"}
    assert duplicates([ann, other, moved]) == {
        "duplicates": 0,
        "duplicate_ids": 0,
        "drafts_at_fakes": 3,
    }
    counted = duplicates([ann, dict(ann), {**ann, "message_id": "<3@x>"}, other])
    assert counted == {"duplicates": 2, "duplicate_ids": 1, "drafts_at_fakes": 4}


def test_every_arranged_interview_is_one_on_its_provider() -> None:
    """The interviews bench/many.py makes come due are ones followupd can tell are interviews:
    on Google (no categories read) by a word in the title, on Outlook by a word or the
    "Interview" category; otherwise the benchmark would wait for drafts no one could make."""
    from datetime import UTC, datetime

    from daemon.config import DEFAULT_KEYWORDS
    from tests.fakes import world

    now = datetime.now(UTC)
    for categories in (False, True):
        for index in range(60):
            (during,) = [m for m in world.plan(index, 50, now, 1, categories).meetings if m.key]
            worded = any(word in during.title.lower() for word in DEFAULT_KEYWORDS)
            assert worded or (categories and during.category == "Interview"), during.title
