"""The one HTTP layer for Microsoft Graph: every Graph request of an account goes through here.

Why one choke point: throttling, retries, token refresh, concurrency and error text must be the
same for calendar and mail, and a bearer token must never leave for a host that is not Graph.

- Timeouts on every call (``PinnedSession``), and the CA bundle passed per request, because
  ``requests`` lets ``REQUESTS_CA_BUNDLE`` silently override a session-wide ``verify``.
- 429/503 honour ``Retry-After`` (fractional seconds or an HTTP date); other transient failures
  back off exponentially with jitter (tenacity). Total waiting is bounded; a longer
  ``Retry-After`` is handed to the core as ``TransientError(retry_after=...)`` instead of blocking.
- Only idempotent methods are retried after an answer that may have followed processing; a POST
  (draft creation) is retried only when Graph refused it (429/503) or never got it (connect
  timeout), so a retry can never make a second draft.
- At most 4 requests in flight per mailbox (Outlook's documented concurrency limit).
- One connection pool per host for the whole process (:func:`shared_session`): a thousand
  accounts reuse a few TLS connections instead of opening their own, and no cookie passes
  from one account's requests to another's.
- 401 -> one forced silent token refresh, then the "needs re-auth" state.
- Graph's ``error.code``/``error.message`` go into every raised error's message.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

import requests
import tenacity

from daemon import metrics
from daemon.errors import AuthNeeded, ConnectorError, CursorExpired, InvalidResponse, TransientError
from daemon.message import one_line
from daemon.tls import SharedContextAdapter
from daemon.worlderrors import cannot_connect, unreachable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)  # connect, read
MAX_CONCURRENT = 4
# Idle connections kept per host: enough for every worker thread of the engine's pool, each
# with an account's (at most MAX_CONCURRENT) requests; more are opened when needed, and
# closed after use instead of kept.
POOL_SIZE = 64
IDEMPOTENT = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})
# Prefer every Graph request carries: ids that survive folder moves, UTC times, text bodies.
PREFER = 'IdType="ImmutableId", outlook.timezone="UTC", outlook.body-content-type="text"'
SYNC_STATE_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})
# The request may or may not have been carried out: no answer, no whole answer (a body cut
# short raises ChunkedEncodingError, a broken gzip ContentDecodingError), or too late.
LOST_ANSWER = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class TokenSource(Protocol):
    def token(self, force_refresh: bool = False) -> str: ...


class PinnedSession(requests.Session):
    """A requests session whose CA bundle and timeout apply to every single request.

    Shared by the accounts of a process (:func:`shared_session`), from several threads: what
    a session keeps between requests is its connection pools (urllib3's, made for threads)
    and its cookies, which it refuses here, so nothing of one account's requests (the sign-in
    service sets cookies) reaches another's.

    The environment is read once per host, not by requests at every request: its proxy
    lookup walked every environment variable twice per request, about a tenth of an
    unchanged Graph poll's CPU (issue 14). ``HTTPS_PROXY``/``NO_PROXY`` apply as before, read
    at a host's first request; ``~/.netrc`` is never read, since a password found there for a
    Graph host would replace the bearer token."""

    def __init__(
        self, ca_bundle: Path | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT
    ):
        super().__init__()
        self.trust_env = False  # see above: read here, once per host
        self._ca = str(ca_bundle) if ca_bundle else None
        self._timeout = timeout
        self._proxies: dict[str, dict[str, str]] = {}  # by scheme://host:port
        self.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = SharedContextAdapter(pool_maxsize=POOL_SIZE)  # one TLS context (daemon/tls.py)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self._ca is not None:
            kwargs["verify"] = self._ca  # explicit per request: beats REQUESTS_CA_BUNDLE
        elif kwargs.get("verify") in (None, True):
            kwargs["verify"] = _env_ca_bundle() or True  # as requests would read it
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        if kwargs.get("proxies") is None:
            kwargs["proxies"] = self._proxies_for(url)
        return super().request(method, url, *args, **kwargs)

    def _proxies_for(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._proxies.get(origin)
        if found is None:  # two threads may both look: the same answer
            found = self._proxies[origin] = requests.utils.get_environ_proxies(url)
        return found


def _env_ca_bundle() -> str | None:
    """The CA bundle requests itself reads from the environment when it trusts it."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None


_sessions: dict[Path | None, PinnedSession] = {}
_sessions_lock = threading.Lock()


