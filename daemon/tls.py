"""One TLS context per way of verifying, shared by every connection of the process.

Why: a context holds its own copy of every CA certificate loaded into it, about 850 KB with a
system bundle of some 140. The libraries build one per connection unless given one (httplib2
always, urllib3 when no context is passed), and the IMAP connector built one per account: a
careers office's thousand IMAP accounts, or 64 worker threads' connections to a host, held
hundreds of identical stores. A configured ``SSLContext`` is safe to share between threads;
what urllib3 sets on a context it is given, at each connection, is the same value each time.

A context is kept per builder and CA bundle as the file is now: a bundle replaced on disk
(a certificate rotated) gives a new context from the next connection on, as before, when each
connection read the file again. A bundle that cannot be read raises from the builder, for the
caller to name, and nothing is kept.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from urllib3.util.ssl_ import create_urllib3_context

_CONTEXTS: dict[tuple[Any, ...], ssl.SSLContext] = {}
_LOCK = threading.Lock()


def shared(
    kind: str, bundle: str | Path | None, build: Callable[[], ssl.SSLContext]
) -> ssl.SSLContext:
    """The process's context of ``kind`` for ``bundle`` (None: the system's certificates),
    made by ``build`` the first time (and again once the file changed)."""
    key = (kind, *_stamp(bundle))
    with _LOCK:
        found = _CONTEXTS.get(key)
    if found is not None:
        return found
    context = build()  # outside the lock: loading a bundle takes milliseconds
    with _LOCK:
        return _CONTEXTS.setdefault(key, context)


def _stamp(bundle: str | Path | None) -> tuple[Any, ...]:
    if bundle is None:
        return (None,)
    try:
        st = os.stat(bundle)
    except OSError:
        return (str(bundle), None)  # the builder says what is wrong with it
    return (str(bundle), st.st_ino, st.st_mtime_ns, st.st_size)


def urllib3_context(bundle: str | None) -> ssl.SSLContext:
    """A verifying context as urllib3 makes one for ``verify=bundle`` (a file or a folder of
    certificates; None: the system's), shared."""

    def build() -> ssl.SSLContext:
        context = create_urllib3_context()
        if bundle is None:
            context.load_default_certs()
        elif os.path.isdir(bundle):
            context.load_verify_locations(capath=bundle)
        else:
            context.load_verify_locations(cafile=bundle)
        return context

    return shared("urllib3", bundle, build)


class SharedContextAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, verifying with the process's shared context for the request's
    ``verify`` (its CA bundle, or the system's certificates) instead of one urllib3 builds for
    each new connection. ``verify=False`` and client certificates keep urllib3's own way."""

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if host.get("scheme") == "https" and verify is not False and cert is None:
            bundle = pool.pop("ca_certs", None) or pool.pop("ca_cert_dir", None)
            pool["ssl_context"] = urllib3_context(bundle)
        return host, pool
