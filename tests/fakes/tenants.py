"""Many users behind one fake Google server and one fake Microsoft (authority + Graph).

followupd run for a careers office polls hundreds of accounts against one Google and one
Microsoft; the fakes answer for one user each. Here each user keeps their own state (the
single-user :class:`FakeGoogleState` / :class:`GraphState` the tests know), and every request
is routed to its user by what it carries, as the real services do:

- an API request by its bearer access token;
- Google's token endpoint by the refresh token in the form; Microsoft's authority needs no
  routing (its :class:`Tokens` already maps every token to a user name).

Tokens are unique across users (a user's Google ids are salted with the address), so a token
names exactly one user; an unknown one reaches a state that knows no token and answers 401 /
``invalid_grant`` like the real service. All users of a fake share one :class:`Pace`: latency
per request without any lock held, and the requests in flight across all users.

The hooks in the servers are small on purpose (``_Handler.router`` in google_server.py,
``GraphHandler._state`` in graph_server.py): the routing lives here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from tests.fakes.google_http import Request
from tests.fakes.google_oauth import TOKEN_PATH
from tests.fakes.google_server import CLIENT_ID, GoogleFake, start_google_server
from tests.fakes.google_state import FakeGoogleState
from tests.fakes.graph_server import GraphHandler, GraphState
from tests.fakes.ms_authority import AuthorityHandler, AuthorityState, TestTLS, TLSServer, Tokens
from tests.fakes.pacing import Pace


class GoogleUser(FakeGoogleState):
    """One user of the multi-user Google fake: tokens unique across users, each registered
    with the fake's directory as it is issued."""

    def __init__(self, email: str, directory: dict[str, FakeGoogleState], pace: Pace) -> None:
        super().__init__(email)
        self.pace = pace
        self._directory = directory

    def new_id(self, prefix: str = "") -> str:
        number = next(self._ids)
        return prefix + hashlib.sha1(f"{self.email}/{prefix}{number}".encode()).hexdigest()[:16]

    def issue_refresh_token(self, client_id: str, scopes: list[str]) -> str:
        token = super().issue_refresh_token(client_id, scopes)
        self._directory[token] = self
        return token

    def issue_access_token(self, scopes: list[str], refresh_token: str | None = None) -> str:
        token = super().issue_access_token(scopes, refresh_token)
        self._directory[token] = self
        return token


class GoogleTenants:
    """One fake Google server (OAuth, Calendar, Gmail) serving many users."""

    def __init__(self, folder: Path, latency: float = 0.0, parent: Pace | None = None) -> None:
        self.pace = Pace(latency, parent)
        self.users: dict[str, GoogleUser] = {}
        self._directory: dict[str, FakeGoogleState] = {}  # token -> its user
        self.nobody = FakeGoogleState("nobody@invalid.example")  # knows no token at all
        self.nobody.pace = self.pace
        folder.mkdir(parents=True, exist_ok=True)
        self.fake: GoogleFake = start_google_server(folder, self.nobody, router=self.route)

    def add_user(self, email: str) -> GoogleUser:
        user = GoogleUser(email, self._directory, self.pace)
        self.users[email] = user
        return user

    def route(self, req: Request) -> FakeGoogleState:
        """The user a request belongs to, by its bearer token or its refresh token."""
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return self._directory.get(auth[7:], self.nobody)
        if req.path == TOKEN_PATH:
            form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
            refresh = (form.get("refresh_token") or [""])[0]
            return self._directory.get(refresh, self.nobody)
        return self.nobody

    def write_token(self, user: GoogleUser, token_file: Path) -> None:
        """What ``followupd auth`` leaves behind for ``user``: a refresh token, no access token
        yet (the first run refreshes, as after a real sign-in)."""
        from connectors.google.auth import SCOPES

        scopes = list(SCOPES)
        token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        token_file.write_text(
            json.dumps(
                {
                    "token": None,
                    "refresh_token": user.issue_refresh_token(CLIENT_ID, scopes),
                    "token_uri": self.fake.base_url + "token",
                    "client_id": CLIENT_ID,
                    "client_secret": self.nobody.clients[CLIENT_ID],
                    "scopes": scopes,
                }
            )
        )
        token_file.chmod(0o600)

    def problems(self) -> list[str]:
        """Send calls, send scopes and requests the real API would reject, of every user."""
        found: list[str] = []
        for email, user in [("(no user)", self.nobody), *self.users.items()]:
            found += [f"{email}: violation: {v}" for v in user.violations]
            found += [f"{email}: invalid: {v}" for v in user.invalid]
        return found

    def stop(self) -> None:
        self.fake.stop()


class _PacedAuthority(AuthorityHandler):
    """The sign-in service with the same latency and in-flight count as Graph."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        with self.server.pace.serving():  # type: ignore[attr-defined]
            super().do_GET()

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        with self.server.pace.serving():  # type: ignore[attr-defined]
            super().do_POST()


class _RoutedGraph(GraphHandler):
    """Graph for many users: each request reads the state of its bearer token's user."""

    def _state(self) -> GraphState:
        tenants: MicrosoftTenants = self.server.tenants  # type: ignore[attr-defined]
        return tenants.route(self.headers.get("Authorization", ""))

    def _dispatch(self, method: str) -> None:
        with self.server.tenants.pace.serving():  # type: ignore[attr-defined]
            super()._dispatch(method)


