"""The instrument of bench/many.py: many users behind one fake, and the benchmark itself.

The figures are bench/many.py's to print; here only that the instrument still works: each
user's tokens reach that user's state (a token of nobody's is refused), requests overlap at
the fakes and are counted so, and ``bench/many.py --smoke`` runs a service to its drafts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import requests

from connectors.google import PROVIDER as GOOGLE
from connectors.outlook import PROVIDER as OUTLOOK
from connectors.outlook import forget_runtimes
from daemon.clock import SystemClock
from daemon.protocols import AccountContext
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
