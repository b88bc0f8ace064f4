"""The fake Google OAuth endpoints: the consent page and the token endpoint.

``GET /o/oauth2/auth`` plays the consent screen: it checks the client, a loopback redirect URI,
PKCE (S256) and offline access, then redirects to the loopback URI with a code (or with
``error=access_denied``). ``POST /token`` exchanges the code (checking the PKCE verifier) or a
refresh token (``invalid_grant`` once revoked). Any send scope asked for is a violation.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse

from tests.fakes.google_http import Request, Response, json_response, oauth_error
from tests.fakes.google_state import SEND_SCOPES, FakeGoogleState

AUTH_PATH = "/o/oauth2/auth"
TOKEN_PATH = "/token"


def _check_send_scopes(state: FakeGoogleState, scopes: list[str], where: str) -> None:
    wide = sorted(set(scopes) & SEND_SCOPES)
    if wide:
        state.violations.append(f"{where} asked for send-capable scope(s) {wide}")


def authorize(state: FakeGoogleState, req: Request) -> Response:
    q = {k: v[0] for k, v in req.query.items()}
    problems = []
    if q.get("client_id") not in state.clients:
        problems.append("unknown client_id")
    if q.get("response_type") != "code":
        problems.append("response_type must be code")
    redirect = q.get("redirect_uri", "")
    if not redirect.startswith("http://127.0.0.1:") and not redirect.startswith(
        "http://localhost:"
    ):
        problems.append(f"redirect_uri {redirect!r} is not a loopback address")
    if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
        problems.append("PKCE with code_challenge_method=S256 is required")
    if q.get("access_type") != "offline":
        problems.append("access_type=offline missing: no refresh token would be issued")
    scopes = q.get("scope", "").split()
    _check_send_scopes(state, scopes, "the authorization request")
    if problems:
        state.invalid.extend(f"oauth authorize: {p}" for p in problems)
        return Response(400, ("; ".join(problems)).encode(), {"Content-Type": "text/plain"})
    params: dict[str, str] = {"state": q.get("state", "")}
    if state.consent == "deny":
        params["error"] = "access_denied"
    else:
        granted = scopes if state.consent == "grant" else [s for s in scopes if s in state.consent]
        code = "4/" + state.new_id("code")
        with state.lock:
            state.codes[code] = {
                "client_id": q["client_id"],
                "redirect_uri": redirect,
                "scopes": granted,
                "challenge": q["code_challenge"],
            }
        params.update(code=code, scope=" ".join(granted))
    location = redirect + ("&" if "?" in redirect else "?") + urllib.parse.urlencode(params)
    return Response(302, b"", {"Location": location})


def _client(state: FakeGoogleState, req: Request, form: dict[str, str]) -> str | None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    basic = req.headers.get("authorization", "")
    if basic.lower().startswith("basic "):
        decoded = base64.b64decode(basic[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
    if client_id in state.clients and state.clients[client_id] == secret:
        return client_id
    return None


def token(state: FakeGoogleState, req: Request) -> Response:
    if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        state.invalid.append("oauth token: body is not form-encoded")
        return oauth_error("invalid_request", "expected a form body")
    form = {k: v[0] for k, v in urllib.parse.parse_qs(req.body.decode()).items()}
    client_id = _client(state, req, form)
    if client_id is None:
        return oauth_error("invalid_client", "The OAuth client was not found.", 401)
    grant = form.get("grant_type")
    if grant == "authorization_code":
        with state.lock:
            entry = state.codes.pop(form.get("code", ""), None)
        if entry is None or entry["client_id"] != client_id:
            return oauth_error("invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != entry["redirect_uri"]:
            return oauth_error("redirect_uri_mismatch", "Bad Request")
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        if not verifier or digest.decode() != entry["challenge"]:
            state.invalid.append("oauth token: the PKCE code_verifier does not match the challenge")
            return oauth_error("invalid_grant", "Invalid code verifier.")
        refresh = state.issue_refresh_token(client_id, entry["scopes"])
        return json_response(
            {
                "access_token": state.issue_access_token(entry["scopes"], refresh),
                "expires_in": state.token_lifetime,
                "refresh_token": refresh,
                "scope": " ".join(entry["scopes"]),
                "token_type": "Bearer",
            }
        )
    if grant == "refresh_token":
        entry = state.refresh_tokens.get(form.get("refresh_token", ""))
        if entry is None or entry["revoked"] or entry["client_id"] != client_id:
            return oauth_error("invalid_grant", "Token has been expired or revoked.")
        asked = form.get("scope", "").split() or entry["scopes"]
        _check_send_scopes(state, asked, "a token refresh")
        if not set(asked) <= set(entry["scopes"]):
            return oauth_error("invalid_scope", "Some requested scopes were invalid.")
        return json_response(
            {
                "access_token": state.issue_access_token(asked, form["refresh_token"]),
                "expires_in": state.token_lifetime,
                "scope": " ".join(asked),
                "token_type": "Bearer",
            }
        )
    return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant}")
