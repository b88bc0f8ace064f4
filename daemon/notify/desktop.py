"""Desktop notifications: org.freedesktop.Notifications.Notify on the session D-Bus.

What ``notify-send`` does, spoken directly with jeepney (pure Python, no libdbus, no GLib): it
works in a systemd user service, which has DBUS_SESSION_BUS_ADDRESS, and is silently absent on
a server, which has none. One connection per notification: there are a few a day, and a
connection held open would have to survive the desktop session ending and restarting.
"""

from __future__ import annotations

import html
import os
from datetime import timedelta

from daemon.notify.events import Event
from daemon.notify.notifiers import NotifyError

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
APP_NAME = "followupd"
ICON = "mail-message-new"  # a freedesktop icon name every icon theme has


def session_bus() -> str | None:
    return os.environ.get("DBUS_SESSION_BUS_ADDRESS") or None


class DesktopNotifier:
    name = "desktop"

    def problem(self) -> str | None:
        if session_bus() is None:
            return "no desktop session bus here (DBUS_SESSION_BUS_ADDRESS is not set)"
        try:
            import jeepney  # noqa: F401
        except ImportError:
            return "the jeepney package is missing; reinstall followupd"
        return None

    def _call(self, method: str, signature: str | None, body: tuple, timeout: timedelta):  # noqa: ANN202
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        seconds = timeout.total_seconds()
        try:
            with open_dbus_connection(bus="SESSION", auth_timeout=seconds) as connection:
                reply = connection.send_and_get_reply(
                    new_method_call(address, method, signature, body), timeout=seconds
                )
                return unwrap_msg(reply)
        except DBusErrorResponse as err:
            raise NotifyError(f"the notification server refused {method}: {err.name}") from None
        except TimeoutError:
            raise NotifyError(
                f"the notification server did not answer within {timeout.total_seconds():g}s"
            ) from None
        except (OSError, ValueError, KeyError) as err:
            # No such socket, refused, bad address: no desktop session right now.
            raise NotifyError(f"cannot reach the session bus ({err})") from None

    def check(self, timeout: timedelta) -> str:
        name, vendor, version, _spec = self._call("GetServerInformation", None, (), timeout)
        return f"OK (notification server: {name} {version} by {vendor})"

    def send(self, event: Event, timeout: timedelta) -> None:
        # Servers that speak body markup would read "AT&T" or "<Jane>" as broken markup.
        (capabilities,) = self._call("GetCapabilities", None, (), timeout)
        body = (
            html.escape(event.message, quote=False)
            if "body-markup" in capabilities
            else event.message
        )
        hints = {"desktop-entry": ("s", APP_NAME)}
        self._call(
            "Notify",
            "susssasa{sv}i",
            (APP_NAME, 0, ICON, event.title, body, [], hints, -1),
            timeout,
        )
