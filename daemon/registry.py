"""Find providers by the name the config gives (``provider = "ics"``).

Providers are looked up lazily, from the ``followupd.providers`` entry points (so a third-party
package can add one), falling back to the built-in table below when followupd runs from a source
tree that was never installed. Importing happens only when a config actually names the provider,
so the Google and Microsoft libraries are not loaded for a user of the local connectors.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

from daemon.errors import FollowupdError

BUILTIN: dict[str, str] = {
    "ics": "connectors.ics:PROVIDER",
    "maildir": "connectors.maildir:PROVIDER",
    "google": "connectors.google:PROVIDER",
    "outlook": "connectors.outlook:PROVIDER",
    "caldav": "connectors.caldav:PROVIDER",
    "imap": "connectors.imap:PROVIDER",
}


class UnknownProvider(FollowupdError):
    pass


@cache
def _registered() -> dict[str, str]:
    """Name -> ``module:attribute`` of the installed entry points (scanned once: ~10 ms).
    Of two packages registering one name, the first found wins."""
    from importlib.metadata import entry_points

    found: dict[str, str] = {}
    for ep in entry_points(group="followupd.providers"):
        found.setdefault(ep.name, ep.value)
    return found


def known() -> list[str]:
    return sorted(set(BUILTIN) | set(_registered()))


@cache
def provider(name: str) -> Any:
    """The provider object registered under ``name`` (see :class:`daemon.protocols.Provider`)."""
    target = _registered().get(name) or BUILTIN.get(name)
    if target is None:
        raise UnknownProvider(f"unknown provider {name!r} (known: {', '.join(known())})")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise UnknownProvider(f"provider {name!r} cannot be loaded: {err}") from err
    return getattr(module, attr)
