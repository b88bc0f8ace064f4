"""One IMAP connection: TLS, login, and every library failure turned into a followupd error.

Kept open between polls (an idle poll is then one STATUS command, not a TLS handshake and a
LOGIN); a connection the server dropped meanwhile (Dovecot's autologout, a NAT timeout) is
noticed by the next command, and that command is tried once more on a fresh connection when
repeating it is harmless (:meth:`Session.run` with ``retry=True``). An APPEND is never
repeated blindly: the core asks ``find_draft`` first (see :class:`daemon.protocols.Mailbox`).

Plain text is never the default: ``tls = "implicit"`` (port 993) or ``"starttls"`` (port 143,
and the connection fails if the server does not offer STARTTLS). ``"none"`` is accepted only
for a loopback host (a local Proton Bridge, a test server), checked at config load.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from daemon import metrics, tls
from daemon.errors import AuthNeeded, ConnectorError, FollowupdError, TransientError
from daemon.passwords import PasswordSource

log = logging.getLogger(__name__)

T = TypeVar("T")
TIMEOUT = 60.0  # seconds for connecting and for each command's answer


@dataclass(frozen=True)
class Server:
    """Where and how to connect: the options of ``[accounts.<name>.mailbox]``."""

    host: str
    port: int
    tls: str  # "implicit" | "starttls" | "none"
    ca_bundle: Path | None
    password: PasswordSource

    @property
    def label(self) -> str:
        scheme = "imaps" if self.tls == "implicit" else "imap"
        return f"{self.password.username} at {scheme}://{self.host}:{self.port}"


class Session:
    """A lazily opened, reused :class:`IMAPClient` for one account."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._client: IMAPClient | None = None
        self.capabilities: frozenset[bytes] = frozenset()

    # -- connecting ------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        ca = self.server.ca_bundle
        try:
            # One per bundle for the process (daemon/tls.py), not a copy of it per account.
            return tls.shared(
                "default", ca, lambda: ssl.create_default_context(cafile=str(ca) if ca else None)
            )
        except (OSError, ssl.SSLError) as err:
            raise ConnectorError(
                f"{self.server.password.where}.ca_bundle: cannot read {ca} as PEM CA "
                f"certificates ({err})"
            ) from err

    def _open(self) -> IMAPClient:
        server = self.server
        context = self._context()  # before connecting: a bad ca_bundle is not the network
        password = server.password.get()  # AuthNeeded names the source
        try:
            client = IMAPClient(
                server.host,
                port=server.port,
                ssl=server.tls == "implicit",
                ssl_context=context,
                timeout=TIMEOUT,
            )
            # INTERNALDATE as the server's aware datetime: the default turns it into naive
            # local time, which read as UTC would shift every send time off a UTC machine.
            client.normalise_times = False
            if server.tls == "starttls":
                client.starttls(context)  # raises when not offered: never a plain fallback
            client.login(server.password.username, password)
            self.capabilities = frozenset(c.upper() for c in client.capabilities())
        except LoginError as err:
            raise AuthNeeded(
                f"{server.password.where}: {server.label} refused the username or password "
                f"({_text(err)}); for iCloud, Fastmail, Yahoo or Gmail use an app password",
                server.password.fix,
            ) from err
        except Exception as err:
            raise self._translate(err, "connect") from err
        log.debug("connected to %s", server.label)
        return client

    def client(self) -> IMAPClient:
        if self._client is None:
            self._client = self._open()
        return self._client

    def close(self) -> None:
        """Log out (best effort): a dropped connection has nothing left to close."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except Exception as err:  # already gone
                log.debug("logout from %s: %s", self.server.label, err)

    # -- running commands ------------------------------------------------------------------

    def run(self, what: str, step: Callable[[IMAPClient], T], retry: bool = True) -> T:
        """``step(client)``, with library errors as followupd errors naming ``what``.

        ``retry``: a connection that turns out to be dead (the server closed it while we
        waited between polls) is replaced and ``step`` run once more; only for steps that
        are harmless to repeat (reads, searches), never for an APPEND.
        """
        fresh = self._client is None
        metrics.request("imap")
        try:
            return step(self.client())
        except FollowupdError:
            raise
        except Exception as err:
            broken = _connection_lost(err)
            if broken:
                self._drop()
            if broken and retry and not fresh:
                log.debug("%s: connection lost (%s); reconnecting", self.server.label, err)
                try:
                    return step(self.client())
                except FollowupdError:
                    raise
                except Exception as again:
                    if _connection_lost(again):
                        self._drop()
                    raise self._translate(again, what) from again
            raise self._translate(err, what) from err

    def drop(self) -> None:
        """Let the connection go without a word to the server: it is gone, or may hang."""
        self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.shutdown()
            except Exception as err:
                log.debug("shutdown of %s: %s", self.server.label, err)

    def _translate(self, err: Exception, what: str) -> ConnectorError:
        label = self.server.label
        if isinstance(err, ssl.SSLCertVerificationError):
            return ConnectorError(
                f"{label}: the server's TLS certificate was not accepted "
                f"({err.verify_message}); if it is signed by your own CA, set ca_bundle in "
                f"{self.server.password.where}"
            )
        if _connection_lost(err):
            return TransientError(f"{label}: {what}: cannot reach the server ({_text(err)})")
        return ConnectorError(f"{label}: {what}: the server said: {_text(err)}")


def _connection_lost(err: Exception) -> bool:
    """A network failure or a dropped connection, as opposed to the server's NO or BAD."""
    # IMAPClientAbortError is an imaplib.IMAP4.abort; ssl.SSLError and timeouts are OSErrors.
    return isinstance(err, OSError | imaplib.IMAP4.abort)


def _text(err: Exception) -> str:
    text = str(err)
    if text.startswith(("b'", 'b"')):  # imaplib quotes the server's bytes
        text = text[2:-1]
    return " ".join(text.split())[:300] or type(err).__name__
