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
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from caldav.elements import cdav, dav
from caldav.elements.base import BaseElement

from connectors.caldav.session import NotFound, Session, StatusError
from daemon.errors import ConnectorError, InvalidResponse

log = logging.getLogger(__name__)

CTAG = "{http://calendarserver.org/ns/}getctag"
CALENDAR_TYPE = "{urn:ietf:params:xml:ns:caldav}calendar"


class GetCTag(BaseElement):
    """CalendarServer's collection tag: changes whenever anything in the calendar does."""

    tag = CTAG


def collection_props() -> list[BaseElement]:
    return [
        dav.ResourceType(),
        dav.DisplayName(),
        cdav.SupportedCalendarComponentSet(),
        dav.SyncToken(),
        GetCTag(),
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
            results = session.propfind(url, [dav.CurrentUserPrincipal()], 0)
        except (StatusError, InvalidResponse) as err:  # no DAV here: the well-known one may be
            log.debug("no principal at %s: %s", url, err)
            continue
        for result in results:
            href = result.properties.get(dav.CurrentUserPrincipal.tag)
            if isinstance(href, str) and href.strip():
                return urljoin(url, href.strip())
    raise ConnectorError(
        f"caldav: {base} names no principal (DAV:current-user-principal), nor does"
        f" {urljoin(base, '/.well-known/caldav')}; expected the CalDAV address of the server"
        " (calendar.url)"
    )


def home_sets(session: Session, principal_url: str) -> list[str]:
    results = session.propfind(principal_url, [cdav.CalendarHomeSet()], 0)
    homes: list[str] = []
    for result in results:
        value = result.properties.get(cdav.CalendarHomeSet.tag)
        for href in value if isinstance(value, list) else [value]:
            if isinstance(href, str) and href.strip():
                homes.append(urljoin(principal_url, href.strip()))
    return homes or [principal_url]


def calendars(session: Session, homes: list[str]) -> list[Collection]:
    found: list[Collection] = []
    for home in homes:
        for result in session.propfind(home, collection_props(), 1):
            url = urljoin(home, result.href)
            if _same(url, home) or not _holds_events(result.properties):
                continue
            found.append(_collection(url, result.properties))
    return found


def _one(session: Session, url: str, label: str) -> Collection:
    """A calendar configured by URL."""
    try:
        results = session.propfind(url, collection_props(), 0)
    except NotFound:
        results = []
    for result in results:
        if _holds_events(result.properties):
            return _collection(url, result.properties)
    raise ConnectorError(
        f"caldav: {label} is not a calendar holding events; expected the URL of one"
        " (calendar.calendars)"
    )


def _collection(url: str, props: dict[str, Any]) -> Collection:
    name = props.get(dav.DisplayName.tag)
    token = props.get(dav.SyncToken.tag)
    ctag = props.get(CTAG)
    return Collection(
        url=url,
        name=name.strip() if isinstance(name, str) and name.strip() else _last_part(url),
        sync_token=token if isinstance(token, str) and token else None,
        ctag=ctag if isinstance(ctag, str) and ctag else None,
    )


def _holds_events(props: dict[str, Any]) -> bool:
    kinds = props.get(dav.ResourceType.tag) or []
    if CALENDAR_TYPE not in (kinds if isinstance(kinds, list) else [kinds]):
        return False
    components = props.get(cdav.SupportedCalendarComponentSet.tag)
    if not components:  # the set is optional: a calendar without it takes everything
        return True
    listed = components if isinstance(components, list) else [components]
    return any(str(c).upper() == "VEVENT" for c in listed)


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


def _same(a: str, b: str) -> bool:
    return unquote(urlsplit(a).path).rstrip("/") == unquote(urlsplit(b).path).rstrip("/")
