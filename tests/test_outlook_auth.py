"""Outlook sign-in: the real MSAL against the fake Microsoft identity platform over HTTPS."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme

from connectors.outlook import PROVIDER, auth, forget_runtimes, runtime
from connectors.outlook.clouds import CLOUDS, scopes_for
from connectors.outlook.settings import ACCOUNT_OPTIONS, resolve
from daemon import options as o
from daemon.clock import SystemClock
from daemon.errors import AuthNeeded, ConfigError, ConnectorError, TransientError
from daemon.protocols import AccountContext
from tests.fakes.graph_server import MicrosoftFakes, running_microsoft

GRAPH = "https://graph.microsoft.com"
WINDOW_DAYS = 30


@pytest.fixture
def ms(tmp_path: Path):
    with running_microsoft(tmp_path / "fakes") as fakes:
        yield fakes


def context(
    tmp_path: Path, name: str = "work", address: str = "casey@contoso.example"
) -> AccountContext:
    return AccountContext(
        name=name,
        addresses=(address,),
        state_dir=tmp_path / "state" / name,
        clock=SystemClock(),
        timezone="UTC",
    )


def sign_in(ms: MicrosoftFakes, ctx: AccountContext, **options: object) -> list[str]:
    lines: list[str] = []
    PROVIDER.authorize(ctx, ms.account_options(**options), lines.append)
    return lines


def window() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(days=WINDOW_DAYS), now + timedelta(days=WINDOW_DAYS)


# -- scopes and clouds -----------------------------------------------------------------------


def test_scope_list_is_exactly_the_three_delegated_permissions() -> None:
    assert scopes_for(CLOUDS["global"]) == [
        f"{GRAPH}/Calendars.Read",
        f"{GRAPH}/Mail.ReadWrite",
        f"{GRAPH}/User.Read",
    ]
    for cloud in CLOUDS.values():
        assert not any("Send" in scope for scope in scopes_for(cloud))


def test_device_flow_signs_in_and_requests_exactly_our_scopes(
    ms: MicrosoftFakes, tmp_path: Path
) -> None:
    ctx = context(tmp_path)
    lines = sign_in(ms, ctx)
    assert lines[0] == (
        "To sign in, use a web browser to open the page https://microsoft.com/devicelogin "
        "and enter the code FAKE-2FA3 to authenticate."
    )
    cache = ctx.state_dir / "msal-cache.bin"
    assert lines[1] == (
        "Signed in to Microsoft as casey@contoso.example; "
        f"tokens are kept in the owner-only file {cache}."
    )
    assert lines[2] == "Microsoft Graph answers for Casey Candidate <casey@contoso.example>."
    # MSAL adds openid, profile and offline_access itself; we never ask for Mail.Send.
    assert sorted(ms.authority.requested_scopes()) == sorted(
        [
            f"{GRAPH}/Calendars.Read",
            f"{GRAPH}/Mail.ReadWrite",
            f"{GRAPH}/User.Read",
            "offline_access",
            "openid",
            "profile",
        ]
    )
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "refresh_token" not in (ms.authority.device_requests[-1])  # no secret in our logs


def test_national_cloud_changes_graph_root_authority_and_scopes_together(tmp_path: Path) -> None:
    ctx = context(tmp_path)
    client = "11111111-2222-3333-4444-555555555555"
    gov = resolve(ctx, {"client_id": client, "cloud": "usgov"})
    assert gov.graph_base == "https://graph.microsoft.us/v1.0"
    assert gov.authority_url == "https://login.microsoftonline.us/common"
    assert gov.scopes == tuple(
        f"https://graph.microsoft.us/{p}" for p in ("Calendars.Read", "Mail.ReadWrite", "User.Read")
    )
    dod = resolve(ctx, {"client_id": client, "cloud": "usgov-dod", "authority": "organizations"})
    assert dod.graph_base == "https://dod-graph.microsoft.us/v1.0"
    assert dod.authority_url == "https://login.microsoftonline.us/organizations"
    assert dod.scopes[0] == "https://dod-graph.microsoft.us/Calendars.Read"
    china = resolve(
        ctx, {"client_id": client, "cloud": "china", "graph_root": "https://proxy.example/graph"}
    )
    assert china.graph_base == "https://proxy.example/graph/v1.0"  # the override moves requests...
    assert china.authority_url == "https://login.chinacloudapi.cn/common"
    assert china.scopes[2] == "https://microsoftgraph.chinacloudapi.cn/User.Read"  # ...not scopes


def test_sign_in_to_a_national_cloud_asks_for_its_resource(
    ms: MicrosoftFakes, tmp_path: Path
) -> None:
    sign_in(ms, context(tmp_path), cloud="usgov", authority="organizations")
    assert "https://graph.microsoft.us/Mail.ReadWrite" in ms.authority.requested_scopes()
    assert ms.authority.requests[0] == "GET /organizations/v2.0/.well-known/openid-configuration"


def test_consumers_do_not_exist_in_national_clouds(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(
            context(tmp_path),
            {
                "client_id": "11111111-2222-3333-4444-555555555555",
                "cloud": "china",
                "authority": "consumers",
            },
        )
    assert str(err.value) == (
        "account 'work': [accounts.outlook].authority: 'consumers' (Outlook.com accounts) does not "
        "exist in the China operated by 21Vianet cloud; use 'organizations' or your tenant"
    )


def test_option_errors_say_what_was_expected() -> None:
    problems: list[str] = []
    o.validate(
        {
            "client_id": "my-app",
            "authority": "not a tenant",
            "authority_host": "http://login.example",
            "cloud": "mars",
        },
        ACCOUNT_OPTIONS,
        "config.toml: [[accounts]] 'work'.outlook",
        problems,
    )
    assert problems == [
        "config.toml: [[accounts]] 'work'.outlook.client_id: expected the Application (client) ID "
        "of your app registration, like '00000000-0000-0000-0000-000000000000', got 'my-app'",
        "config.toml: [[accounts]] 'work'.outlook.authority: expected 'common', 'organizations', "
        "'consumers', a tenant id (a GUID) or a tenant domain like 'contoso.onmicrosoft.com', "
        "got 'not a tenant'",
        "config.toml: [[accounts]] 'work'.outlook.authority_host: expected an https URL like "
        "'https://login.microsoftonline.com' (MSAL accepts only https), got 'http://login.example'",
        "config.toml: [[accounts]] 'work'.outlook.cloud: expected one of 'global', 'usgov', "
        "'usgov-dod', 'china', got 'mars'",
    ]


# -- the sign-in lifecycle -------------------------------------------------------------------


@pytest.mark.parametrize("short", [True, False], ids=["short-scopes", "qualified-scopes"])
def test_tokens_survive_a_restart_without_a_new_sign_in(
    ms: MicrosoftFakes, tmp_path: Path, short: bool
) -> None:
    ms.authority.short_scopes = short
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    signed_in = len(ms.authority.requests)
    forget_runtimes()  # a new process: only the files in the state folder remain
    calendar = PROVIDER.calendar(ctx, {}, ms.account_options())
    for _ in range(3):
        assert calendar.changes(None, window()).complete
    assert len(ms.authority.device_requests) == 1
    # Whether Microsoft names the granted scopes short (which MSAL's own cache lookup cannot
    # match with the qualified ones we ask for) or qualified, the valid access token is taken
    # from the token cache, and the authority's endpoints from the account's lookup record:
    # a new process asks the sign-in service nothing.
    assert ms.authority.requests[signed_in:] == []


def test_silent_refresh_after_graph_rejects_an_expired_token(
    ms: MicrosoftFakes, tmp_path: Path
) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    mailbox = PROVIDER.mailbox(ctx, {}, ms.account_options())
    ms.graph.tokens.invalidate_access()  # expired at Graph before MSAL thinks so
    assert mailbox.check().startswith("Outlook mailbox of Casey Candidate <casey@contoso.example>")
    assert ms.authority.refresh_grants() == 1
    statuses = [r.path for r in ms.graph.requests("GET", "/me")]
    assert len(statuses) == 3  # authorize's proof, the 401, the retry with the new token
    mailbox.check()
    assert ms.authority.refresh_grants() == 1  # the new token is reused, not refreshed again


def test_revoked_sign_in_asks_for_the_exact_command(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    calendar = PROVIDER.calendar(ctx, {}, ms.account_options())
    ms.graph.tokens.revoke()
    with pytest.raises(AuthNeeded) as err:
        calendar.changes(None, window())
    assert err.value.fix == "followupd auth work"
    assert str(err.value) == (
        "the Microsoft sign-in of account 'work' was revoked or has expired (invalid_grant: "
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token "
        "is needed.) (fix: followupd auth work)"
    )


def test_graph_rejecting_a_fresh_token_means_re_auth(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    ms.graph.tokens.reject_all = True
    with pytest.raises(AuthNeeded) as err:
        PROVIDER.mailbox(ctx, {}, ms.account_options()).check()
    assert str(err.value) == (
        "Microsoft Graph rejected the sign-in even after a token refresh (HTTP 401 "
        "InvalidAuthenticationToken: Access token has expired or is not yet valid.) "
        "(fix: followupd auth work)"
    )
    assert ms.authority.refresh_grants() == 1  # exactly one silent refresh was tried


def test_a_sign_in_without_refresh_token_has_expired(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    forget_runtimes()
    cache = ctx.state_dir / "msal-cache.bin"
    data = json.loads(cache.read_text())
    data["RefreshToken"], data["AccessToken"] = {}, {}
    cache.write_text(json.dumps(data))
    with pytest.raises(AuthNeeded) as err:
        PROVIDER.mailbox(ctx, {}, ms.account_options()).check()
    assert str(err.value) == (
        "the Microsoft sign-in of account 'work' has expired (fix: followupd auth work)"
    )


def test_a_failing_token_service_is_transient(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    mailbox = PROVIDER.mailbox(ctx, {}, ms.account_options())
    ms.authority.refresh_error = ("temporarily_unavailable", "AADSTS90033: A transient error.")
    ms.graph.tokens.invalidate_access()
    with pytest.raises(TransientError) as err:
        mailbox.check()
    assert str(err.value) == (
        "the Microsoft sign-in service failed a token refresh (temporarily_unavailable: "
        "AADSTS90033: A transient error.)"
    )


def test_an_unreachable_sign_in_service_is_transient(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    sign_in(ms, ctx)
    forget_runtimes()  # a new process, whose access token has expired: it must refresh
    ms.graph.tokens.invalidate_access()
    ms.servers[0].stop()
    with pytest.raises(TransientError) as err:
        PROVIDER.mailbox(ctx, {}, ms.account_options()).check()
    host = ms.authority_host.split("//", 1)[1]
    assert str(err.value).startswith(
        f"cannot reach {host} (connection refused: nothing listens there); check the network "
    )


def test_never_signed_in(ms: MicrosoftFakes, tmp_path: Path) -> None:
    """Said from the empty token cache alone, without the network (issue 12): with the
    sign-in service unreachable this was "cannot reach the Microsoft sign-in service"."""
    ctx = context(tmp_path)
    ms.servers[0].stop()
    with pytest.raises(AuthNeeded) as err:
        PROVIDER.mailbox(ctx, {}, ms.account_options()).check()
    cache = ctx.state_dir / "msal-cache.bin"
    assert str(err.value) == (
        f"not signed in: run followupd auth work (no sign-in found in the owner-only file {cache})"
    )


def test_one_revoked_account_does_not_stop_another(ms: MicrosoftFakes, tmp_path: Path) -> None:
    work, home = context(tmp_path, "work"), context(tmp_path, "home", "casey@outlook.example")
    sign_in(ms, work)
    ms.authority.username = "casey@outlook.example"
    sign_in(ms, home, authority="consumers")
    work_cal = PROVIDER.calendar(work, {}, ms.account_options())
    home_cal = PROVIDER.calendar(home, {}, ms.account_options(authority="consumers"))
    ms.graph.tokens.revoke("casey@outlook.example")
    with pytest.raises(AuthNeeded) as err:
        home_cal.changes(None, window())
    assert err.value.fix == "followupd auth home"
    assert work_cal.changes(None, window()).complete


def test_declined_sign_in(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ms.authority.decline = True
    with pytest.raises(AuthNeeded) as err:
        sign_in(ms, context(tmp_path))
    assert str(err.value) == (
        "the Microsoft sign-in did not complete (authorization_declined: AADSTS70000: The user "
        "declined.) (fix: followupd auth work)"
    )


def test_sign_in_without_mail_permission_is_refused(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ms.authority.grant = ["Calendars.Read", "User.Read"]
    with pytest.raises(AuthNeeded) as err:
        sign_in(ms, context(tmp_path))
    assert str(err.value) == (
        "Microsoft did not grant Mail.ReadWrite (granted: Calendars.Read User.Read openid profile "
        "email); an administrator may have to consent for your organization, see docs/outlook.md "
        "(fix: followupd auth work)"
    )


def test_a_granted_send_permission_is_pointed_out(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ms.authority.grant = ["Calendars.Read", "Mail.ReadWrite", "User.Read", "Mail.Send"]
    lines = sign_in(ms, context(tmp_path))
    assert lines[1] == (
        "Note: this app registration also holds Mail.Send; followupd never uses it and never sends "
        "mail. You may remove it from the registration."
    )


def test_unknown_tenant(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ms.authority.unknown_tenants.add("nowhere.example")
    with pytest.raises(ConnectorError) as err:
        sign_in(ms, context(tmp_path), authority="nowhere.example")
    message = str(err.value)
    assert message.startswith(
        f"the Microsoft sign-in service {ms.authority_host}/nowhere.example "
        "does not know this authority ("
    )
    assert message.endswith("); check [accounts.outlook].authority and cloud")
    assert "AADSTS90002" in message


def test_environment_ca_bundle_does_not_override_the_configured_one(
    ms: MicrosoftFakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(stranger))
    sign_in(ms, context(tmp_path))  # would fail verification if the env var won
    assert ms.authority.device_requests


# -- the token cache -------------------------------------------------------------------------


def test_plain_file_fallback_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    auth._fallback_said = False
    caplog.set_level(logging.INFO, logger="connectors.outlook.auth")
    _, where = auth.open_token_cache(tmp_path / "a" / "cache.bin")
    auth.open_token_cache(tmp_path / "b" / "cache.bin")
    said = [r.getMessage() for r in caplog.records if "encrypted token store" in r.getMessage()]
    assert len(said) == 1
    assert said[0].startswith("no encrypted token store available (")
    assert said[0].endswith(
        f"keeping Microsoft tokens in the owner-only file {tmp_path / 'a' / 'cache.bin'}"
    )
    assert where == f"the owner-only file {tmp_path / 'a' / 'cache.bin'}"


def test_a_token_file_readable_by_others_is_narrowed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.bin"
    path.write_text("{}")
    path.chmod(0o644)
    auth.open_token_cache(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"token cache {path} was readable by other users; made it owner-only" in caplog.text


def test_runtime_is_shared_by_calendar_and_mailbox(ms: MicrosoftFakes, tmp_path: Path) -> None:
    ctx = context(tmp_path)
    first = runtime(ctx, ms.account_options())
    assert runtime(ctx, ms.account_options()) is first  # one semaphore per mailbox


def test_accounts_share_connections_and_endpoints_but_nothing_else(
    ms: MicrosoftFakes, tmp_path: Path
) -> None:
    """Issue 14: one connection pool per host and one discovery of the sign-in service for
    all the accounts of a process; each account keeps its own token cache, and no cookie the
    sign-in service sets travels with another request (it sets one on every answer)."""
    work, home = context(tmp_path, "work"), context(tmp_path, "home", "alex@contoso.example")
    sign_in(ms, work)
    ms.authority.username = "alex@contoso.example"
    sign_in(ms, home)
    first, second = runtime(work, ms.account_options()), runtime(home, ms.account_options())
    assert first.graph._session is second.graph._session
    assert first.tokens is not second.tokens
    assert ms.authority.requests.count("GET /common/v2.0/.well-known/openid-configuration") == 1
    assert ms.authority.cookies_seen == [] and not first.graph._session.cookies
    ms.graph.tokens.invalidate_access()  # both refresh, each with its own refresh token
    PROVIDER.mailbox(work, {}, ms.account_options()).check()
    PROVIDER.mailbox(home, {}, ms.account_options()).check()
    assert ms.authority.refresh_grants() == 2 and ms.authority.cookies_seen == []