def shared_session(ca_bundle: Path | None) -> PinnedSession:
    """The process's session for Graph and the sign-in service with this CA bundle."""
    with _sessions_lock:
        found = _sessions.get(ca_bundle)
        if found is None:
            found = _sessions[ca_bundle] = PinnedSession(ca_bundle)
        return found


def close_shared_sessions() -> None:
    """Close the shared sessions' connections (a config reload, tests playing a new process)."""
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()


def with_query(path: str, params: dict[str, Any] | None) -> str:
    """``path`` with ``params`` as its query string, encoded as every request encodes it."""
    if not params:
        return path
    # %20 for spaces, not '+': Graph documents percent-encoding for $filter.
    query = urlencode(params, quote_via=quote, safe="$,'()/:@")
    return path + ("&" if "?" in path else "?") + query


class SyncStateExpired(CursorExpired):
    """Graph no longer knows a delta token (410 Gone, syncStateNotFound, resyncRequired)."""


class NotFound(ConnectorError):
    """Graph answered 404 for an item (deleted, or never existed)."""


class _Retryable(Exception):
    def __init__(self, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def error_detail(response: requests.Response) -> str:
    """``HTTP 429 TooManyRequests: message`` from Graph's error body, one line, bounded."""
    code = message = ""
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            code = str(error.get("code") or "")
            message = str(error.get("message") or "")
    except ValueError:
        kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if "html" in kind:  # a gateway's error page: its markup says nothing useful
            message = f"{response.reason or 'error'} (an HTML page, not a Graph error)"
        else:
            message = response.text[:200]
    text = f"HTTP {response.status_code}"
    if code:
        text += f" {code}"
    if message:
        text += f": {message}"
    return one_line(text, 300)


def error_code(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return str(error.get("code") or "")
    except (ValueError, AttributeError):
        return ""


def retry_after(response: requests.Response, now: Callable[[], datetime]) -> float | None:
    """Seconds from a Retry-After header: a (possibly fractional) number or an HTTP date."""
    return seconds_after(response.headers.get("Retry-After"), now)


def seconds_after(value: str | None, now: Callable[[], datetime]) -> float | None:
    """Seconds from the value of a Retry-After header (of a response, or of a batch's item)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class Graph:
    """Graph requests for one account. Thread-safe; share one per mailbox."""

    def __init__(
        self,
        base: str,
        tokens: TokenSource,
        session: requests.Session,
        *,
        fix: str,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = 5,
        max_wait: float = 60.0,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        concurrency: int = MAX_CONCURRENT,
    ) -> None:
        self.base = base.rstrip("/")
        self._origin = urlsplit(self.base)
        self._tokens = tokens
        self._session = session
        self._fix = fix
        self.sleep = sleep
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self._backoff, self._max_backoff = backoff, max_backoff
        self._slots = threading.BoundedSemaphore(concurrency)
        self.calls = 0  # HTTP requests actually sent (for status and measurements)
        # sleep, max_attempts and max_wait are public so tests (and a future config) can
        # shorten them; they are read on every request.

    # -- public verbs ------------------------------------------------------------------------

    def get(
        self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False
    ) -> Any:
        return self.request("GET", path, params=params, missing_ok=missing_ok)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, body=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, body=body)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        missing_ok: bool = False,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded JSON answer (``{}`` for 204), or None for a 404 when ``missing_ok``.

        ``idempotent`` overrides what ``method`` says: a ``$batch`` POST of GETs may be sent
        again after a lost answer, as each of its GETs could."""
        url = self.url(with_query(path, params))
        again = method in IDEMPOTENT if idempotent is None else idempotent
        what = f"{method} {self.describe(url)}"
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=self._stop,
            wait=self._wait,
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, method, url, body, headers or {}, what, again)
        except _Retryable as err:
            raise TransientError(
                f"Microsoft Graph {what} failed: {err.detail} (gave up retrying)",
                retry_after=err.retry_after,
            ) from None
        if response.status_code == 404 and missing_ok:
            return None
        return self._decode(response, what)

    def url(self, path: str) -> str:
        """Absolute URL for ``path``; absolute links (nextLink, deltaLink) must stay on Graph."""
        if path.startswith("/"):
            return self.base + path
        parts = urlsplit(path)
        if (parts.scheme, parts.netloc) != (self._origin.scheme, self._origin.netloc):
            raise InvalidResponse(
                f"Microsoft Graph returned a link to {parts.scheme}://{parts.netloc}, "
                f"expected one on {self._origin.scheme}://{self._origin.netloc}"
            )
        return path

    def describe(self, url: str) -> str:
        """The path of ``url`` under the API root, without query, for messages."""
        path = urlsplit(url).path
        prefix = self._origin.path.rstrip("/")
        return path[len(prefix) :] if prefix and path.startswith(prefix) else path

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(
        self, method: str, url: str, body: Any, headers: dict[str, str], what: str, again: bool
    ) -> requests.Response:
        response = self._send(method, url, body, headers, self._tokens.token(), again)
        if response.status_code == 401:
            log.info("%s: token rejected (%s); refreshing it once", what, error_detail(response))
            token = self._tokens.token(force_refresh=True)
            response = self._send(method, url, body, headers, token, again)
            if response.status_code == 401:
                raise AuthNeeded(
                    f"Microsoft Graph rejected the sign-in even after a token refresh "
                    f"({error_detail(response)})",
                    fix=self._fix,
                )
        self._classify(response, what, again)
        return response

    def _send(
        self, method: str, url: str, body: Any, headers: dict[str, str], token: str, again: bool
    ) -> requests.Response:
        all_headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Prefer": PREFER,
            **headers,
        }
        with self._slots:
            self.calls += 1
            metrics.request("outlook")
            try:
                response = self._session.request(method, url, json=body, headers=all_headers)
            except requests.ConnectTimeout as err:
                raise _Retryable(f"connection timed out ({err.__class__.__name__})", None) from err
            except LOST_ANSWER as err:
                detail = f"network error: {one_line(str(err), 200)}"
                if cannot_connect(err):  # the network is gone: say which host
                    detail = unreachable(urlsplit(url).netloc, err)
                if again:
                    raise _Retryable(detail, None) from err
                raise TransientError(
                    f"Microsoft Graph {method} {self.describe(url)}: {detail}"
                ) from err
        log.debug("%s %s -> %s", method, self.describe(url), response.status_code)
        return response

    def _classify(self, response: requests.Response, what: str, again: bool) -> None:
        status = response.status_code
        if status < 400 or status == 404:
            return
        if status in (429, 503) or (status in (500, 502, 504) and again):
            raise _Retryable(
                error_detail(response), retry_after(response, lambda: datetime.now(UTC))
            )
        code = error_code(response).lower()
        if status == 410 or code in SYNC_STATE_CODES:
            raise SyncStateExpired(f"Microsoft Graph {what}: {error_detail(response)}")
        if status == 403 and "mailboxnotenabled" not in code:
            raise AuthNeeded(
                f"Microsoft Graph denied {what} ({error_detail(response)}); the sign-in must grant "
                "Calendars.Read, Mail.ReadWrite and User.Read",
                fix=self._fix,
            )
        if status >= 500:
            raise TransientError(f"Microsoft Graph {what} failed: {error_detail(response)}")
        raise ConnectorError(f"Microsoft Graph refused {what}: {error_detail(response)}")

    def _decode(self, response: requests.Response, what: str) -> Any:
        if response.status_code == 404:
            raise NotFound(f"Microsoft Graph {what}: {error_detail(response)}")
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise InvalidResponse(
                f"Microsoft Graph answered {what} with something that is not JSON "
                f"(HTTP {response.status_code}, {kind})"
            ) from None

    # -- retry policy ------------------------------------------------------------------------

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The wait before attempt ``attempt + 1``: Retry-After when given, else exponential
        backoff with jitter (what :mod:`.batch` waits before sending throttled items again)."""
        if retry_after is not None:
            return retry_after
        growth = self._backoff * 2 ** (attempt - 1)
        return min(self._max_backoff, growth) + random.uniform(0, self._backoff)

    def _planned(self, state: tenacity.RetryCallState) -> float:
        """The wait before the next attempt, decided once per attempt.

        tenacity calls ``stop`` and ``wait`` in an order that changed between versions; both
        must see the same (jittered) delay, so it is computed once and kept on the state.
        """
        kept = getattr(state, "followupd_delay", None)
        if kept is not None and kept[0] == state.attempt_number:
            return float(kept[1])
        error = state.outcome.exception() if state.outcome else None
        after = error.retry_after if isinstance(error, _Retryable) else None
        delay = self.delay(state.attempt_number, after)
        state.followupd_delay = (state.attempt_number, delay)  # type: ignore[attr-defined]
        return delay

    def _stop(self, state: tenacity.RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        delay = self._planned(state)
        if state.idle_for + delay > self.max_wait:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Retryable) and error.retry_after is None:
                error.retry_after = delay
            return True
        return False

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self._planned(state)
