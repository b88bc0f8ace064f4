"""A Digest-only front for the test Radicale (Radicale itself speaks Basic only), as Baïkal
and other SabreDAV servers ask by default: HTTP Digest (RFC 7616, MD5, qop=auth) checked
here, each request then passed on to Radicale with Basic. It counts what it received."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

REALM = "followupd-test"
NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"
_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - what Digest is


class DigestFront:
    def __init__(self, upstream: str, user: str, password: str) -> None:
        self.upstream, self.user, self.password = upstream.rstrip("/"), user, password
        self.requests: list[tuple[str, str, bool]] = []  # method, path, authorized
        front = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                allowed = front.authorized(self.command, self.headers.get("Authorization", ""))
                front.requests.append((self.command, self.path, allowed))
                if not allowed:
                    self.send_response(401)
                    self.send_header(
                        "WWW-Authenticate",
                        f'Digest realm="{REALM}", nonce="{NONCE}", qop="auth", algorithm=MD5',
                    )
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                passed = {
                    k: v for k, v in self.headers.items() if k.lower() in ("depth", "content-type")
                }
                got = requests.request(
                    self.command,
                    front.upstream + self.path,
                    data=body,
                    headers=passed,
                    auth=(front.user, front.password),
                    timeout=30,
                    allow_redirects=False,
                )
                self.send_response(got.status_code)
                for name in ("Content-Type", "Location"):
                    if name in got.headers:
                        self.send_header(name, got.headers[name])
                self.send_header("Content-Length", str(len(got.content)))
                self.end_headers()
                self.wfile.write(got.content)

            do_PROPFIND = do_REPORT = do_GET = do_OPTIONS = answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def authorized(self, method: str, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        found = {
            m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(header[7:])
        }
        if found.get("username") != self.user or found.get("nonce") != NONCE:
            return False
        first = _md5(f"{self.user}:{REALM}:{self.password}")
        second = _md5(f"{method}:{found.get('uri', '')}")
        parts = (found.get("nc", ""), found.get("cnonce", ""), found.get("qop", ""))
        expected = _md5(f"{first}:{NONCE}:{':'.join(parts)}:{second}")
        return found.get("response") == expected


@contextmanager
def digest_front(upstream: str, user: str, password: str) -> Iterator[DigestFront]:
    front = DigestFront(upstream, user, password)
    thread = threading.Thread(target=front.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield front
    finally:
        front.server.shutdown()
        front.server.server_close()
