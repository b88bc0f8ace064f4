"""A desktop's notification server on a private D-Bus, and a push receiver over HTTP.

:class:`PrivateBus` starts a real ``dbus-daemon`` (Debian package ``dbus``) for one test, so no
notification ever reaches the desktop of whoever runs the tests; :class:`FakeNotificationServer`
owns ``org.freedesktop.Notifications`` on it, answers as GNOME Shell or dunst would, and keeps
every Notify call. :class:`PushReceiver` is what Apprise's ``json://`` URLs post to.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"


def dbus_daemon() -> str | None:
    return shutil.which("dbus-daemon")


class PrivateBus:
    """``dbus-daemon --session`` of our own; ``address`` is its DBUS_SESSION_BUS_ADDRESS."""

    def __init__(self) -> None:
        program = dbus_daemon()
        assert program is not None
        self.process = subprocess.Popen(
            [program, "--session", "--print-address", "--nofork"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # "cannot raise the fd limit" as a non-root user, etc.
            text=True,
        )
        assert self.process.stdout is not None
        self.address = self.process.stdout.readline().strip()
        assert self.address, "dbus-daemon printed no address"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)


@dataclass(frozen=True)
class Shown:
    app_name: str
    summary: str
    body: str
    hints: dict[str, Any]


class FakeNotificationServer:
    """Serves org.freedesktop.Notifications on ``address`` until :meth:`close`."""

    def __init__(self, address: str, capabilities: tuple[str, ...] = ("body",)) -> None:
        self.shown: list[Shown] = []
        self.capabilities = list(capabilities)
        self._stop = threading.Event()
        self._connection = open_dbus_connection(bus=address)
        reply = self._connection.send_and_get_reply(message_bus.RequestName(NAME), timeout=5)
        assert reply.body[0] == 1, "could not own org.freedesktop.Notifications"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type != MessageType.method_call:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "Notify":
                app, _replaces, _icon, summary, body, _actions, hints, _expire = message.body
                self.shown.append(Shown(app, summary, body, dict(hints)))
                answer = new_method_return(message, "u", (len(self.shown),))
            elif member == "GetCapabilities":
                answer = new_method_return(message, "as", (self.capabilities,))
            elif member == "GetServerInformation":
                answer = new_method_return(message, "ssss", ("fake", "followupd tests", "1", "1.2"))
            else:
                answer = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod")
            self._connection.send(answer)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._connection.close()


class PushReceiver:
    """An HTTP server on 127.0.0.1 that keeps the JSON bodies posted to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/notify"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
