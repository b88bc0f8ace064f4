"""googleapiclient resources, built once per process and API endpoint, shared by all accounts.

Building a resource reads and parses the bundled discovery document, and every collection
call (``users()``, ``messages()``, ``events()``) builds a new resource object whose methods
get docstrings generated from the schemas (``Schemas.prettyPrintSchema``): about 820 KB and
tens of milliseconds of CPU per account and poll when each account built its own. A resource
holds nothing of an account: the account's credentials and connection are given to each
request when it runs (:meth:`connectors.google.http.GoogleSession.execute`), so one tree of
resources serves every account and thread. The resources are built with an http that refuses
to send, so a request run without an account's http fails loudly instead of going out
unauthenticated.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

from googleapiclient.discovery import build

DEFAULT_API_ROOT = "https://www.googleapis.com/"
# The service path each API has in its bundled discovery document ("rootUrl" is replaced by
# the configured api_root; googleapiclient's api_endpoint replaces rootUrl+servicePath whole).
SERVICE_PATHS = {"calendar": ("v3", "calendar/v3/"), "gmail": ("v1", "")}
# Gmail's batch endpoint below the API root (https://www.googleapis.com/batch/gmail/v1; Gmail
# answers the same at https://gmail.googleapis.com/batch/gmail/v1).
BATCH_PATHS = {"gmail": "batch/gmail/v1"}

_LOCK = threading.Lock()
_BUILT: dict[tuple[str, str], SharedResource] = {}


class Unbound:
    """The http the shared resources are built with: a request must name the account's."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a Google API request was run without the account's http")


class SharedResource:
    """A googleapiclient resource whose collections are built on first use, then reused.

    ``shared.users().messages().get(...)`` reads as on the library's resource; only the
    collection methods are cached (each built once, under a lock), the API methods are the
    library's own and make a new request object per call, so threads never share one.
    """

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        self._collections = frozenset(resource._resourceDesc.get("resources", {}))
        self._children: dict[str, SharedResource] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in self._collections:
            return getattr(self._resource, name)
        child = self._children.get(name)
        if child is None:
            with _LOCK:
                child = self._children.get(name)
                if child is None:
                    child = self._children[name] = SharedResource(getattr(self._resource, name)())
        found = child
        return lambda: found


def endpoint(api: str, api_root: str) -> str:
    root = api_root.rstrip("/") + "/"
    return urllib.parse.urljoin(root, SERVICE_PATHS[api][1])


def batch_uri(api: str, api_root: str) -> str:
    """Where a batch of ``api`` requests is posted, below the configured API root."""
    return urllib.parse.urljoin(api_root.rstrip("/") + "/", BATCH_PATHS[api])


def resource(api: str, api_root: str) -> SharedResource:
    """The resource for ``api`` ('calendar' or 'gmail') at ``api_root``, static discovery."""
    url = endpoint(api, api_root)
    found = _BUILT.get((api, url))
    if found is not None:
        return found
    with _LOCK:
        found = _BUILT.get((api, url))
        if found is None:
            built = build(
                api,
                SERVICE_PATHS[api][0],
                http=Unbound(),
                static_discovery=True,
                cache_discovery=False,
                client_options={"api_endpoint": url},
            )
            found = _BUILT[(api, url)] = SharedResource(built)
    return found
