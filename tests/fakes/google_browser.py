"""A scripted browser for the OAuth loopback flow: plays the user who clicks "Allow".

Registered as the preferred ``webbrowser`` controller, so ``InstalledAppFlow.run_local_server``
(and ``followupd auth``) "opens" the consent URL through it: it GETs the fake consent page,
takes the redirect to the loopback server and reads the success page. In the test process::

    with scripted_browser(fake.ca_file) as browser:
        PROVIDER.authorize(...)
    assert not browser.errors

For ``followupd auth`` in a subprocess, :func:`browser_command` writes an executable to put in
the ``BROWSER`` environment variable, which Python's ``webbrowser`` honours::

    command = browser_command(tmp_path, fake.ca_file)
    subprocess.run([..., "auth", "gmail"], env={..., "BROWSER": str(command)})
    assert read_log(command)[-1].startswith("page ")
"""

from __future__ import annotations

import http.client
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

NAME = "followupd-scripted"


class ScriptedBrowser(webbrowser.BaseBrowser):
    """Plays the user: opens the consent URL, follows Google's redirect to the loopback server."""

    def __init__(self, ca_file: str) -> None:
        super().__init__("scripted")
        self.ca_file = ca_file
        self.opened: list[str] = []
        self.pages: list[str] = []
        self.errors: list[BaseException] = []

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.append(url)
        # run_local_server only starts answering after open() returns: browse in a thread.
        threading.Thread(target=self._browse, args=(url,), daemon=True).start()
        return True

    def _browse(self, url: str) -> None:
        try:
            self.pages.append(browse(url, self.ca_file))
        except BaseException as err:  # noqa: BLE001 - reported by the test
            self.errors.append(err)


def browse(url: str, ca_file: str) -> str:
    """GET the consent page, follow its redirect to the loopback server, return that page."""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=ca_file)
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}")
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302, answer.status
    location = answer.getheader("Location")
    with urllib.request.urlopen(location, timeout=10) as page:  # the loopback server
        return page.read().decode()


@contextmanager
def scripted_browser(ca_file: Path | str) -> Iterator[ScriptedBrowser]:
    browser = ScriptedBrowser(str(ca_file))
    webbrowser.register(NAME, None, browser, preferred=True)
    try:
        yield browser
    finally:
        webbrowser._browsers.pop(NAME, None)  # no public unregister in the stdlib
        if NAME in webbrowser._tryorder:
            webbrowser._tryorder.remove(NAME)


# --------------------------------------------------------------------------------------------
# BROWSER=... for a followupd subprocess
# --------------------------------------------------------------------------------------------

_ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = """#!{python}
import sys
sys.path.insert(0, {root!r})
from tests.fakes.google_browser import command_main
command_main(sys.argv[1:], {ca!r}, {log!r})
"""


def browser_command(folder: Path, ca_file: Path | str) -> Path:
    """An executable for ``BROWSER``; it appends what it did to ``<command>.log``.

    ``webbrowser`` runs the command and waits for it to exit, but the loopback server of
    ``run_local_server`` only answers after ``open()`` returns: so the command starts the
    browsing in a detached process (its output in the log, not in followupd's pipes) and exits.
    """
    path = folder / "scripted-browser"
    log = path.with_suffix(".log")
    path.write_text(
        _SCRIPT.format(python=sys.executable, root=str(_ROOT), ca=str(ca_file), log=str(log))
    )
    path.chmod(0o700)
    return path


def read_log(command: Path, timeout: float = 5.0) -> list[str]:
    """The lines the browser command logged: ``opened <url>``, then ``page <text>`` or
    ``error <what>``. Waits (up to ``timeout`` s) for that outcome: the detached browser may
    write it just after ``followupd auth`` has exited."""
    log = command.with_suffix(".log")
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        done = bool(lines) and lines[-1].startswith(("page ", "error "))
        if done or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)


def command_main(args: list[str], ca_file: str, log: str) -> None:
    """The browser command: start a detached copy of itself and return; the copy browses."""
    if args[:1] != ["--detached"]:
        with open(log, "a") as out:
            subprocess.Popen(  # noqa: S603 - our own script, with the URL as one argument
                [sys.executable, sys.argv[0], "--detached", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        return
    url = args[1]
    with open(log, "a") as out:
        out.write(f"opened {url}\n")
        out.flush()
        try:
            page = browse(url, ca_file)
        except BaseException as err:  # noqa: BLE001 - written to the log for the test
            out.write(f"error {err!r}\n")
            return
        out.write(f"page {page}\n")
