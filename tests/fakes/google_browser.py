"""A scripted browser for the OAuth loopback flow: plays the user who clicks "Allow".

Registered as the preferred ``webbrowser`` controller, so ``InstalledAppFlow.run_local_server``
(and ``followupd auth``) "opens" the consent URL through it: it GETs the fake consent page,
takes the redirect to the loopback server and reads the success page. Reusable by CLI tests::

    with scripted_browser(fake.ca_file) as browser:
        run followupd auth ...
    assert not browser.errors
"""

from __future__ import annotations

import http.client
import ssl
import threading
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
            parts = urllib.parse.urlsplit(url)
            context = ssl.create_default_context(cafile=self.ca_file)
            conn = http.client.HTTPSConnection(
                parts.hostname, parts.port, context=context, timeout=10
            )
            conn.request("GET", f"{parts.path}?{parts.query}")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 302, answer.status
            location = answer.getheader("Location")
            with urllib.request.urlopen(location, timeout=10) as page:  # the loopback server
                self.pages.append(page.read().decode())
        except BaseException as err:  # noqa: BLE001 - reported by the test
            self.errors.append(err)


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
