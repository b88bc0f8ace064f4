"""A local fake of Google's OAuth, Calendar and Gmail endpoints, over HTTPS on 127.0.0.1.

Speaks the real wire format so the real clients (googleapiclient with its bundled discovery
documents, google-auth, google-auth-oauthlib) run unmodified against it. Every API request is
routed and validated against those discovery documents and authorized by bearer token and
scope; failures can be scripted per method (``state.inject``), and faults from the outside
(resets, held and truncated answers, non-JSON bodies, mutated JSON, endless paging) scripted
or seeded at random through ``state.faults`` (see ``tests/fakes/faults.py``).

Use::

    with running_google(tmp_path) as fake:            # or start_google_server() + stop()
        options = fake.account_options(tmp_path)      # [accounts.google] for the connector
        # (fake.account_toml(tmp_path) gives the same as TOML lines for a config file)
        fake.authorize_token(options["token_file"])   # skip the browser: store a token
        fake.state.put_event({...}); fake.state.receive(...)
        ...                                           # fake.state.requests, .drafts, ...

For ``followupd auth`` itself, ``tests/fakes/google_browser.scripted_browser`` plays the user.

:attr:`FakeGoogleState.violations` (send calls, send scopes) and :attr:`FakeGoogleState.invalid`
(requests the real API would reject) must be empty at the end of a test: see :meth:`check`.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakes import google_batch, google_calendar_api, google_gmail_api, google_oauth
from tests.fakes.faults import HTML_PAGE, Fault, reset, spoil, write_truncated
from tests.fakes.google_discovery import route, validate_body, validate_params
from tests.fakes.google_http import Request, Response, google_error
from tests.fakes.google_state import FakeGoogleState, Recorded

HANDLERS = {**google_calendar_api.HANDLERS, **google_gmail_api.HANDLERS}
CLIENT_ID = "followupd-test.apps.googleusercontent.com"
# One test CA per test process, made on first use; fakes started in parallel threads must all
# get the same one, or a client trusting one fake's CA file would reject another's certificate.
_CA: dict[str, Any] = {}
_CA_LOCK = threading.Lock()


def dispatch(state: FakeGoogleState, req: Request) -> Response:
    if req.path == google_oauth.AUTH_PATH and req.method == "GET":
        state.requests.append(Recorded("oauth.auth", req.method, req.path, req.query))
        return google_oauth.authorize(state, req)
    if req.path == google_oauth.TOKEN_PATH and req.method == "POST":
        state.requests.append(Recorded("oauth.token", req.method, req.path, req.query))
        injected = state.take_injected("oauth.token")
        if injected is not None and injected.status is not None:
            return google_oauth.oauth_error(
                injected.reason or "server_error", injected.message, injected.status
            )
        fault = state.faults.pick("POST oauth.token")
        if fault is not None:
            return _faulty(state, req, fault, lambda: google_oauth.token(state, req))
        return google_oauth.token(state, req)
    if req.path == google_batch.BATCH_PATH and req.method == "POST":
        state.requests.append(Recorded("batch", req.method, req.path, req.query))
        return google_batch.serve(state, req, dispatch)
    found = route(req.method, req.path)
    if found is None:
        state.invalid.append(f"no Google API method answers {req.method} {req.path}")
        return google_error(404, f"The requested URL {req.path} was not found on this server.")
    method, params = found
    record = Recorded(method.id, req.method, req.path, req.query)
    state.requests.append(record)
    problems = validate_params(method, req.query)
    body, body_problems = validate_body(method, req.body, req.headers.get("content-type", ""))
    record.body = body
    if problems or body_problems:
        state.invalid.extend(problems + body_problems)
        return google_error(400, "; ".join(problems + body_problems), "invalid")
    auth = req.headers.get("authorization", "")
    token = state.access_tokens.get(auth[7:]) if auth.lower().startswith("bearer ") else None
    if token is None or token["expires"] <= datetime.now(UTC):
        return google_error(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            "authError",
        )
    if not token["scopes"] & method.scopes:
        return google_error(
            403, "Request had insufficient authentication scopes.", "insufficientPermissions"
        )
    if method.api == "gmail" and params.get("userId") not in ("me", state.email):
        return google_error(403, "Delegation denied", "forbidden")
    injected = state.take_injected(method.id)
    if injected is not None and not injected.after:
        if injected.status is None:
            raise ConnectionAbortedError("scripted connection drop")
        if injected.raw is not None:
            return Response(
                injected.status, injected.raw, {"Content-Type": "text/html", **injected.headers}
            )
        return google_error(
            injected.status,
            injected.message or "scripted failure",
            injected.reason,
            injected.headers,
        )
    handler = HANDLERS.get(method.id)
    if handler is None:
        state.invalid.append(f"{method.id} is not implemented by the fake")
        return google_error(501, f"{method.id} is not implemented by the fake")

    def work() -> Response:
        with state.lock:
            if method.api == "gmail":
                return handler(state, req, params, token["scopes"])
            return handler(state, req, params)

    fault = state.faults.pick(f"{req.method} {method.id}") if injected is None else None
    if fault is not None:
        return _faulty(state, req, fault, work)
    response = work()
    if injected is not None:
        raise ConnectionAbortedError("scripted connection drop after the work was done")
    return response


class Reset(ConnectionAbortedError):
    """A fault: reset the connection (RST) instead of answering."""


def _faulty(
    state: FakeGoogleState, req: Request, fault: Fault, work: Callable[[], Response]
) -> Response:
    """Serve a request the way ``fault`` says (see tests/fakes/faults.py)."""
    if fault.kind == "status":
        reason = fault.code or {429: "rateLimitExceeded", 500: "backendError"}.get(
            fault.status, "backendError"
        )
        message = fault.message or {429: "Rate Limit Exceeded"}.get(fault.status, "Backend Error")
        return google_error(fault.status, message, reason, fault.headers)
    if fault.kind == "html":
        return Response(fault.status, HTML_PAGE, {"Content-Type": "text/html", **fault.headers})
    if fault.kind == "reset":
        raise Reset("fault: reset before the work")
    if fault.kind == "hold":
        state.faults.hold(fault)
    if fault.kind == "call" and fault.action is not None:
        fault.action()
    response = work()
    if not fault.after:
        return response
    if fault.kind == "reset_after":
        raise Reset("fault: reset after the work was done")
    if fault.kind == "hold_after":
        state.faults.hold(fault)
        return response
    url = req.path + ("?" + urllib.parse.urlencode(req.query, doseq=True) if req.query else "")
    status, body, kind, truncated = spoil(fault, response.status, response.body, url)
    return Response(status, body, {**response.headers, "Content-Type": kind}, truncated)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: FakeGoogleState  # set on the subclass made per server
    # Many users behind one server (tests/fakes/tenants.py): picks the request's user.
    router: Callable[[Request], FakeGoogleState] | None = None

    def state_for(self, req: Request) -> FakeGoogleState:
        return self.state if self.router is None else self.router(req)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        req = Request(
            method=self.command,
            path=url.path,  # still percent-encoded: path parameters are decoded after routing
            query=urllib.parse.parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        state = self.state_for(req)
        try:
            with state.pace.serving():
                res = dispatch(state, req)
        except Reset:
            self.close_connection = True
            reset(self.connection)
            return
        except ConnectionAbortedError:
            self.close_connection = True
            self.connection.close()
            return
        if state.requests and state.requests[-1].path == req.path:
            state.requests[-1].status = res.status
        elif req.path == google_batch.BATCH_PATH:
            outer = [r for r in state.requests if r.method == "batch"]
            if outer:
                outer[-1].status = res.status
        self.send_response(res.status)
        for key, value in res.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(res.body)))
        if res.truncated:
            self.close_connection = True
            write_truncated(self.wfile, b"".join(self._headers_buffer) + b"\r\n", res.body)
            self._headers_buffer = []
            self.connection.close()
            return
        self.end_headers()
        self.wfile.write(res.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout, a reset) is not an error of the fake."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


@dataclass
class GoogleFake:
    base_url: str  # https://127.0.0.1:PORT/
    ca_file: Path
    state: FakeGoogleState
    server: ThreadingHTTPServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def check(self) -> None:
        """Fail the test on any send call, send scope or request the real API would reject."""
        assert not self.state.violations, f"Google fake violations: {self.state.violations}"
        assert not self.state.invalid, (
            f"requests the real Google API would reject: {self.state.invalid}"
        )

    def client_secrets(self, folder: Path) -> Path:
        path = folder / "google-client.json"
        path.write_text(
            json.dumps(
                {
                    "installed": {
                        "client_id": CLIENT_ID,
                        "client_secret": self.state.clients[CLIENT_ID],
                        "project_id": "followupd-test",
                        "auth_uri": self.base_url + "o/oauth2/auth",
                        "token_uri": self.base_url + "token",
                        "redirect_uris": ["http://localhost"],
                    }
                }
            )
        )
        return path

    def account_options(self, folder: Path) -> dict[str, Any]:
        """A validated-looking ``[accounts.google]`` table pointing everything at this fake."""
        return {
            "client_secrets": self.client_secrets(folder),
            "token_file": folder / "google-token.json",
            "api_root": self.base_url,
            "auth_uri": self.base_url + "o/oauth2/auth",
            "token_uri": self.base_url + "token",
            "ca_bundle": self.ca_file,
        }

    def account_toml(self, folder: Path, token_file: Path | None = None) -> str:
        """The same as TOML lines, to put under ``[accounts.google]`` in a test config.

        Without ``token_file`` the default (the account's state dir) is used.
        """
        options = self.account_options(folder)
        if token_file is None:
            options.pop("token_file")
        else:
            options["token_file"] = token_file
        return "".join(f"{key} = {json.dumps(str(value))}\n" for key, value in options.items())

    def gmail_account_toml(self, folder: Path, address: str = "me@example.com") -> str:
        """A whole ``[[accounts]]`` table named "gmail": Google Calendar's primary calendar and
        Gmail, served by this fake, the token in the account's state dir."""
        return f"""
[[accounts]]
name = "gmail"
addresses = ["{address}"]
calendar = {{ provider = "google", calendars = ["primary"] }}
mailbox = {{ provider = "google" }}

[accounts.google]
{self.account_toml(folder)}"""

    def authorize_token(self, token_file: Path, scopes: list[str] | None = None) -> str:
        """Store a token as ``followupd auth`` would (no browser); returns the refresh token."""
        from connectors.google.auth import SCOPES

        granted = list(scopes or SCOPES)
        refresh = self.state.issue_refresh_token(CLIENT_ID, granted)
        token_file.write_text(
            json.dumps(
                {
                    "token": None,
                    "refresh_token": refresh,
                    "token_uri": self.base_url + "token",
                    "client_id": CLIENT_ID,
                    "client_secret": self.state.clients[CLIENT_ID],
                    "scopes": granted,
                }
            )
        )
        token_file.chmod(0o600)
        return refresh


def _tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    import trustme

    with _CA_LOCK:
        if "ca" not in _CA:
            _CA["ca"] = trustme.CA()
            _CA["cert"] = _CA["ca"].issue_cert("127.0.0.1", "localhost")
    ca_file = folder / "fake-google-ca.pem"
    _CA["ca"].cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    _CA["cert"].configure_cert(context)
    return context, ca_file


def start_google_server(
    folder: Path,
    state: FakeGoogleState | None = None,
    router: Callable[[Request], FakeGoogleState] | None = None,
) -> GoogleFake:
    """Start the fake on 127.0.0.1 (a free port) in a daemon thread.

    ``router``: many users behind this one server (see tests/fakes/tenants.py), each request
    served from the state it returns; ``state`` is then only the fallback's.
    """
    state = state or FakeGoogleState()
    context, ca_file = _tls(folder)
    handler = type("Handler", (_Handler,), {"state": state, "router": staticmethod(router)})
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.02,), name="fake-google", daemon=True
    )
    thread.start()
    base = f"https://127.0.0.1:{server.server_address[1]}/"
    return GoogleFake(base, ca_file, state, server, thread)


@contextmanager
def running_google(folder: Path, state: FakeGoogleState | None = None) -> Iterator[GoogleFake]:
    """The fake for the length of a ``with`` block; checks for violations when it ends."""
    fake = start_google_server(folder, state)
    try:
        yield fake
        fake.check()
    finally:
        fake.stop()
