"""One account's connection to its CalDAV server, and the one place where what the server or
the network did becomes one of :mod:`daemon.errors`.

CalDAV here is three kinds of HTTP request (PROPFIND, REPORT, with an XML body each: see
:mod:`.davxml`) made with ``requests``, which the Outlook provider uses too. python-caldav is
not used: its 3.x releases require niquests, whose urllib3-future replaces the real urllib3 in
site-packages and so changes how requests, google-auth and msal behave under the other
providers; its older releases lack what the provider needs. What it did for us is small.

* Credentials go with the first request (HTTP Basic, as iCloud, Fastmail, Nextcloud and
  Radicale accept): asking without them first costs a request per connection, and servers
  delay failed logins (Radicale by a second). A server that refuses Basic and challenges with
  Digest (Baïkal's default) is answered with Digest from then on.
* The password is fetched (:class:`daemon.passwords.PasswordSource`) when a connection is
  made, and a refused one drops the connection: the next poll fetches it again, so a password
  changed in the manager is used without a restart.
* Redirects are followed here, on the same server only, keeping the method and body (requests
  would turn a 302 PROPFIND into a GET, and send the password to wherever it points).
"""

from __future__ import annotations

import email.utils
import logging
import re
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth

from connectors.caldav import davxml
from connectors.caldav.settings import Settings
from daemon import __version__, metrics
from daemon.errors import (
    AuthNeeded,
    ConnectorError,
    CursorExpired,
    InvalidResponse,
    TransientError,
)
from daemon.tls import SharedContextAdapter

log = logging.getLogger(__name__)

FIX = "followupd check"
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_DIGEST = re.compile(r"(?:^|[\s,])digest\s", re.IGNORECASE)


class StatusError(ConnectorError):
    """The server answered with an HTTP error that says nothing about the login."""


class NotFound(StatusError):
    """The server has no such collection (any more)."""


