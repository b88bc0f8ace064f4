"""The three questions asked of one calendar collection, each one request.

* :func:`changed_since` - did anything change? WebDAV sync-collection with the last sync token
  (RFC 6578) where the server has one, else the ctag, else the list of ETags; the idle poll.
* :func:`events_between` - the resources with an event in a time span: a calendar-query with
  a time-range filter (RFC 4791 section 7.8), so the server sends only what the window needs
  (a recurring event is sent whole when any of its instances is in the span).
* :func:`state` - the collection's current sync token and ctag (after a resync).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from connectors.caldav import davxml
from connectors.caldav.session import Session
from daemon.errors import InvalidResponse

# A server that truncates a sync-collection answer (RFC 6578 section 3.6) is asked again with
# the token of the part it sent; a calendar never needs more pages than this.
MAX_SYNC_PAGES = 50


@dataclass(frozen=True)
class Resource:
    href: str  # absolute URL
    etag: str | None
    data: bytes | None  # None: the server sent no calendar-data for it


@dataclass
class Probe:
    """What one change check found, and the marks to keep for the next one."""

    changed: bool
    sync_token: str | None = None
    ctag: str | None = None
    etags: str | None = None  # digest of the (href, ETag) list, the last resort
    deleted: list[str] = field(default_factory=list)  # hrefs the server reported gone


def changed_since(
    session: Session, url: str, sync_token: str | None, ctag: str | None, etags: str | None
) -> Probe:
    """One request: has the calendar changed since these marks? Raises CursorExpired when the
    server no longer knows ``sync_token`` (its history is bounded)."""
    if sync_token:
        return _sync_collection(session, url, sync_token)
    if ctag:
        now_token, now_ctag = state(session, url)
        return Probe(changed=now_ctag != ctag, ctag=now_ctag, sync_token=now_token)
    digest = etag_digest(session, url)
    return Probe(changed=digest != etags, etags=digest)


def _sync_collection(session: Session, url: str, token: str) -> Probe:
    deleted: list[str] = []
    changed = False
    for _page in range(MAX_SYNC_PAGES):
        answer = session.report(url, davxml.sync_collection(token))
        members = [r for r in answer.responses if not davxml.same_path(r.href, url)]
        gone = [r.href for r in members if r.status == 404]
        deleted += gone
        changed = changed or bool(gone) or any(r.status != 404 for r in members)
        new = answer.sync_token
        if not new:
            raise InvalidResponse(
                f"caldav: REPORT {url}: the sync-collection answer has no sync-token;"
                " expected one (RFC 6578)"
            )
        if not answer.truncated or new == token:
            return Probe(changed=changed, sync_token=new, deleted=deleted)
        token = new
    return Probe(changed=True, sync_token=token, deleted=deleted)


def state(session: Session, url: str) -> tuple[str | None, str | None]:
    """The collection's sync token and ctag now."""
    for result in session.propfind(url, [davxml.SYNC_TOKEN, davxml.GETCTAG], 0):
        return result.text(davxml.SYNC_TOKEN), result.text(davxml.GETCTAG)
    return None, None


def etag_digest(session: Session, url: str) -> str:
    """A digest of every member's href and ETag: it changes when any member does."""
    pairs = sorted(
        (r.href, str(r.text(davxml.GETETAG)))
        for r in session.propfind(url, [davxml.GETETAG], 1)
        if not davxml.same_path(r.href, url)
    )
    digest = hashlib.sha256()
    for href, etag in pairs:
        digest.update(f"{href}\0{etag}\n".encode())
    return digest.hexdigest()[:32]


def events_between(session: Session, url: str, start: datetime, end: datetime) -> list[Resource]:
    """Every resource of the calendar with an event overlapping [start, end)."""
    found: list[Resource] = []
    for result in session.report(url, davxml.calendar_query(start, end)).responses:
        if davxml.same_path(result.href, url):
            continue  # iCloud lists the calendar itself too
        data = result.data(davxml.CALENDAR_DATA)
        found.append(
            Resource(
                href=result.href,
                etag=result.text(davxml.GETETAG),
                data=data.encode("utf-8") if data is not None else None,
            )
        )
    return found
