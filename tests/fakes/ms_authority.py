"""A fake Microsoft identity platform (login.microsoftonline.com) over HTTPS on 127.0.0.1.

Speaks the wire protocol the real MSAL uses, so tests drive MSAL itself:

- OIDC discovery, the "tenant discovery" MSAL does:
  ``GET /{tenant}/v2.0/.well-known/openid-configuration``
- the device-code endpoint: ``POST /{tenant}/oauth2/v2.0/devicecode``
- the token endpoint: ``POST /{tenant}/oauth2/v2.0/token`` for the device-code grant and the
  refresh-token grant. Answers carry ``id_token`` and ``client_info``: without them MSAL stores
  no account and never finds the sign-in again.

TLS comes from a throwaway test CA (``trustme``); clients trust it through the CA bundle file.
Scopes are answered in Graph's short form ("Mail.ReadWrite"), as Microsoft does, whatever form
was requested. :class:`Tokens` is shared with the fake Graph server, which accepts only access
tokens issued here and still valid.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import socket
import ssl
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme

RESERVED = {"openid", "profile", "offline_access", "email"}


# ------------------------------------------------------------------------------------------
# TLS and a threaded HTTPS server, shared with the fake Graph server
# ------------------------------------------------------------------------------------------


@dataclass
class TestTLS:
    """A test CA, a server certificate for 127.0.0.1/localhost, and the CA as a PEM file."""

    ca_path: Path
    context: ssl.SSLContext

    @classmethod
    def create(cls, folder: Path) -> TestTLS:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        folder.mkdir(parents=True, exist_ok=True)
        ca_path = folder / "test-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        return cls(ca_path=ca_path, context=context)


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], tls: TestTLS, state: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.socket = tls.context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )
        self.state = state
        self.connections: set[Any] = set()
        self._thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout test, closed session) is not a server error."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def start(self) -> TLSServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-ms", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.close()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with Content-Length, JSON helpers, quiet logs."""

    protocol_version = "HTTP/1.1"
    server: TLSServer

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: without TCP_NODELAY every answer waits
        # for the client's delayed ACK (~40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def body_bytes(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)


# ------------------------------------------------------------------------------------------
# Tokens shared by the authority and Graph
# ------------------------------------------------------------------------------------------


@dataclass
class Tokens:
    access: dict[str, tuple[float, str]] = field(default_factory=dict)  # -> (expiry, user)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> user
    reject_all: bool = False  # Graph refuses every token (a broken tenant, a revoked app)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def valid(self, token: str) -> bool:
        with self.lock:
            return not self.reject_all and self.access.get(token, (0, ""))[0] > time.time()

    def user_of(self, token: str) -> str:
        with self.lock:
            return self.access.get(token, (0, ""))[1]

    def invalidate_access(self) -> None:
        """Every issued access token stops working at Graph (expired or revoked there)."""
        with self.lock:
            self.access.clear()

    def revoke(self, user: str | None = None) -> None:
        """The user revoked the app (or changed the password): nothing works any more."""
        with self.lock:
            self.access = {t: v for t, v in self.access.items() if user and v[1] != user}
            self.refresh = {t: u for t, u in self.refresh.items() if user and u != user}