class Session:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._http: requests.Session | None = None
        self._verify: bool | str = True
        self._digest = False  # the server refused Basic and asked for Digest: keep to it

    # -- requests ------------------------------------------------------------------------------

    def propfind(self, url: str, props: list[str], depth: int) -> list[davxml.Response]:
        """PROPFIND ``props`` (Clark names) at ``url``: one result per resource described."""
        return self._multistatus("PROPFIND", url, davxml.propfind(props), depth).responses

    def report(self, url: str, body: bytes, depth: int = 1) -> davxml.Multistatus:
        """A REPORT (calendar-query, sync-collection) at ``url``."""
        return self._multistatus("REPORT", url, body, depth)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- the connection ------------------------------------------------------------------------

    def connection(self) -> requests.Session:
        if self._http is None:
            settings = self.settings
            self._verify = True
            if settings.ca_bundle is not None:
                if not settings.ca_bundle.is_file():
                    raise ConnectorError(
                        f"caldav: ca_bundle {settings.ca_bundle} is not a file; expected a PEM "
                        "file of CA certificates (calendar.ca_bundle)"
                    )
                self._verify = str(settings.ca_bundle)
            password = settings.password.get()
            auth: AuthBase = (
                HTTPDigestAuth(settings.username, password)
                if self._digest
                else HTTPBasicAuth(settings.username, password)
            )
            http = requests.Session()
            http.mount("https://", SharedContextAdapter())  # one TLS context (daemon/tls.py)
            http.auth = auth
            http.headers["User-Agent"] = f"followupd/{__version__}"
            self._http = http
        return self._http

    def _multistatus(self, method: str, url: str, body: bytes, depth: int) -> davxml.Multistatus:
        where = f"caldav: {method} {url}"
        try:
            response = self._send(method, url, body, depth)
            if (
                response.status_code == 401
                and not self._digest
                and _DIGEST.search(response.headers.get("WWW-Authenticate", ""))
            ):
                # Basic up front was refused and the server asks for Digest: from now on.
                self.close()
                self._digest = True
                response = self._send(method, url, body, depth)
            content = _read(response, where)
        except requests.exceptions.SSLError as err:
            raise ConnectorError(
                f"{where}: the server's TLS certificate is not trusted ({_short(err)}); expected"
                " a certificate from a known authority, or its CA in calendar.ca_bundle"
            ) from err
        except requests.exceptions.Timeout as err:
            raise TransientError(
                f"{where}: no answer within {self.settings.timeout:.0f} s (calendar.timeout)"
            ) from err
        except requests.exceptions.RequestException as err:
            raise TransientError(f"{where}: cannot reach the server ({_short(err)})") from err
        status = response.status_code
        log.debug("%s: HTTP %d, %d bytes", where, status, len(content))
        if not 200 <= status < 300:
            raise self._status_error(response, content, where, method)
        return davxml.parse_multistatus(content, response.url or url, method)

    def _send(self, method: str, url: str, body: bytes, depth: int) -> requests.Response:
        http = self.connection()
        headers = {"Depth": str(depth), "Content-Type": 'application/xml; charset="utf-8"'}
        for _hop in range(MAX_REDIRECTS + 1):
            # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's verify
            metrics.request("caldav")
            response = http.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=self.settings.timeout,
                verify=self._verify,
                allow_redirects=False,
                stream=True,
            )
            target = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not target:
                return response
            target = urljoin(url, target)
            if not _same_server(url, target):
                response.close()
                raise StatusError(
                    f"caldav: {method} {url}: the server sends the request to {target}"
                    f" (HTTP {response.status_code}); expected the answer here (use that"
                    " address as calendar.url if it is the right server)"
                )
            response.close()
            log.debug("caldav: %s %s: redirected to %s", method, url, target)
            url = target
        raise StatusError(
            f"caldav: {method} {url}: more than {MAX_REDIRECTS} redirects; expected a CalDAV"
            " answer (calendar.url)"
        )

    # -- errors --------------------------------------------------------------------------------

    def _status_error(
        self, response: requests.Response, content: bytes, where: str, method: str
    ) -> Exception:
        status, reason = response.status_code, response.reason or ""
        if davxml.VALID_SYNC_TOKEN in davxml.preconditions(content):
            return CursorExpired(f"{where}: the server no longer accepts the sync token")
        if status == 401:
            self.close()  # the next attempt fetches the password again
            return AuthNeeded(
                f"{where}: the server refused the login of {self.settings.username!r}"
                " (HTTP 401); expected the right username and password (for iCloud and"
                " Fastmail: an app password)",
                FIX,
            )
        if status == 403:
            return StatusError(
                f"{where}: access refused (HTTP 403); expected a calendar"
                f" {self.settings.username!r} may read"
            )
        if status == 404:
            return NotFound(f"{where}: not found (HTTP 404)")
        wait = _retry_after(response.headers.get("Retry-After"))
        if status == 429 or (status == 503 and wait is not None):
            return TransientError(f"{where}: the server asks to slow down (HTTP {status})", wait)
        if method == "REPORT" and status in (409, 412):
            # RFC 6578 says 403 with DAV:valid-sync-token; some servers answer 409 or 412
            return CursorExpired(f"{where}: the server no longer accepts the sync token")
        if status >= 500:
            return TransientError(f"{where}: the server failed (HTTP {status} {reason})")
        return StatusError(f"{where}: HTTP {status} {reason}; expected a CalDAV server")


def _read(response: requests.Response, where: str) -> bytes:
    """The body, refusing one past :data:`davxml.MAX_ANSWER_BYTES` without reading it all."""
    chunks: list[bytes] = []
    size = 0
    with response:
        for chunk in response.iter_content(1024 * 1024):
            size += len(chunk)
            if size > davxml.MAX_ANSWER_BYTES:
                raise InvalidResponse(
                    f"{where}: the answer is larger than"
                    f" {davxml.MAX_ANSWER_BYTES // (1024 * 1024)} MB; expected a WebDAV"
                    " multistatus of a calendar"
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _same_server(url: str, target: str) -> bool:
    """Whether a redirect stays on the server the user named (http may become https)."""
    a, b = urlsplit(url), urlsplit(target)
    return a.hostname == b.hostname and (
        (a.scheme, a.port) == (b.scheme, b.port) or (a.scheme, b.scheme) == ("http", "https")
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number or an HTTP date."""
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
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
