"""Google OAuth: the loopback flow with a scripted browser, stored tokens, refresh, re-auth."""

from __future__ import annotations

import json
import stat
import urllib.parse
from datetime import UTC, datetime

import pytest

from connectors.google import ACCOUNT_OPTIONS, PROVIDER
from connectors.google.auth import SCOPES
from daemon import options as o
from daemon.errors import AuthNeeded, ConfigError, ConnectorError
from tests.fakes.google_browser import ScriptedBrowser, scripted_browser
from tests.fakes.google_env import google_env

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path, authorized=False) as env:
        yield env


@pytest.fixture
def browser(env) -> ScriptedBrowser:
    with scripted_browser(env.fake.ca_file) as scripted:
        yield scripted


def test_the_scopes_are_fixed_and_least_privilege():
    assert SCOPES == (
        "https://www.googleapis.com/auth/calendar.events.readonly",
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
        "https://www.googleapis.com/auth/gmail.compose",
        "https://www.googleapis.com/auth/gmail.metadata",
    )
    assert not any("send" in s or s.endswith(("gmail.modify", "gmail.readonly")) for s in SCOPES)
    assert "scopes" not in ACCOUNT_OPTIONS


def test_auth_runs_the_loopback_flow_with_pkce_and_stores_the_token_owner_only(env, browser):
    said: list[str] = []
    PROVIDER.authorize(env.ctx, env.options, said.append)

    assert not browser.errors, browser.errors
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.opened[0]).query)
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["code_challenge_method"] == ["S256"] and query["access_type"] == ["offline"]
    assert query["scope"][0].split() == list(SCOPES)
    assert browser.pages == ["followupd is authorized. You can close this window."]
    token_file = env.options["token_file"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text())
    assert stored["refresh_token"] in env.state.refresh_tokens
    assert stored["token_uri"] == env.fake.base_url + "token"
    assert said[-1] == f"Stored the Google authorization of 'personal' in {token_file}."
    # The stored token works for the calendar right away.
    assert env.calendar().changes(None, WINDOW).complete


def test_a_denied_consent_says_so(env, browser):
    env.state.consent = "deny"
    with pytest.raises(AuthNeeded) as err:
        PROVIDER.authorize(env.ctx, env.options, lambda _: None)
    assert str(err.value) == (
        "Google did not authorize account 'personal' (access_denied: no description) "
        "(fix: followupd auth personal)"
    )
    assert not env.options["token_file"].exists()


def test_unticked_boxes_on_the_consent_screen_are_named(env, browser):
    env.state.consent = [s for s in SCOPES if not s.endswith("gmail.metadata")]
    with pytest.raises(AuthNeeded) as err:
        PROVIDER.authorize(env.ctx, env.options, lambda _: None)
    assert str(err.value) == (
        "the consent screen granted account 'personal' only part of what followupd needs: "
        "missing gmail.metadata (tick every box) (fix: followupd auth personal)"
    )


def test_never_authorized_and_no_client_file_names_the_file(env, tmp_path):
    """Issue 12: check names the missing client file that auth will need, and asks nothing
    of Google to say so."""
    missing = tmp_path / "nowhere" / "google-client.json"
    env.options["client_secrets"] = missing
    before = len(env.fake.state.requests)
    with pytest.raises(AuthNeeded) as err:
        env.mailbox().check()
    assert str(err.value) == (
        f"not signed in: run followupd auth personal ({env.options['token_file']} does not "
        f"exist; and the OAuth client file {missing} (client_secrets), which auth needs, does "
        "not exist either: create a 'Desktop app' client, see docs/google.md)"
    )
    assert len(env.fake.state.requests) == before


def test_without_a_token_every_call_asks_for_auth(env):
    with pytest.raises(AuthNeeded) as err:
        env.mailbox().check()
    assert err.value.fix == "followupd auth personal"
    assert str(err.value) == (
        f"not signed in: run followupd auth personal ({env.options['token_file']} does "
        "not exist)"
    )


def test_a_revoked_refresh_token_needs_reauth_with_the_exact_command(env):
    env.fake.authorize_token(env.options["token_file"])
    env.state.revoke_all()
    for call in (env.mailbox().check, env.calendar().check):
        with pytest.raises(AuthNeeded) as err:
            call()
        assert err.value.fix == "followupd auth personal"
        assert str(err.value) == (
            "Google refused the stored authorization of account 'personal' (invalid_grant: the "
            "refresh token expired or was revoked; an OAuth app left in 'Testing' status gets "
            "tokens that expire after 7 days) (fix: followupd auth personal)"
        )


def test_a_401_refreshes_once_and_the_new_token_is_stored(env):
    env.fake.authorize_token(env.options["token_file"])
    mailbox = env.mailbox()
    mailbox.check()
    first = json.loads(env.options["token_file"].read_text())["token"]
    env.state.expire_access_tokens()
    mark = len(env.state.requests)

    mailbox.check()

    assert [r.method for r in env.state.requests[mark:]] == [
        "gmail.users.getProfile",
        "oauth.token",
        "gmail.users.getProfile",
    ]
    stored = json.loads(env.options["token_file"].read_text())["token"]
    assert stored != first and stored in env.state.access_tokens
    assert stat.S_IMODE(env.options["token_file"].stat().st_mode) == 0o600


def test_a_token_lacking_a_scope_asks_for_auth(env):
    env.fake.authorize_token(env.options["token_file"], scopes=list(SCOPES[:3]))
    with pytest.raises(AuthNeeded) as err:
        env.mailbox().check()
    assert str(err.value) == (
        "the Google authorization of account 'personal' lacks gmail.metadata "
        "(fix: followupd auth personal)"
    )


def test_a_missing_client_file_is_a_config_error(env):
    env.options["client_secrets"] = env.options["token_file"].parent / "nope.json"
    with pytest.raises(ConfigError) as err:
        PROVIDER.authorize(env.ctx, env.options, lambda _: None)
    assert err.value.problems == [
        f"[accounts.google] client_secrets of account 'personal': {env.options['client_secrets']} "
        "does not exist"
    ]


def test_without_the_ca_bundle_the_tls_error_points_to_the_option(env):
    env.fake.authorize_token(env.options["token_file"])
    env.options["ca_bundle"] = None
    with pytest.raises(ConnectorError) as err:
        env.mailbox().check()
    assert "the TLS certificate of the Google endpoint was not accepted" in str(err.value)
    assert str(err.value).endswith("set ca_bundle in [accounts.google] for a proxy")


def test_the_provider_validates_its_options_and_builds_both_sides(env):
    env.fake.authorize_token(env.options["token_file"])
    problems: list[str] = []
    table = {k: str(v) for k, v in env.options.items()}
    options = o.validate(
        table, PROVIDER.account_options, "config.toml: [accounts.google]", problems
    )
    calendar_options = o.validate({}, PROVIDER.calendar_options, "calendar", problems)
    assert problems == [] and calendar_options == {"calendars": ["primary"]}
    assert (
        PROVIDER.calendar(env.ctx, calendar_options, options).check().startswith("Google Calendar")
    )
    assert PROVIDER.mailbox(env.ctx, {}, options).check().startswith("Gmail me@example.com")
    o.validate({"scopes": ["x"]}, PROVIDER.account_options, "g", problems)
    assert problems[0].startswith("g.scopes: unknown key")