@dataclass
class AuthorityState:
    tokens: Tokens
    client_id: str = "11111111-2222-3333-4444-555555555555"
    username: str = "casey@contoso.example"
    display_name: str = "Casey Candidate"
    oids: dict[str, str] = field(default_factory=dict)  # user name -> object id
    tid: str = field(default_factory=lambda: str(uuid.uuid4()))
    access_lifetime: int = 3600
    pending_polls: int = 1  # "authorization_pending" answers before the user "approves"
    decline: bool = False  # the user declines the consent screen
    grant: list[str] | None = None  # scopes granted (short form); None: as requested
    refresh_error: tuple[str, str] | None = None  # (error, description) for refresh grants
    short_scopes: bool = True  # answer "Mail.ReadWrite" even when ".../Mail.ReadWrite" was asked
    unknown_tenants: set[str] = field(default_factory=set)
    device_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    cookies_seen: list[str] = field(default_factory=list)  # Cookie headers clients sent
    _device: dict[str, dict[str, Any]] = field(default_factory=dict)

    def requested_scopes(self) -> list[str]:
        """The scope list of the last device-code request, as sent."""
        return self.device_requests[-1]["scope"].split() if self.device_requests else []

    def refresh_grants(self) -> int:
        return sum(1 for r in self.token_requests if r.get("grant_type") == "refresh_token")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class AuthorityHandler(JsonHandler):
    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        """Every answer sets a cookie, as the real service does (``fpc``, ``stsservicecookie``):
        a client shared by several accounts must not send one account's to another's."""
        cookie = f"fpc={secrets.token_urlsafe(8)}; expires=Fri, 01-Jan-2100 00:00:00 GMT; path=/"
        super().send_json(status, payload, {"Set-Cookie": cookie, **(headers or {})})

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        state: AuthorityState = self.server.state
        path = urlsplit(self.path).path
        state.requests.append(f"GET {path}")
        state.cookies_seen += self.headers.get_all("Cookie") or []
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            tenant = parts[0]
            if tenant in state.unknown_tenants:
                self.send_json(
                    400,
                    {
                        "error": "invalid_tenant",
                        "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                    },
                )
                return
            base = f"{self.server.base_url}/{tenant}"
            self.send_json(
                200,
                {
                    "issuer": f"{self.server.base_url}/{state.tid}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token"],
                    "scopes_supported": ["openid", "profile", "email", "offline_access"],
                },
            )
            return
        self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        state: AuthorityState = self.server.state
        path = urlsplit(self.path).path
        state.requests.append(f"POST {path}")
        state.cookies_seen += self.headers.get_all("Cookie") or []
        form = {k: v[0] for k, v in parse_qs(self.body_bytes().decode()).items()}
        if path.endswith("/oauth2/v2.0/devicecode"):
            self._devicecode(state, form)
        elif path.endswith("/oauth2/v2.0/token"):
            self._token(state, form)
        else:
            self.send_json(404, {"error": "not_found"})

    def _devicecode(self, state: AuthorityState, form: dict[str, str]) -> None:
        state.device_requests.append(form)
        if form.get("client_id") != state.client_id:
            self.send_json(
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application not found in the directory.",
                },
            )
            return
        code = secrets.token_urlsafe(16)
        state._device[code] = {"polls": 0, "scope": form.get("scope", "")}
        self.send_json(
            200,
            {
                "user_code": "FAKE-2FA3",
                "device_code": code,
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 900,
                "interval": 0,
                "message": "To sign in, use a web browser to open the page "
                "https://microsoft.com/devicelogin and enter the code FAKE-2FA3 to authenticate.",
            },
        )

    def _token(self, state: AuthorityState, form: dict[str, str]) -> None:
        state.token_requests.append({k: v for k, v in form.items() if k != "refresh_token"})
        grant = form.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            flow = state._device.get(form.get("device_code", ""))
            if flow is None:
                self._error(400, "expired_token", "AADSTS70019: Verification code expired.")
                return
            if state.decline:
                self._error(400, "authorization_declined", "AADSTS70000: The user declined.")
                return
            flow["polls"] += 1
            if flow["polls"] <= state.pending_polls:
                self._error(400, "authorization_pending", "AADSTS70016: Pending end-user auth.")
                return
            self._issue(state, flow["scope"], state.username)
            return
        if grant == "refresh_token" and state.refresh_error:
            self._error(400, *state.refresh_error)
            return
        if grant == "refresh_token":
            with state.tokens.lock:
                user = state.tokens.refresh.get(form.get("refresh_token", ""))
            if user is None:
                self._error(
                    400,
                    "invalid_grant",
                    "AADSTS50173: The provided grant has expired due to it being revoked, a fresh "
                    "auth token is needed.\r\nTrace ID: 0000\r\nCorrelation ID: 0000",
                )
                return
            self._issue(state, form.get("scope", ""), user)
            return
        self._error(400, "unsupported_grant_type", f"AADSTS70003: grant {grant!r}")

    def _error(self, status: int, error: str, description: str) -> None:
        self.send_json(
            status,
            {
                "error": error,
                "error_description": description,
                "error_codes": [int(description[6:11])],
            },
        )

    def _issue(self, state: AuthorityState, requested: str, user: str) -> None:
        asked = [s for s in requested.split() if s not in RESERVED]
        short = [s.rsplit("/", 1)[-1] for s in asked]
        granted = state.grant if state.grant is not None else short if state.short_scopes else asked
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = int(time.time())
        with state.tokens.lock:
            state.tokens.access[access] = (now + state.access_lifetime, user)
            state.tokens.refresh[refresh] = user
        claims = {
            "aud": state.client_id,
            "iss": f"{self.server.base_url}/{state.tid}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": state.display_name,
            "oid": _oid(state, user),
            "preferred_username": user,
            "sub": _oid(state, user),
            "tid": state.tid,
            "ver": "2.0",
        }
        id_token = ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), "sig"])
        self.send_json(
            200,
            {
                "token_type": "Bearer",
                "scope": " ".join([*granted, "openid", "profile", "email"]),
                "expires_in": state.access_lifetime,
                "ext_expires_in": state.access_lifetime,
                "access_token": access,
                "refresh_token": refresh,
                "id_token": id_token,
                "client_info": _b64({"uid": _oid(state, user), "utid": state.tid}),
            },
        )


def _oid(state: AuthorityState, user: str) -> str:
    """A stable object id per user name."""
    return state.oids.setdefault(user, str(uuid.uuid4()))


def start_authority(tls: TestTLS, tokens: Tokens | None = None) -> tuple[TLSServer, AuthorityState]:
    """Start the fake authority on 127.0.0.1 (a free port) in a thread."""
    state = AuthorityState(tokens=tokens or Tokens())
    server = TLSServer(AuthorityHandler, tls, state).start()
    return server, state
