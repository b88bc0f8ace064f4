"""Follow ``nextPageToken`` to the end of a Google listing, but never forever.

A listing that keeps promising another page (a server bug, a proxy replaying one answer) would
otherwise hold the poll, and with it the daemon's only worker thread, for good: the watchdog
would restart the daemon, which would then do the same again. So every listing has a page
limit far above what a real account needs, and a page token that comes back a second time ends
the listing at once. What happens at the limit is the caller's choice: an error for listings
that must be whole, "the newest pages only" for scans that may stop early.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from daemon.errors import InvalidResponse


class TooManyPages(InvalidResponse):
    """The listing went past its page limit (or repeated a page token)."""


def pages(
    fetch: Callable[[str | None], dict[str, Any]], what: str, limit: int
) -> Iterator[dict[str, Any]]:
    """Each page of a listing: ``fetch(token)`` gets one page (``token`` None for the first)."""
    token: str | None = None
    seen: set[str] = set()
    for _ in range(limit):
        page = fetch(token)
        yield page
        following = page.get("nextPageToken")
        if not following:
            return
        if not isinstance(following, str):
            raise InvalidResponse(
                f"{what}: nextPageToken is {type(following).__name__}, expected a string"
            )
        if following in seen:
            raise TooManyPages(
                f"{what}: Google answered the same nextPageToken twice; stopped reading to "
                "avoid an endless loop"
            )
        seen.add(following)
        token = following
    raise TooManyPages(
        f"{what}: still another page after {limit} pages; stopped reading (expected the "
        "listing to end)"
    )


def entries(container: Any, key: str, what: str | None = None) -> list[dict[str, Any]]:
    """The objects listed under ``key`` (``items``, ``messages``...).

    Google leaves a list out when it is empty. Leniently (the default) anything that is not a
    list of objects counts as empty or is dropped: one odd value must not fail a whole poll.
    With ``what`` (the request, for the message) it is an :class:`InvalidResponse` instead:
    where an answer decides whether a draft exists, "unreadable" must never pass for "none".
    """
    found = container.get(key) if isinstance(container, dict) else None
    if what is None:
        return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
    if not isinstance(container, dict):
        raise InvalidResponse(f"{what}: expected a JSON object, got {type(container).__name__}")
    if key not in container:
        return []
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise InvalidResponse(
            f"{what}: expected '{key}' to be a list of objects, got {_shape(found)}"
        )
    return found


def _shape(value: Any) -> str:
    if isinstance(value, list):
        return "a list of " + ", ".join(sorted({type(v).__name__ for v in value}))
    return type(value).__name__