class MicrosoftTenants:
    """One fake Microsoft identity platform and one fake Graph serving many users."""

    def __init__(self, folder: Path, latency: float = 0.0, parent: Pace | None = None) -> None:
        self.pace = Pace(latency, parent)
        tls = TestTLS.create(folder)
        self.ca_bundle = tls.ca_path
        self.tokens = Tokens()
        self.authority = AuthorityState(tokens=self.tokens)
        self._authority_server = TLSServer(_PacedAuthority, tls, self.authority)
        self._authority_server.pace = self.pace  # type: ignore[attr-defined]
        self._authority_server.start()
        self.nobody = GraphState(tokens=self.tokens)  # a user nobody signs in as
        self._graph_server = TLSServer(_RoutedGraph, tls, self.nobody)
        self._graph_server.tenants = self  # type: ignore[attr-defined]
        self._graph_server.start()
        self.nobody.base_url = self.graph_root
        self.users: dict[str, GraphState] = {}

    @property
    def graph_root(self) -> str:
        return self._graph_server.base_url

    @property
    def authority_host(self) -> str:
        return self._authority_server.base_url

    def add_user(self, mail: str, display_name: str) -> GraphState:
        state = GraphState(tokens=self.tokens, base_url=self.graph_root)
        state.user = {
            "id": "user-" + hashlib.sha1(mail.encode()).hexdigest()[:12],
            "displayName": display_name,
            "mail": mail,
            "userPrincipalName": mail,
        }
        self.users[mail.lower()] = state
        return state

    def route(self, authorization: str) -> GraphState:
        """The user of a bearer token (the authority issued it for their user name)."""
        if not authorization.startswith("Bearer "):
            return self.nobody
        return self.users.get(self.tokens.user_of(authorization[7:]).lower(), self.nobody)

    def account_options(self, token_cache: Path) -> dict[str, Any]:
        """A validated-looking [accounts.outlook] table pointing at these fakes."""
        return {
            "client_id": self.authority.client_id,
            "authority": "common",
            "cloud": "global",
            "graph_root": self.graph_root,
            "authority_host": self.authority_host,
            "ca_bundle": self.ca_bundle,
            "token_cache": token_cache,
        }

    def sign_in(self, mail: str, token_cache: Path) -> None:
        """What ``followupd auth`` leaves behind for ``mail``: its MSAL token cache.

        The device-code sign-in costs 150 ms per user (discovery, device code, token, one Graph
        call, new TLS connections), two minutes for a thousand users; so the authority's token
        answer is made here and written by MSAL's own cache (``TokenCache.add``, the call MSAL
        makes with that answer after a sign-in), in the file format followupd's owner-only
        fallback reads. The tokens are real tokens of this fake authority.
        """
        import msal

        from connectors.outlook.settings import resolve
        from daemon.clock import SystemClock
        from daemon.paths import write_private
        from daemon.protocols import AccountContext

        ctx = AccountContext(mail, (mail,), token_cache.parent, SystemClock(), "UTC")
        settings = resolve(ctx, self.account_options(token_cache))
        response = self._token_answer(mail, [s.rsplit("/", 1)[-1] for s in settings.scopes])
        cache = msal.SerializableTokenCache()
        cache.add(
            {
                "client_id": self.authority.client_id,
                "scope": response["scope"].split(),
                "token_endpoint": f"{self.authority_host}/common/oauth2/v2.0/token",
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "response": response,
                "params": None,
                "data": {"client_id": self.authority.client_id},
                "environment": "127.0.0.1",  # what MSAL's authority.instance is for this host
            }
        )
        write_private(token_cache, cache.serialize().encode("utf-8"))

    def _token_answer(self, mail: str, scopes: list[str]) -> dict[str, Any]:
        """The authority's answer to a completed device-code sign-in of ``mail`` (as
        ``ms_authority.AuthorityHandler._issue`` makes it), its tokens registered."""
        state = self.authority
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = int(time.time())
        with state.tokens.lock:
            state.tokens.access[access] = (now + state.access_lifetime, mail)
            state.tokens.refresh[refresh] = mail
        oid = state.oids.setdefault(mail, str(uuid.uuid4()))
        claims = {
            "aud": state.client_id,
            "iss": f"{self.authority_host}/{state.tid}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + state.access_lifetime,
            "name": self.users[mail.lower()].user["displayName"],
            "oid": oid,
            "preferred_username": mail,
            "sub": oid,
            "tid": state.tid,
            "ver": "2.0",
        }
        return {
            "token_type": "Bearer",
            "scope": " ".join([*scopes, "openid", "profile", "email"]),
            "expires_in": state.access_lifetime,
            "ext_expires_in": state.access_lifetime,
            "access_token": access,
            "refresh_token": refresh,
            "id_token": ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), "sig"]),
            "client_info": _b64({"uid": oid, "utid": state.tid}),
        }

    def problems(self) -> list[str]:
        """Send calls of every user."""
        return [
            f"{mail}: violation: {v}"
            for mail, state in [("(no user)", self.nobody), *self.users.items()]
            for v in state.violations
        ]

    def stop(self) -> None:
        self._graph_server.stop()
        self._authority_server.stop()


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
