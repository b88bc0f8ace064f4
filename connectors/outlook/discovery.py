"""The sign-in service's endpoints, asked once a day instead of once per account and process.

Building an MSAL application asks the authority for its OpenID configuration (``GET
{authority}/v2.0/.well-known/openid-configuration``, MSAL's "tenant discovery"; the global
instance discovery is already off: ``instance_discovery=False`` with the authority we name).
MSAL keeps that answer a day, but per application object, and followupd has one application
per account (MSAL ties an application to one token cache, and token caches are per account),
so every account of every process asked again.

:class:`DiscoveryClient` is the HTTP client MSAL is given (its documented ``http_client``:
anything with requests.Session's ``get``/``post``). It answers that one GET from the
process's memory, else the account's lookup record (:mod:`.lookups`), else the network, and
keeps a good answer (a JSON object naming a token endpoint) in both. Every other request
(device code, tokens) goes to the shared session untouched. An error answer (an unknown
tenant) is never kept: MSAL sees it as before and says why.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.outlook.lookups import Lookups

WELL_KNOWN = "/.well-known/openid-configuration"

_known: dict[str, dict[str, Any]] = {}  # discovery URL -> its answer, for this process
_known_lock = threading.Lock()


def forget_discovery() -> None:
    """Forget the process's answers (tests playing a new process)."""
    with _known_lock:
        _known.clear()


class _Kept:
    """A kept answer, as much of a response as MSAL reads (status, text, headers)."""

    status_code = 200
    headers: dict[str, str] = {}  # noqa: RUF012 - read only

    def __init__(self, answer: dict[str, Any]) -> None:
        self.text = json.dumps(answer)

    def raise_for_status(self) -> None:
        return None


class DiscoveryClient:
    """MSAL's HTTP client for one account: discovery from memory or the record, the rest
    through ``session``."""

    def __init__(self, session: requests.Session, lookups: Lookups | None) -> None:
        self._session = session
        self._lookups = lookups

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        if params or not urlsplit(url).path.endswith(WELL_KNOWN):
            return self._session.get(url, params=params, headers=headers, **kwargs)
        key = f"openid {url}"
        with _known_lock:
            found = _known.get(url)
        if found is None and self._lookups is not None:
            found = _usable(self._lookups.get(key))
        if found is not None:
            with _known_lock:
                _known.setdefault(url, found)
            return _Kept(found)
        response = self._session.get(url, headers=headers, **kwargs)
        if response.status_code == 200:
            try:
                answer = _usable(response.json())
            except ValueError:
                answer = None
            if answer is not None:
                with _known_lock:
                    _known[url] = answer
                if self._lookups is not None:
                    self._lookups.put(key, answer)
        return response

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any:
        return self._session.post(url, params=params, data=data, headers=headers, **kwargs)

    def close(self) -> None:
        """Nothing: the session is the process's (:func:`.http.close_shared_sessions`)."""


def _usable(answer: Any) -> dict[str, Any] | None:
    """An OpenID configuration MSAL can build an application from, else None."""
    if (
        isinstance(answer, dict)
        and "token_endpoint" in answer
        and "authorization_endpoint" in answer
    ):
        return answer
    return None
