"""One authorized connection to Google per account side: credentials, services, execution.

Built lazily, so a missing token shows up as :class:`~daemon.errors.AuthNeeded` on the first
call (and in ``followupd check``/``status``) instead of breaking the daemon's start-up. Each
calendar source and mailbox owns one session (its credentials); what is the same for every
account is shared, so a thousand accounts cost what their tokens cost and no more:

* the googleapiclient resources (:mod:`connectors.google.services`): built once per process
  and API endpoint, every request then run with the account's own authorized http;
* the HTTP connections: one :class:`NoResendHttp` per thread and CA bundle (httplib2
  connections are not thread-safe; accounts worked by one thread share its connections to a
  host instead of holding one TLS connection each);
* the TLS context, one per CA bundle for the whole process (:class:`SharedContextHTTPS`).

Every request goes through :meth:`GoogleSession.execute`, which maps library and HTTP failures to
:mod:`daemon.errors` and applies the read retry policy. A refreshed access token is written back
to the token file so the next start need not refresh again.
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.errors import HttpError

from connectors.google import auth, services
from connectors.google.errors import failure_of, translate, unreadable_failure
from connectors.google.retry import RetryPolicy
from daemon import metrics, redaction, tls
from daemon.errors import (
    AuthNeeded,
    ConnectorError,
    FollowupdError,
    InvalidResponse,
    TransientError,
)
from daemon.protocols import AccountContext
from daemon.worlderrors import cannot_connect, unreachable

log = logging.getLogger(__name__)

DEFAULT_API_ROOT = services.DEFAULT_API_ROOT
HTTP_TIMEOUT = 30  # seconds per request


class SharedContextHTTPS(httplib2.HTTPSConnectionWithTimeout):
    """httplib2's HTTPS connection, verifying with the process's one TLS context for its CA
    bundle.

    httplib2 builds a context for every connection object and loads the whole CA bundle into
    it: about 850 KB each with the system's bundle. Connections are kept per worker thread and
    host (the sign-in service, Calendar and Gmail), so at the default concurrency of 64 that
    was up to 190 identical certificate stores, over 150 MB (:mod:`daemon.tls`). The first one
    built for a bundle is kept (so it is configured exactly as httplib2 configures it) and each
    later connection's own is dropped as soon as it is made.
    A connection with a client certificate, or without verification, keeps its own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.cert_file is None and not self.disable_ssl_certificate_validation:
            own = self._context
            self._context = tls.shared("httplib2", self.ca_certs, lambda: own)


