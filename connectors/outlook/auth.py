"""Microsoft sign-in with MSAL: the device-code flow, the token cache, silent refresh.

Device code because followupd runs on headless servers and over SSH: the user opens a URL on
any device and types a code. Delegated permissions only (see ``clouds.PERMISSIONS``).

The token cache goes through msal-extensions: an encrypted store (libsecret) where one works,
else an owner-only file written atomically with :func:`daemon.paths.write_private`. Headless
servers have no libsecret; that is expected, so it is said once in the log, not on every poll.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msal
import requests
from msal_extensions import LockError, PersistedTokenCache, build_encrypted_persistence
from msal_extensions.persistence import FilePersistence, PersistenceNotFound

from connectors.outlook.clouds import FORBIDDEN_PERMISSIONS, PERMISSIONS
from connectors.outlook.discovery import DiscoveryClient
from connectors.outlook.lookups import Lookups
from connectors.outlook.settings import Settings
from daemon import paths, redaction
from daemon.errors import AuthNeeded, ConnectorError, NotSignedIn, TransientError
from daemon.message import one_line
from daemon.worlderrors import cannot_connect, explain, unreachable

log = logging.getLogger(__name__)

# Errors of a silent refresh that only a new sign-in can cure.
REAUTH_ERRORS = frozenset({
    "invalid_grant", "interaction_required", "login_required", "consent_required",
    "invalid_client", "unauthorized_client",
})  # fmt: skip

EARLY_REFRESH = 300.0  # seconds before expiry when an access token is no longer handed out

_fallback_said = False
_fallback_lock = threading.Lock()


def _sign_in_unreachable(err: requests.RequestException, service: str | None = None) -> str:
    """What failed on the way to the sign-in service: a lost network names the host and what
    to check (the request never left); anything else quotes the library's words."""
    if cannot_connect(err):
        url = getattr(err.request, "url", None) or service or ""
        return unreachable(urlsplit(url).netloc or None, err)
    where = f" {service}" if service else ""
    return f"cannot reach the Microsoft sign-in service{where}: {one_line(str(err), 200)}"


class PrivateFilePersistence(FilePersistence):
    """msal-extensions' plain-file persistence, but atomic and owner-only from the first byte."""

    def save(self, content: str) -> None:
        paths.write_private(Path(self.get_location()), content.encode("utf-8"))


def open_token_cache(path: Path) -> tuple[PersistedTokenCache, str]:
    """The persisted token cache for ``path`` and a description of where tokens live."""
    global _fallback_said
    paths.private_dir(path.parent)
    try:
        persistence = build_encrypted_persistence(str(path) + ".signal")
        with contextlib.suppress(PersistenceNotFound):
            persistence.load()  # proves the keyring answers; empty is fine
        return PersistedTokenCache(persistence), "the system keyring (encrypted)"
    except Exception as err:  # noqa: BLE001 - any failure of the optional encrypted store
        reason = one_line(str(err).splitlines()[0] if str(err) else err.__class__.__name__, 160)
        with _fallback_lock:
            if not _fallback_said:
                _fallback_said = True
                log.info(
                    "no encrypted token store available (%s); keeping Microsoft tokens in the "
                    "owner-only file %s",
                    reason,
                    path,
                )
    _narrow(path)
    return PersistedTokenCache(PrivateFilePersistence(str(path))), f"the owner-only file {path}"


