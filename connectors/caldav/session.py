"""One account's connection to its CalDAV server, and the one place where what the server or
the network did becomes one of :mod:`daemon.errors`.

Built on python-caldav's ``DAVClient`` (its requests session, its WebDAV XML and multistatus
parsing). Two choices differ from the library's defaults:

* Credentials go with the first request (HTTP Basic, as iCloud, Fastmail, Nextcloud and
  Radicale accept). The library's default asks without them first and answers the 401
  challenge: one more request per connection, and servers delay failed logins (Radicale by a
  second) to slow down guessing. A server that refuses Basic is asked once more the library's
  way, which follows its challenge (Digest: Baïkal's default).
* The password is fetched (:class:`daemon.passwords.PasswordSource`) when a connection is
  made, and a refused one drops the connection: the next poll fetches it again, so a password
  changed in the manager is used without a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from caldav.davclient import DAVClient
from caldav.elements.base import BaseElement
from caldav.lib import error
from caldav.lib.http_sync import requests as http  # niquests, else requests
from caldav.response import DAVResponse, PropfindResult

from connectors.caldav.settings import Settings
from daemon import __version__
from daemon.errors import (
    AuthNeeded,
    ConnectorError,
    CursorExpired,
    InvalidResponse,
    TransientError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"
FIX = "followupd check"


class StatusError(ConnectorError):
    """The server answered with an HTTP error that says nothing about the login."""


class NotFound(StatusError):
    """The server has no such collection (any more)."""


class Session:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: DAVClient | None = None
        self._negotiate = False  # the server refused Basic up front: let the library negotiate

    # -- requests ------------------------------------------------------------------------------

    def propfind(self, url: str, props: list[BaseElement], depth: int) -> list[PropfindResult]:
        """PROPFIND ``props`` at ``url``: one result per resource the server describes."""
        from caldav.elements import dav

        body = str(dav.Propfind() + (dav.Prop() + props))
        response = self._call(
            url, "PROPFIND", lambda client: client.propfind(url, props=body, depth=depth)
        )
        return list(getattr(response, "results", None) or [])

    def report(self, url: str, body: BaseElement, depth: int = 1) -> DAVResponse:
        """A REPORT (calendar-query, sync-collection) at ``url``."""
        return self._call(url, "REPORT", lambda client: client.report(url, str(body), depth))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- the connection and its errors ---------------------------------------------------------

    def client(self) -> DAVClient:
        if self._client is None:
            settings = self.settings
            verify: bool | str = True
            if settings.ca_bundle is not None:
                if not settings.ca_bundle.is_file():
                    raise ConnectorError(
                        f"caldav: ca_bundle {settings.ca_bundle} is not a file; expected a PEM "
                        "file of CA certificates (calendar.ca_bundle)"
                    )
                verify = str(settings.ca_bundle)
            self._client = DAVClient(
                url=settings.url,
                username=settings.username,
                password=settings.password.get(),
                auth_type=None if self._negotiate else "basic",
                timeout=settings.timeout,  # type: ignore[arg-type]  # requests takes floats
                ssl_verify_cert=verify,
                enable_rfc6764=False,  # the URL is given: no DNS lookups of our own
                headers={"User-Agent": f"followupd/{__version__}"},
            )
        return self._client

    def _call(self, url: str, method: str, call: Callable[[DAVClient], T]) -> T:
        try:
            try:
                result = call(self.client())
            except error.AuthorizationError as err:
                if err.status != 401 or self._negotiate:
                    raise
                # Basic up front was refused: once more as the server's challenge asks.
                self.close()
                self._negotiate = True
                result = call(self.client())
        except (AuthNeeded, ConnectorError):
            raise
        except Exception as err:
            raise self._translate(err, url, method) from err
        status = getattr(result, "status", 207)
        if isinstance(status, int) and status >= 300:
            raise self._status_error(status, url, method, getattr(result, "reason", ""))
        return result

    def _translate(self, err: Exception, url: str, method: str) -> Exception:
        where = f"caldav: {method} {url}"
        if isinstance(err, error.RateLimitError):
            wait = err.retry_after_seconds
            return TransientError(
                f"{where}: the server asks to slow down (HTTP {err.status})", wait
            )
        if isinstance(err, error.AuthorizationError):
            if VALID_SYNC_TOKEN in err.preconditions:
                return CursorExpired(f"{where}: the server no longer accepts the sync token")
            if err.status == 401:
                self.close()  # the next attempt fetches the password again
                return AuthNeeded(
                    f"{where}: the server refused the login of {self.settings.username!r}"
                    " (HTTP 401); expected the right username and password (for iCloud and"
                    " Fastmail: an app password)",
                    FIX,
                )
            return StatusError(
                f"{where}: access refused (HTTP {err.status or 403}); expected a calendar"
                f" {self.settings.username!r} may read"
            )
        if isinstance(err, error.DAVError):
            if err.status is not None:
                return self._status_error(err.status, url, method, err.reason)
            return InvalidResponse(f"{where}: {err.reason}; expected a CalDAV answer")
        if isinstance(err, http.exceptions.SSLError):
            return ConnectorError(
                f"{where}: the server's TLS certificate is not trusted ({_short(err)}); expected"
                " a certificate from a known authority, or its CA in calendar.ca_bundle"
            )
        if isinstance(err, http.exceptions.Timeout):
            return TransientError(
                f"{where}: no answer within {self.settings.timeout:.0f} s (calendar.timeout)"
            )
        if isinstance(err, http.exceptions.RequestException):
            return TransientError(f"{where}: cannot reach the server ({_short(err)})")
        if isinstance(err, SyntaxError | ValueError):  # lxml's XMLSyntaxError is a SyntaxError
            return InvalidResponse(f"{where}: unreadable answer ({_short(err)})")
        log.warning("%s: unexpected failure", where, exc_info=True)
        return ConnectorError(f"{where}: {type(err).__name__}: {_short(err)}")

    def _status_error(self, status: int, url: str, method: str, reason: Any) -> Exception:
        where = f"caldav: {method} {url}"
        if status == 404:
            return NotFound(f"{where}: not found (HTTP 404)")
        if method == "REPORT" and status in (409, 412):
            # RFC 6578 says 403 with DAV:valid-sync-token; some servers answer 409 or 412
            return CursorExpired(f"{where}: the server no longer accepts the sync token")
        if status >= 500 or status == 429:
            return TransientError(f"{where}: the server failed (HTTP {status} {reason or ''})")
        return StatusError(f"{where}: HTTP {status} {reason or ''}; expected a CalDAV server")


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."