class NoResendHttp(httplib2.Http):
    """httplib2, minus its silent resend of non-idempotent requests.

    httplib2 sends a request again, POST included, when the answer never arrives (it assumes a
    stale keep-alive connection). If Gmail had already created the draft, that resend would make
    a second one. Here a POST goes out once on a fresh connection; a lost answer is an error, and
    the core looks the draft up by its key before it tries again. A GET keeps httplib2's one
    resend, but a connection whose answer failed half-way is closed, not reused.
    """

    def request(  # type: ignore[override]
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        if connection_type is None and uri.startswith("https:"):
            connection_type = SharedContextHTTPS
        return super().request(uri, method, body, headers, redirections, connection_type)

    def _conn_request(
        self, conn: Any, request_uri: str, method: str, body: Any, headers: dict[str, str]
    ) -> tuple[httplib2.Response, bytes]:
        metrics.request("google")  # every request on the wire, sign-in included
        if method in ("GET", "HEAD"):
            try:
                return super()._conn_request(conn, request_uri, method, body, headers)
            except (OSError, http.client.HTTPException):
                # httplib2 keeps the connection after a timeout or a body cut short; the next
                # attempt would then fail on it too (a wasted retry) or read a stale answer.
                conn.close()
                raise
        headers = {**headers, "accept-encoding": "identity"}
        try:
            conn.close()
            conn.connect()
            conn.request(method, request_uri, body, headers)
            raw = conn.getresponse()
            content = raw.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            raise
        return httplib2.Response(raw), content


_TRANSPORTS = threading.local()


def shared_http(ca_bundle: str | None) -> NoResendHttp:
    """This thread's connections to Google (per CA bundle), shared by every account it works.

    httplib2 keeps one connection per host in an ``Http``, and an ``Http`` must stay in one
    thread; one per thread (not per account) bounds the open TLS connections by the worker
    threads, whatever the number of accounts."""
    found: dict[str | None, NoResendHttp] | None = getattr(_TRANSPORTS, "by_ca", None)
    if found is None:
        found = _TRANSPORTS.by_ca = {}
    http = found.get(ca_bundle)
    if http is None:
        http = found[ca_bundle] = NoResendHttp(timeout=HTTP_TIMEOUT, ca_certs=ca_bundle)
    return http


class GoogleSession:
    def __init__(
        self,
        ctx: AccountContext,
        options: dict[str, Any],
        policy: RetryPolicy | None = None,
        http_factory: Callable[[], httplib2.Http] | None = None,
        scopes: tuple[str, ...] | None = None,
    ) -> None:
        self.ctx = ctx
        self.options = options
        self.scopes = scopes  # None: the full grant; else a narrowed token (see narrowed())
        self.policy = policy or RetryPolicy()
        # A factory (tests: a shorter timeout) gives the session an Http of its own; without
        # one it uses the shared connections of the thread it runs in.
        self._http_factory = http_factory
        self._own_http: httplib2.Http | None = None
        self._creds: Any = None
        self._authed: AuthorizedHttp | None = None
        self._saved_token: str | None = None

    # -- construction ------------------------------------------------------------------------

    def _transport(self) -> httplib2.Http:
        if self._http_factory is not None:
            if self._own_http is None:
                self._own_http = self._http_factory()
            return self._own_http
        ca = self.options.get("ca_bundle")
        return shared_http(str(ca) if ca else None)

    def narrowed(self, scopes: tuple[str, ...]) -> GoogleSession:
        """Another session, on an access token of ``scopes`` only (:func:`auth.narrowed`).

        For the few calls the full grant cannot make because it holds ``gmail.metadata``
        (reading a draft's body for ``followupd redraft``). Its own connection, since httplib2
        connections are not thread-safe; its token is never written to the token file.
        """
        return GoogleSession(self.ctx, self.options, self.policy, self._http_factory, scopes=scopes)

    def _authorized(self) -> AuthorizedHttp:
        """The account's credentials over this thread's connections (an account may be worked
        by another thread at its next poll)."""
        if self._creds is None:
            creds = auth.load_credentials(self.ctx, self.options)
            if self.scopes is not None:
                creds = auth.narrowed(creds, self.scopes)
            self._creds, self._saved_token = creds, creds.token
        transport = self._transport()
        if self._authed is None or self._authed.http is not transport:
            self._authed = AuthorizedHttp(self._creds, http=transport)
        return self._authed

    @property
    def api_root(self) -> str:
        return str(self.options.get("api_root") or DEFAULT_API_ROOT)

    def service(self, name: str) -> Any:
        """The googleapiclient resource for ``name`` ('calendar' or 'gmail'), shared by every
        session of this process at this API root; :meth:`execute` runs its requests as this
        account. Nothing is read here, so a missing token still shows on the first request."""
        return services.resource(name, self.api_root)

    # -- execution ---------------------------------------------------------------------------

    def execute(
        self, request: Any, what: str, *, retry: bool = True, empty: bool = False
    ) -> dict[str, Any]:
        """Run one API request; ``retry=False`` for non-idempotent calls (draft creation);
        ``empty`` for a method whose success has no body (``drafts.delete``: 204)."""

        answers: list[Any] = []  # the HTTP response of each attempt, before it is decoded
        request.add_response_callback(answers.append)

        def attempt() -> dict[str, Any]:
            return self._attempt(request, what, answers)

        try:
            result = self.policy.call(attempt, what) if retry else attempt()
        finally:
            self._persist_refreshed_token()
        if empty and result in ("", None):
            return {}
        if not isinstance(result, dict):
            raise InvalidResponse(
                f"{what}: Google's answer is not a JSON object (it starts {str(result)[:40]!r})"
            )
        return result

    def _attempt(self, request: Any, what: str, answers: list[Any]) -> Any:
        answers.clear()
        authorized = self._authorized()  # reading the token file: its errors are its own
        try:
            return request.execute(http=authorized, num_retries=0)
        except HttpError as err:
            # 404 and 410 become NotFound / Gone: the caller decides what they mean.
            failure = translate(failure_of(err), what, self.ctx.name, datetime.now(UTC))
            if isinstance(failure, AuthNeeded):
                self._forget_credentials()
            raise failure from err
        except (AttributeError, TypeError) as err:
            # googleapiclient itself fails to build its HttpError from an error body whose
            # fields have unexpected types ('message' not a string): judge by the status.
            if not answers or int(getattr(answers[-1], "status", 0) or 0) < 300:
                raise InvalidResponse(
                    f"{what}: Google's answer could not be read ({type(err).__name__}: {err})"
                ) from err
            now = datetime.now(UTC)
            failure = unreadable_failure(answers[-1], now)
            raise translate(failure, what, self.ctx.name, now) from err
        except RefreshError as err:
            if self.scopes is not None and "invalid_scope" in str(err.args):
                # The grant is fine (the daemon's own token still works): only the narrowing
                # was refused, and `followupd auth` would not change that.
                raise ConnectorError(
                    f"{what}: Google refused an access token limited to "
                    f"{', '.join(auth.short(s) for s in self.scopes)} (invalid_scope)"
                ) from err
            failure = auth.refresh_failure(err, self.ctx)
            if isinstance(failure, AuthNeeded):
                self._forget_credentials()
            raise failure from err
        except FollowupdError:
            raise
        except (TransportError, httplib2.HttpLib2Error, http.client.HTTPException, OSError) as err:
            if isinstance(err, ssl.SSLCertVerificationError):
                raise ConnectorError(
                    f"{what}: the TLS certificate of the Google endpoint was not accepted "
                    f"({err.verify_message}); set ca_bundle in [accounts.google] for a proxy"
                ) from err
            if cannot_connect(err):  # the network is gone: say which host, and what to check
                token = isinstance(err, TransportError)  # the refresh before the request
                raise TransientError(f"{what}: {unreachable(self._host(token), err)}") from err
            raise TransientError(
                f"{what}: cannot reach Google ({type(err).__name__}: {err})"
            ) from err
        except ValueError as err:  # googleapiclient could not decode the body
            raise InvalidResponse(f"{what}: Google's answer is not a JSON object ({err})") from err

    def _host(self, token: bool = False) -> str:
        """The host of the API root, or of the token endpoint, as messages name it
        ("www.googleapis.com", "oauth2.googleapis.com")."""
        url = str(self.options.get("api_root") or DEFAULT_API_ROOT)
        if token:
            url = str(getattr(self._creds, "token_uri", None) or url)
        return urllib.parse.urlsplit(url).netloc or url

    def _forget_credentials(self) -> None:
        """Read the token file again on the next call: ``followupd auth`` may replace it while
        the daemon runs, and the refused credentials in memory would otherwise stay in use
        until a restart."""
        self._creds = None
        self._authed = None
        self._saved_token = None

    def _persist_refreshed_token(self) -> None:
        creds = self._creds
        if creds is None or not creds.token or creds.token == self._saved_token:
            return
        if self.scopes is not None:  # a narrowed token: kept in memory only, never logged
            redaction.register_secret(creds.token)
            self._saved_token = creds.token
            return
        try:
            auth.save_credentials(self.ctx, self.options, creds)
            self._saved_token = creds.token
        except OSError as err:  # not fatal: the refresh token is unchanged
            log.warning("could not store the refreshed Google token of %s: %s", self.ctx.name, err)