def _narrow(path: Path) -> None:
    """A token file readable by others (copied in by hand) is made owner-only again."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("token cache %s was readable by other users; made it owner-only", path)
        os.chmod(path, 0o600)


class MsalTokens:
    """Access tokens for one account; the MSAL app is built on first use (it does discovery,
    answered by :mod:`.discovery` from what the process or the account's ``lookups`` keep)."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session,
        addresses: tuple[str, ...],
        lookups: Lookups | None = None,
    ):
        self.settings = settings
        self._session = session
        self._lookups = lookups
        self._addresses = {a.lower() for a in addresses}
        self._app: msal.PublicClientApplication | None = None
        self._cache: PersistedTokenCache | None = None
        self._where = ""
        self._lock = threading.Lock()
        self._memo: tuple[str, float] | None = None  # access token, expiry (epoch seconds)

    @property
    def where(self) -> str:
        return self._where

    def _token_cache(self) -> PersistedTokenCache:
        """The persisted cache, opened once (under ``_lock``); no network."""
        if self._cache is None:
            self._cache, self._where = open_token_cache(self.settings.token_cache)
        return self._cache

    def _never_signed_in(self) -> bool:
        """No account in the token cache at all: building the MSAL app (which asks the
        authority for its endpoints) would only lead to "not signed in" anyway."""
        with self._lock:
            if self._app is not None:
                return False
            cache = self._token_cache()
        return not list(cache.search(msal.TokenCache.CredentialType.ACCOUNT))

    def app(self) -> msal.PublicClientApplication:
        with self._lock:
            if self._app is None:
                cache = self._token_cache()
                host = self.settings.authority_url
                try:
                    self._app = msal.PublicClientApplication(
                        self.settings.client_id,
                        authority=host,
                        token_cache=cache,
                        http_client=DiscoveryClient(self._session, self._lookups),
                        instance_discovery=False,  # no call to the global discovery host
                    )
                except requests.RequestException as err:
                    raise TransientError(_sign_in_unreachable(err, host)) from err
                except ValueError as err:
                    # MSAL's own text is generic; the discovery answer it wraps names the cause.
                    cause = err.__context__ if isinstance(err.__context__, ValueError) else err
                    raise ConnectorError(
                        f"the Microsoft sign-in service {host} does not know this authority "
                        f"({one_line(str(cause), 300)}); "
                        "check [accounts.outlook].authority and cloud"
                    ) from err
            return self._app

    def _cache_failure(self, err: OSError | LockError) -> str:
        if isinstance(err, OSError):
            return explain(err, f"the token cache ({self._where})", "cannot use it")
        return f"cannot use the token cache ({self._where}): {err}"

    def token(self, force_refresh: bool = False) -> str:
        """A valid access token, refreshed silently when needed; AuthNeeded when impossible.

        The token is also remembered here until 5 minutes before it expires: MSAL finds a
        cached token only when the scopes Microsoft granted match the requested strings
        exactly (resource-qualified vs short names), and would otherwise use the refresh
        token on every request. For the same reason a new process looks in the token cache
        itself (:meth:`_cached`) before asking MSAL, which would refresh.
        """
        memo = self._memo
        if not force_refresh and memo is not None and memo[1] - EARLY_REFRESH > time.time():
            return memo[0]
        try:
            if self._never_signed_in():
                raise NotSignedIn(self.settings.fix, f"no sign-in found in {self._where}")
        except (OSError, LockError) as err:
            raise TransientError(self._cache_failure(err)) from err
        app = self.app()
        try:
            accounts = app.get_accounts()
            if not accounts:
                raise AuthNeeded(
                    f"account {self.settings.account!r} is not signed in to Microsoft "
                    f"(no sign-in found in {self._where})",
                    fix=self.settings.fix,
                )
            account = self._pick(accounts)
            cached = None if force_refresh else self._cached(app, account)
            if cached is not None:
                self._memo = cached
                return cached[0]
            for stored in app.token_cache.search(msal.TokenCache.CredentialType.REFRESH_TOKEN):
                redaction.register_secret(stored.get("secret"))  # about to be sent: never logged
            result = app.acquire_token_silent_with_error(
                list(self.settings.scopes), account=account, force_refresh=force_refresh
            )
        except requests.RequestException as err:
            raise TransientError(_sign_in_unreachable(err)) from err
        except (OSError, LockError) as err:  # token cache file, its lock file, or the keyring
            raise TransientError(self._cache_failure(err)) from err
        if result and "access_token" in result:
            _register_tokens(result)
            lifetime = float(result.get("expires_in") or 0)
            self._memo = (str(result["access_token"]), time.time() + lifetime)
            return self._memo[0]
        self._memo = None
        if not result:
            raise AuthNeeded(
                f"the Microsoft sign-in of account {self.settings.account!r} has expired",
                fix=self.settings.fix,
            )
        error = str(result.get("error") or "unknown_error")
        detail = _first_line(result.get("error_description"))
        if error in REAUTH_ERRORS:
            raise AuthNeeded(
                f"the Microsoft sign-in of account {self.settings.account!r} was revoked or has "
                f"expired ({error}: {detail})",
                fix=self.settings.fix,
            )
        raise TransientError(
            f"the Microsoft sign-in service failed a token refresh ({error}: {detail})"
        )

    def _cached(
        self, app: msal.PublicClientApplication, account: dict[str, Any]
    ) -> tuple[str, float] | None:
        """An access token of ``account`` in the token cache granting our permissions and
        valid for 5 more minutes (and not due for MSAL's early refresh), with its expiry; no
        network. Microsoft names the granted scopes short ("Mail.ReadWrite") or qualified
        ("https://graph.microsoft.com/Mail.ReadWrite"); both count."""
        prefix = self.settings.cloud.scope_resource.lower() + "/"
        wanted = {p.lower() for p in PERMISSIONS}
        query = {
            "client_id": self.settings.client_id,
            "home_account_id": account.get("home_account_id"),
            "environment": app.authority.instance,
            "realm": app.authority.tenant,
        }
        now = time.time()
        for entry in app.token_cache.search(
            msal.TokenCache.CredentialType.ACCESS_TOKEN, query=query
        ):
            granted = {s.lower().removeprefix(prefix) for s in str(entry.get("target")).split()}
            try:
                expires = float(entry["expires_on"])
                renew = float(entry.get("refresh_on") or expires)
                secret = str(entry["secret"])
            except (KeyError, TypeError, ValueError):
                continue
            if wanted <= granted and secret and min(expires - EARLY_REFRESH, renew) > now:
                redaction.register_secret(secret)
                return secret, expires
        return None

    def _pick(self, accounts: list[dict[str, Any]]) -> dict[str, Any]:
        for account in accounts:
            if str(account.get("username") or "").lower() in self._addresses:
                return account
        return accounts[0]

    def authorize(self, echo: Callable[[str], Any]) -> str:
        """Run the device-code flow; return the signed-in username."""
        app = self.app()
        scopes = list(self.settings.scopes)
        try:
            flow = app.initiate_device_flow(scopes=scopes)
        except requests.RequestException as err:
            raise TransientError(_sign_in_unreachable(err)) from err
        redaction.register_secret(flow.get("device_code"))
        if "user_code" not in flow:
            raise AuthNeeded(
                "Microsoft refused to start the sign-in "
                f"({flow.get('error')}: {_first_line(flow.get('error_description'))})",
                fix=self.settings.fix,
            )
        echo(
            str(
                flow.get("message")
                or f"Open {flow.get('verification_uri')} and enter the code {flow['user_code']}"
            )
        )
        try:
            result = app.acquire_token_by_device_flow(flow)
        except requests.RequestException as err:
            raise TransientError(_sign_in_unreachable(err)) from err
        _register_tokens(result)
        if "access_token" not in result:
            raise AuthNeeded(
                f"the Microsoft sign-in did not complete ({result.get('error')}: "
                f"{_first_line(result.get('error_description'))})",
                fix=self.settings.fix,
            )
        granted = {s.rsplit("/", 1)[-1].lower() for s in str(result.get("scope") or "").split()}
        missing = [p for p in PERMISSIONS if p.lower() not in granted]
        if missing:
            raise AuthNeeded(
                f"Microsoft did not grant {', '.join(missing)} (granted: "
                f"{result.get('scope') or 'nothing'}); an administrator may have to consent "
                "for your organization, see docs/outlook.md",
                fix=self.settings.fix,
            )
        extra = sorted(p for p in FORBIDDEN_PERMISSIONS if p.lower() in granted)
        if extra:
            echo(
                f"Note: this app registration also holds {', '.join(extra)}; followupd never "
                "uses it and never sends mail. You may remove it from the registration."
            )
        lifetime = float(result.get("expires_in") or 0)
        self._memo = (str(result["access_token"]), time.time() + lifetime)
        claims = result.get("id_token_claims") or {}
        username = str(claims.get("preferred_username") or claims.get("email") or "")
        self._forget_others(app, username)
        echo(
            f"Signed in to Microsoft as {username or 'your account'}; "
            f"tokens are kept in {self._where}."
        )
        return username

    @staticmethod
    def _forget_others(app: msal.PublicClientApplication, username: str) -> None:
        """One account per cache: a re-auth as someone else must not leave the old one behind."""
        for account in app.get_accounts():
            if str(account.get("username") or "").lower() != username.lower():
                app.remove_account(account)


def _register_tokens(result: dict[str, Any]) -> None:
    """Scrub the tokens of an MSAL answer from every later log line, whatever logs them."""
    for key in ("access_token", "refresh_token", "id_token"):
        redaction.register_secret(result.get(key))


def _first_line(text: Any) -> str:
    first = str(text or "").strip().splitlines()
    return one_line(first[0], 240) if first else "no details"
