"""OAuth for the Google provider: the fixed scope list, the stored token, ``followupd auth``.

The user brings their own OAuth client ("Desktop app" client JSON, see docs/google.md); the
installed-app flow runs with a loopback redirect on 127.0.0.1, PKCE (S256) and offline access so
Google hands out a refresh token. The token file holds the refresh token and the client secret,
so it is written owner-only (0600) and never logged.

Scopes are not configurable: followupd asks for exactly :data:`SCOPES`, and never for a send
scope (``gmail.send``, ``gmail.modify``, ``https://mail.google.com/``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials

from daemon import redaction
from daemon.errors import AuthNeeded, ConfigError, ConnectorError, NotSignedIn, TransientError
from daemon.paths import write_private
from daemon.protocols import AccountContext
from daemon.worlderrors import explain

log = logging.getLogger(__name__)

SCOPES: tuple[str, ...] = (
    # Read events of the chosen calendars; cannot see calendar settings, ACLs or free/busy of
    # others, cannot change anything.
    "https://www.googleapis.com/auth/calendar.events.readonly",
    # Read the list of calendars, only to turn a calendar *name* from the config into its id.
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    # Create drafts and read them back (drafts.create/get/list): the narrowest Gmail scope that
    # can create a draft at all.
    "https://www.googleapis.com/auth/gmail.compose",
    # Headers and labels of messages, never bodies: reply detection (history, messages.get with
    # format=metadata) and the state of a sent thread.
    "https://www.googleapis.com/auth/gmail.metadata",
)

# Scopes that could send mail or read bodies; a token carrying one of them is refused.
FORBIDDEN_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/gmail.send",
        "https://www.googleapis.com/auth/gmail.modify",
        "https://mail.google.com/",
    }
)

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
AUTH_TIMEOUT = 300  # seconds to wait for the browser to come back to the loopback server


def token_path(ctx: AccountContext, options: dict[str, Any]) -> Path:
    return Path(options.get("token_file") or ctx.state_dir / "google-token.json")


def fix_for(ctx: AccountContext) -> str:
    return f"followupd auth {ctx.name}"


def load_credentials(ctx: AccountContext, options: dict[str, Any]) -> Credentials:
    """The stored credentials, pointed at the configured token endpoint.

    ``Credentials.from_authorized_user_info`` always resets ``token_uri`` to Google's, so the
    endpoint (a configured one, else the one stored at authorization) is set explicitly.
    """
    path = token_path(ctx, options)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        detail = f"{path} does not exist"
        client = Path(options["client_secrets"]) if options.get("client_secrets") else None
        if client is not None and not client.exists():  # auth will need it first
            detail += (
                f"; and the OAuth client file {client} (client_secrets), which auth needs, does "
                "not exist either: create a 'Desktop app' client, see docs/google.md"
            )
        raise NotSignedIn(fix_for(ctx), detail) from err
    except OSError as err:  # the file is there but cannot be read: signing in again won't help
        raise ConnectorError(
            explain(err, f"the Google token file {path} of account {ctx.name!r}", "cannot read it")
        ) from err
    except ValueError as err:
        raise AuthNeeded(
            f"the Google token file {path} of account {ctx.name!r} cannot be read "
            f"({type(err).__name__})",
            fix=fix_for(ctx),
        ) from err
    for secret in ("refresh_token", "token", "client_secret"):  # never in a log line from now
        redaction.register_secret(info.get(secret) if isinstance(info, dict) else None)
    stored = info.get("scopes") or []
    if isinstance(stored, str):
        stored = stored.split()
    missing = [s for s in SCOPES if s not in stored]
    if missing:
        raise AuthNeeded(
            f"the Google authorization of account {ctx.name!r} lacks "
            f"{', '.join(short(s) for s in missing)}",
            fix=fix_for(ctx),
        )
    try:
        creds = Credentials.from_authorized_user_info(info, scopes=list(SCOPES))
    except ValueError as err:
        raise AuthNeeded(
            f"the Google token file {path} of account {ctx.name!r} is incomplete ({err})",
            fix=fix_for(ctx),
        ) from err
    token_uri = options.get("token_uri") or info.get("token_uri") or GOOGLE_TOKEN_URI
    return creds.with_token_uri(token_uri)


# The one scope of a draft-body session: gmail.compose alone may read drafts whole (drafts.get
# with format=raw), which no token holding gmail.metadata may, whatever else it holds.
DRAFT_BODY_SCOPES: tuple[str, ...] = ("https://www.googleapis.com/auth/gmail.compose",)


def narrowed(creds: Credentials, scopes: tuple[str, ...]) -> Credentials:
    """Credentials for an access token of ``scopes`` only, from the stored refresh token.

    OAuth lets a refresh ask for fewer scopes than were granted (RFC 6749, section 6), and
    google-auth sends the credentials' scopes with every refresh. No new consent, no new
    grant: a subset of what ``followupd auth`` obtained. The access token starts empty, so the
    first request refreshes; it is never written to the token file (which keeps the full
    grant's token, see :class:`connectors.google.http.GoogleSession`).
    """
    if not set(scopes) <= set(SCOPES):
        raise ValueError(f"not a subset of followupd's scopes: {sorted(set(scopes) - set(SCOPES))}")
    return Credentials(
        token=None,
        refresh_token=creds.refresh_token,
        token_uri=creds.token_uri,
        client_id=creds.client_id,
        client_secret=creds.client_secret,
        scopes=list(scopes),
    )


def save_credentials(ctx: AccountContext, options: dict[str, Any], creds: Credentials) -> None:
    for secret in (creds.token, creds.refresh_token, creds.client_secret):
        redaction.register_secret(secret)
    write_private(token_path(ctx, options), creds.to_json().encode("utf-8"))


def short(scope: str) -> str:
    return scope.rsplit("/", 1)[-1] or scope


def refresh_failure(err: RefreshError, ctx: AccountContext) -> Exception:
    """``invalid_grant`` (expired or revoked refresh token) and friends -> needs re-auth."""
    if getattr(err, "retryable", False):
        return TransientError(f"Google's token endpoint is unavailable: {err.args[0]}")
    code = ""
    if len(err.args) > 1 and isinstance(err.args[1], dict):
        code = str(err.args[1].get("error") or "")
    detail = str(err.args[0]) if err.args else ""
    if code == "invalid_grant" or "invalid_grant" in detail:
        return AuthNeeded(
            f"Google refused the stored authorization of account {ctx.name!r} (invalid_grant: "
            "the refresh token expired or was revoked; an OAuth app left in 'Testing' status "
            "gets tokens that expire after 7 days)",
            fix=fix_for(ctx),
        )
    return AuthNeeded(
        f"Google refused to refresh the authorization of account {ctx.name!r} "
        f"({code or detail.split(':', 1)[0] or 'refresh failed'})",
        fix=fix_for(ctx),
    )


# --------------------------------------------------------------------------------------------
# followupd auth ACCOUNT
# --------------------------------------------------------------------------------------------


def client_config(ctx: AccountContext, options: dict[str, Any]) -> dict[str, Any]:
    """The OAuth client JSON, with the configured endpoints applied. Errors name the file."""
    path = Path(options["client_secrets"])
    where = f"[accounts.google] client_secrets of account {ctx.name!r}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError([f"{where}: {path} does not exist"]) from err
    except (OSError, ValueError) as err:
        raise ConfigError([f"{where}: {path} is not a readable JSON file ({err})"]) from err
    kind = next((k for k in ("installed", "web") if isinstance(data.get(k), dict)), None)
    if kind is None or not data[kind].get("client_id"):
        raise ConfigError(
            [
                f"{where}: {path} is not an OAuth client file (expected an 'installed' section "
                "with client_id and client_secret; create a 'Desktop app' client, see "
                "docs/google.md)"
            ]
        )
    section = dict(data[kind])
    section["auth_uri"] = options.get("auth_uri") or section.get("auth_uri") or GOOGLE_AUTH_URI
    section["token_uri"] = options.get("token_uri") or section.get("token_uri") or GOOGLE_TOKEN_URI
    return {kind: section}


def authorize(
    ctx: AccountContext,
    options: dict[str, Any],
    echo: Callable[[str], Any],
    *,
    open_browser: bool = True,
    timeout: int = AUTH_TIMEOUT,
) -> Credentials:
    """Run the loopback installed-app flow and store the token (0600)."""
    from google_auth_oauthlib.flow import InstalledAppFlow, WSGITimeoutError
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    class Flow(InstalledAppFlow):
        """Passes the CA bundle to the code exchange: requests would otherwise prefer the
        REQUESTS_CA_BUNDLE environment variable over a session setting."""

        def fetch_token(self, **kwargs: Any) -> Any:
            if options.get("ca_bundle"):
                kwargs.setdefault("verify", str(options["ca_bundle"]))
            return super().fetch_token(**kwargs)

    flow = Flow.from_client_config(
        client_config(ctx, options), scopes=list(SCOPES), autogenerate_code_verifier=True
    )
    echo(f"Authorizing Google account {ctx.name!r}: calendar read-only, Gmail drafts and headers.")
    echo("A browser window opens; if none does, open the address printed below.")
    try:
        creds = flow.run_local_server(
            host="127.0.0.1",
            port=0,
            open_browser=open_browser,
            timeout_seconds=timeout,
            access_type="offline",
            prompt="consent",
            authorization_prompt_message="Open this address to authorize followupd: {url}",
            success_message="followupd is authorized. You can close this window.",
        )
    except WSGITimeoutError as err:
        raise AuthNeeded(
            f"no answer from the browser within {timeout} s while authorizing {ctx.name!r}",
            fix=fix_for(ctx),
        ) from err
    except OAuth2Error as err:
        raise AuthNeeded(
            f"Google did not authorize account {ctx.name!r} ({err.error}: "
            f"{err.description or 'no description'})",
            fix=fix_for(ctx),
        ) from err
    except Warning as changed:  # oauthlib: the granted scopes differ from the requested ones
        creds = _credentials_from_changed_scope(changed, flow)
    granted = set(creds.granted_scopes or creds.scopes or [])
    missing = [s for s in SCOPES if s not in granted]
    if missing:
        raise AuthNeeded(
            f"the consent screen granted account {ctx.name!r} only part of what followupd "
            f"needs: missing {', '.join(short(s) for s in missing)} (tick every box)",
            fix=fix_for(ctx),
        )
    wide = sorted(granted & FORBIDDEN_SCOPES)
    if wide:
        log.warning(
            "Google also granted %s (earlier grants of this client); followupd never uses them",
            ", ".join(short(s) for s in wide),
        )
    save_credentials(ctx, options, creds)
    echo(f"Stored the Google authorization of {ctx.name!r} in {token_path(ctx, options)}.")
    return creds


def _credentials_from_changed_scope(changed: Warning, flow: Any) -> Credentials:
    """oauthlib raises (a Warning) when Google grants other scopes than asked; keep the token
    so the caller can say exactly which scopes are missing, or accept a wider earlier grant."""
    token = getattr(changed, "token", None) or {}
    new = getattr(changed, "new_scope", None) or []
    config = flow.client_config
    return Credentials(
        token=token.get("access_token"),
        refresh_token=token.get("refresh_token"),
        token_uri=config["token_uri"],
        client_id=config["client_id"],
        client_secret=config.get("client_secret"),
        scopes=list(SCOPES),
        granted_scopes=list(new),
    )
