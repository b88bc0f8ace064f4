"""A real Radicale CalDAV server, started by the tests as a subprocess (``python -m radicale``).

One server per test session (on 127.0.0.1 and a free port, storage and config in a temporary
folder, htpasswd auth with plain passwords); each test gets a user of its own, added to the
htpasswd file, which Radicale reads again at each login. So tests never see each other's
calendars while the server starts once.

Calendars and events are put in place as any client would, with plain HTTP (MKCALENDAR, PUT,
DELETE through requests), never through the code under test. What the server received is read
from its log: :meth:`Radicale.requests_since` counts the requests after a mark.
"""

from __future__ import annotations

import itertools
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="{component}"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""
_REQUEST = re.compile(r"\] (\w+) request for '([^']*)'")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Radicale:
    root: Path
    port: int
    process: subprocess.Popen[bytes]
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    @property
    def log(self) -> Path:
        return self.root / "radicale.log"

    def mark(self) -> int:
        """A point in the server's log: :meth:`requests_since` counts what came after it."""
        return self.log.stat().st_size

    def requests_since(self, mark: int) -> list[tuple[str, str]]:
        """(method, path) of every request the server received after ``mark``."""
        time.sleep(0.05)  # the log line of the last answer may still be on its way
        with self.log.open("rb") as handle:
            handle.seek(mark)
            text = handle.read().decode("utf-8", "replace")
        return _REQUEST.findall(text)

    def add_user(self, name: str, password: str) -> None:
        with (self.root / "users").open("a", encoding="utf-8") as users:
            users.write(f"{name}:{password}\n")

    def storage(self, user: str, calendar: str) -> Path:
        """Where Radicale keeps a calendar's items on disk."""
        return self.root / "collections" / "collection-root" / user / calendar

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start(root: Path, tls: tuple[Path, Path] | None = None) -> Radicale:
    """Start Radicale in ``root``; ``tls`` = (certificate chain, key) serves https."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "users").write_text("", encoding="utf-8")
    port = free_port()
    ssl = ""
    if tls is not None:
        ssl = f"ssl = True\ncertificate = {tls[0]}\nkey = {tls[1]}\n"
    (root / "config").write_text(
        f"""[server]
hosts = 127.0.0.1:{port}
{ssl}delay_on_error = 0.01
[auth]
type = htpasswd
htpasswd_filename = {root / "users"}
htpasswd_encryption = plain
delay = 0.01
[storage]
filesystem_folder = {root / "collections"}
[web]
type = none
[logging]
level = info
mask_passwords = True
""",
        encoding="utf-8",
    )
    log = (root / "radicale.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(root / "config")],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    server = Radicale(root=root, port=port, process=process, scheme="https" if tls else "http")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale exited: {server.log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError("Radicale did not start within 30 s")


_users = itertools.count(1)


@dataclass
class DavUser:
    """One test's user on the server, and the plain-HTTP client that fills its calendars."""

    server: Radicale
    name: str
    password: str
    verify: bool | str = True

    @property
    def home(self) -> str:
        return f"{self.server.url}{self.name}/"

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        # verify per request: requests lets REQUESTS_CA_BUNDLE override a session's verify
        return requests.request(
            method, url, auth=(self.name, self.password), verify=self.verify, timeout=30, **kwargs
        )

    def make_calendar(self, slug: str, name: str, component: str = "VEVENT") -> str:
        url = f"{self.home}{slug}/"
        answer = self.request(
            "MKCALENDAR", url, data=MKCALENDAR.format(name=name, component=component)
        )
        assert answer.status_code == 201, answer.text
        return url

    def put(self, calendar_url: str, name: str, ics: str | bytes) -> str:
        url = f"{calendar_url}{name}"
        answer = self.request("PUT", url, data=ics, headers={"Content-Type": "text/calendar"})
        assert answer.status_code in (201, 204), (answer.status_code, answer.text)
        return url

    def delete(self, url: str) -> None:
        answer = self.request("DELETE", url)
        assert answer.status_code in (200, 204), answer.text


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    server = start(tmp_path_factory.mktemp("radicale"))
    yield server
    server.stop()


@pytest.fixture
def dav_user(radicale: Radicale) -> DavUser:
    """A user of its own on the shared server (nobody else's calendars in its home)."""
    user = DavUser(radicale, f"user{next(_users)}", "s3cret-app-password")
    radicale.add_user(user.name, user.password)
    return user
