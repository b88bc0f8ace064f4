"""From the server's base URL to the calendars to read (RFC 4791 section 6, RFC 6764).

The user gives the address a provider documents ('https://caldav.fastmail.com/',
'https://caldav.icloud.com/', a Nextcloud's 'https://cloud.example.org/'); from it:

1. the principal: ``DAV:current-user-principal`` of that URL, else of ``/.well-known/caldav``
   on its host (Nextcloud and most self-hosted servers answer the root only there);
2. its ``calendar-home-set`` (the principal itself when the server names none);
3. the home's members that are calendars holding events (``supported-calendar-component-set``
   with VEVENT, or no set at all), with their name, sync token and ctag in the same answer.

A configured calendar is chosen by name (the display name, case-insensitive, or the last part
of its URL) or by URL; a URL outside the home is asked for directly. Three or four requests,
made at the first sync and once a day, never on an ordinary poll.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from connectors.caldav import davxml
from connectors.caldav.session import NotFound, Session, StatusError
from daemon.errors import ConnectorError, InvalidResponse

log = logging.getLogger(__name__)

COLLECTION_PROPS = [
    davxml.RESOURCETYPE,
    davxml.DISPLAYNAME,
    davxml.SUPPORTED_COMPONENTS,
    davxml.SYNC_TOKEN,
    davxml.GETCTAG,
]


@dataclass(frozen=True)
class Collection:
    url: str  # absolute, as the server names it
    name: str  # the display name, else the last part of the URL
    sync_token: str | None
    ctag: str | None


def discover(session: Session, wanted: tuple[str, ...]) -> list[Collection]:
    """The calendars to read: ``wanted`` (names or URLs) in that order, else every calendar
    with events. :class:`ConnectorError` names a wanted calendar that is not there."""
    base = session.settings.url
    names = [w for w in wanted if not _is_url(w)]
    found: list[Collection] = []
    if names or not wanted:
        found = calendars(session, home_sets(session, principal(session, base)))
        if not wanted and not found:
            raise ConnectorError(
                f"caldav: {base} lists no calendar holding events for"
                f" {session.settings.username!r}; expected at least one (calendar.url)"
            )
    chosen: list[Collection] = [] if wanted else list(found)
    for label in wanted:
        if _is_url(label):
            chosen.append(_one(session, urljoin(base, label), label))
            continue
        match = _by_name(found, label)
        if match is None:
            known = ", ".join(repr(c.name) for c in found) or "none"
            raise ConnectorError(
                f"caldav: no calendar named {label!r} at {base} (calendars: {known}); expected"
                " a name or URL of one of them (calendar.calendars)"
            )
        chosen.append(match)
    unique: dict[str, Collection] = {}
    for collection in chosen:
        unique.setdefault(collection.url, collection)
    return list(unique.values())


def principal(session: Session, base: str) -> str:
    """The URL of the signed-in user's principal."""
    for url in (base, urljoin(base, "/.well-known/caldav")):
        try:
            results = session.propfind(url, [davxml.CURRENT_USER_PRINCIPAL], 0)
        except (StatusError, InvalidResponse) as err:  # no DAV here: the well-known one may be
            log.debug("no principal at %s: %s", url, err)
            continue
        for result in results:
            for href in result.hrefs(davxml.CURRENT_USER_PRINCIPAL):
                return href
    raise ConnectorError(
        f"caldav: {base} names no principal (DAV:current-user-principal), nor does"
        f" {urljoin(base, '/.well-known/caldav')}; expected the CalDAV address of the server"
        " (calendar.url)"
    )


def home_sets(session: Session, principal_url: str) -> list[str]:
    results = session.propfind(principal_url, [davxml.CALENDAR_HOME_SET], 0)
    homes = [href for result in results for href in result.hrefs(davxml.CALENDAR_HOME_SET)]
    return homes or [principal_url]


def calendars(session: Session, homes: list[str]) -> list[Collection]:
    found: list[Collection] = []
    for home in homes:
        for result in session.propfind(home, COLLECTION_PROPS, 1):
            if davxml.same_path(result.href, home) or not _holds_events(result):
                continue
            found.append(_collection(result.href, result))
    return found


def _one(session: Session, url: str, label: str) -> Collection:
    """A calendar configured by URL."""
    try:
        results = session.propfind(url, COLLECTION_PROPS, 0)
    except NotFound:
        results = []
    for result in results:
        if _holds_events(result):
            return _collection(url, result)
    raise ConnectorError(
        f"caldav: {label} is not a calendar holding events; expected the URL of one"
        " (calendar.calendars)"
    )


def _collection(url: str, result: davxml.Response) -> Collection:
    return Collection(
        url=url,
        name=result.text(davxml.DISPLAYNAME) or _last_part(url),
        sync_token=result.text(davxml.SYNC_TOKEN),
        ctag=result.text(davxml.GETCTAG),
    )


def _holds_events(result: davxml.Response) -> bool:
    if davxml.CALENDAR not in result.kinds():
        return False
    components = result.components()
    # the set is optional: a calendar without it takes everything
    return not components or "VEVENT" in components


def _by_name(found: list[Collection], label: str) -> Collection | None:
    for same in (
        lambda c: c.name == label,
        lambda c: c.name.casefold() == label.casefold(),
        lambda c: _last_part(c.url).casefold() == label.casefold(),
    ):
        match = next((c for c in found if same(c)), None)
        if match is not None:
            return match
    return None


def _is_url(label: str) -> bool:
    return label.startswith(("http://", "https://", "/"))


def _last_part(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2]) or url
