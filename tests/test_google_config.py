"""The google provider as the daemon sees it: loaded from a config file, built by the core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from daemon import config as config_mod
from daemon.clock import FrozenClock
from daemon.errors import AuthNeeded
from daemon.paths import private_dir
from daemon.protocols import AccountContext
from daemon.registry import provider
from tests.fakes.google_server import running_google

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


def write_config(tmp_path, fake) -> config_mod.Config:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[daemon]
state_dir = "{tmp_path / "state"}"

[candidate]
name = "Alex Candidate"

{fake.gmail_account_toml(tmp_path)}
"""
    )
    return config_mod.load(path)


def test_a_configured_google_account_is_built_lazily_and_then_works(tmp_path):
    with running_google(tmp_path) as fake:
        config = write_config(tmp_path, fake)
        account = config.account("gmail")
        ctx = AccountContext(  # as daemon.running.accounts.context builds it
            name=account.name,
            addresses=account.addresses,
            state_dir=private_dir(config.daemon.state_dir / "accounts" / account.name),
            clock=FrozenClock(datetime(2026, 3, 2, tzinfo=UTC)),
            timezone="UTC",
        )
        google = provider(account.calendar.provider)
        options = account.options_for("google")
        calendar = google.calendar(ctx, account.calendar.options, options)
        mailbox = google.mailbox(ctx, account.mailbox.options, options)

        # No token yet: building works, every call says how to fix it, nothing was sent.
        with pytest.raises(AuthNeeded) as err:
            calendar.check()
        assert err.value.fix == "followupd auth gmail"
        assert fake.state.api_requests() == []

        fake.authorize_token(ctx.state_dir / "google-token.json")
        assert calendar.changes(None, WINDOW).complete
        assert mailbox.check().startswith("Gmail me@example.com")
