"""The WebDAV XML the caldav provider writes and reads: request bodies (PROPFIND, the
sync-collection and calendar-query REPORTs) and the 207 Multi-Status answer to each.

Request bodies are small literal templates; every value put in them (a sync token, a time) is
escaped. Answers are read with the standard library's ``xml.etree.ElementTree`` (expat), which
never fetches external entities or DTDs; an answer with a DOCTYPE at all is refused, since a
multistatus has no use for one (this also keeps out entity-expansion bombs, which expat 2.4+
limits anyway). Names are compared as ``{namespace}local`` (Clark notation), so whatever
prefixes a server chooses (``D:``, ``d:``, a default namespace) read the same.

What a multistatus says is kept as data (:class:`Multistatus`, one :class:`Response` per
resource, only the properties the server found: a 404 propstat for a property it does not
have leaves that property out), read through accessors that name what the provider needs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote, urljoin, urlsplit
from xml.sax.saxutils import escape, quoteattr

from daemon.errors import InvalidResponse

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"

# The properties the provider asks for, in Clark notation.
RESOURCETYPE = "{DAV:}resourcetype"
DISPLAYNAME = "{DAV:}displayname"
GETETAG = "{DAV:}getetag"
SYNC_TOKEN = "{DAV:}sync-token"
CURRENT_USER_PRINCIPAL = "{DAV:}current-user-principal"
CALENDAR_HOME_SET = f"{{{CALDAV}}}calendar-home-set"
SUPPORTED_COMPONENTS = f"{{{CALDAV}}}supported-calendar-component-set"
CALENDAR_DATA = f"{{{CALDAV}}}calendar-data"
GETCTAG = f"{{{CS}}}getctag"  # CalendarServer's collection tag, changes with any member
CALENDAR = f"{{{CALDAV}}}calendar"  # the resource type of a calendar collection
VALID_SYNC_TOKEN = "{DAV:}valid-sync-token"  # RFC 6578: the precondition of an old token

_PREFIXES = {DAV: "D", CALDAV: "C", CS: "CS"}
_DECLARATIONS = " ".join(f'xmlns:{p}="{ns}"' for ns, p in _PREFIXES.items())
_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'
_STATUS = re.compile(r"^\s*HTTP/\d(?:\.\d)?\s+(\d{3})\b")

# A calendar-query over a busy calendar's window is a few megabytes; more is not a CalDAV
# answer we can use, and reading it whole would only cost memory.
MAX_ANSWER_BYTES = 64 * 1024 * 1024


# -- request bodies ----------------------------------------------------------------------------


def _empty(name: str) -> str:
    """``{ns}local`` as an empty element, with the prefix declared on the root (or its own)."""
    namespace, _, local = name[1:].partition("}")
    prefix = _PREFIXES.get(namespace)
    if prefix is None:
        return f"<X:{local} xmlns:X={quoteattr(namespace)}/>"
    return f"<{prefix}:{local}/>"


def propfind(props: Iterable[str]) -> bytes:
    """A PROPFIND body asking for ``props`` (Clark names)."""
    wanted = "".join(_empty(p) for p in props)
    return f"{_HEAD}<D:propfind {_DECLARATIONS}><D:prop>{wanted}</D:prop></D:propfind>".encode()


def sync_collection(token: str) -> bytes:
    """An RFC 6578 sync-collection REPORT body: what changed since ``token`` (ETags only)."""
    return (
        f"{_HEAD}<D:sync-collection {_DECLARATIONS}>"
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    ).encode()


def calendar_query(start: datetime, end: datetime) -> bytes:
    """An RFC 4791 calendar-query body: ETag and data of every resource holding an event that
    overlaps [start, end) (times sent in UTC, as section 9.9 asks)."""
    span = f"start={quoteattr(_utc(start))} end={quoteattr(_utc(end))}"
    return (
        f"{_HEAD}<C:calendar-query {_DECLARATIONS}>"
        "<D:prop><D:getetag/><C:calendar-data/></D:prop>"
        '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
        f"<C:time-range {span}/>"
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    ).encode()


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# -- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """One ``DAV:response``: a resource, its own status (sync-collection: 404 = deleted, 507 =
    truncated) and the properties the server found (propstat 2xx only)."""

    href: str  # absolute, resolved against the URL that answered
    status: int | None
    props: Mapping[str, ET.Element] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        """A text property (getetag, getctag, sync-token, displayname), stripped; None when the
        server did not send it or sent it empty."""
        element = self.props.get(name)
        value = (element.text or "").strip() if element is not None else ""
        return value or None

    def data(self, name: str = CALENDAR_DATA) -> str | None:
        """A text property as sent (calendar-data: no stripping of its lines)."""
        element = self.props.get(name)
        return element.text if element is not None and element.text is not None else None

    def hrefs(self, name: str) -> list[str]:
        """The ``DAV:href``s inside a property (current-user-principal, calendar-home-set), as
        absolute URLs."""
        element = self.props.get(name)
        if element is None:
            return []
        found = (h.text.strip() for h in element.iter(f"{{{DAV}}}href") if h.text)
        return [urljoin(self.href, h) for h in found if h]

    def kinds(self, name: str = RESOURCETYPE) -> list[str]:
        """The child elements' names (resourcetype: ``{DAV:}collection``, ``{caldav}calendar``)."""
        element = self.props.get(name)
        return [child.tag for child in element] if element is not None else []

    def components(self) -> list[str]:
        """The component names a calendar takes (``VEVENT``, ``VTODO``...), upper case; empty
        when the server did not say (then it takes any)."""
        element = self.props.get(SUPPORTED_COMPONENTS)
        if element is None:
            return []
        return [c.get("name", "").upper() for c in element.iter(f"{{{CALDAV}}}comp")]


@dataclass(frozen=True)
class Multistatus:
    url: str  # the URL that answered
    responses: list[Response]
    sync_token: str | None  # sync-collection: the top-level token of this answer

    @property
    def truncated(self) -> bool:
        """RFC 6578 section 3.6: the server sent part of the changes (507 on the collection)."""
        return any(r.status == 507 for r in self.responses)


class _NoDoctype(ET.TreeBuilder):
    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise ValueError("the answer declares a DOCTYPE, which a WebDAV answer never needs")


def parse_multistatus(body: bytes, url: str, method: str) -> Multistatus:
    """Read a 207 answer; :class:`InvalidResponse` naming ``method`` and ``url`` when it is not
    a WebDAV multistatus (an HTML error page, garbage, a truncated body)."""
    where = f"caldav: {method} {url}"
    if len(body) > MAX_ANSWER_BYTES:
        raise InvalidResponse(
            f"{where}: the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB;"
            " expected a WebDAV multistatus of a calendar"
        )
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body)
        root = parser.close()
    except (ET.ParseError, ValueError) as err:
        raise InvalidResponse(
            f"{where}: unreadable answer ({_short(str(err))}); expected a WebDAV multistatus"
            f" (XML){_starting(body)}"
        ) from err
    if root.tag != f"{{{DAV}}}multistatus":
        raise InvalidResponse(
            f"{where}: the answer is a <{_local(root.tag)}> document; expected a WebDAV multistatus"
        )
    responses = [_response(r, url) for r in root.findall(f"{{{DAV}}}response")]
    token = root.find(f"{{{DAV}}}sync-token")
    text = (token.text or "").strip() if token is not None else ""
    return Multistatus(
        url=url, responses=[r for r in responses if r is not None], sync_token=text or None
    )


def preconditions(body: bytes) -> set[str]:
    """The conditions a ``DAV:error`` body names (RFC 4918 section 16), e.g.
    :data:`VALID_SYNC_TOKEN`; empty for any other body (an HTML page, nothing)."""
    if not body or len(body) > 1024 * 1024:
        return set()
    parser = ET.XMLParser(target=_NoDoctype())
    try:
        parser.feed(body)
        root = parser.close()
    except (ET.ParseError, ValueError):
        return set()
    return {child.tag for child in root} if root.tag == f"{{{DAV}}}error" else set()


def _response(element: ET.Element, base: str) -> Response | None:
    href = element.find(f"{{{DAV}}}href")
    if href is None or not (href.text or "").strip():
        return None  # nothing to name it by: useless to the provider
    props: dict[str, ET.Element] = {}
    for propstat in element.findall(f"{{{DAV}}}propstat"):
        status = _status(propstat.find(f"{{{DAV}}}status"))
        if status is not None and not 200 <= status < 300:
            continue  # e.g. 404: the server has no such property for this resource
        prop = propstat.find(f"{{{DAV}}}prop")
        for child in prop if prop is not None else []:
            props[child.tag] = child
    return Response(
        href=urljoin(base, (href.text or "").strip()),
        status=_status(element.find(f"{{{DAV}}}status")),
        props=props,
    )


def _status(element: ET.Element | None) -> int | None:
    """The code of ``HTTP/1.1 404 Not Found``; None when absent or unreadable."""
    if element is None or element.text is None:
        return None
    match = _STATUS.match(element.text)
    return int(match.group(1)) if match else None


def same_path(a: str, b: str) -> bool:
    """Whether two URLs name the same resource, however the server encodes its path
    (``me@x`` or ``me%40x``, with or without the collection's final slash)."""
    return unquote(urlsplit(a).path).rstrip("/") == unquote(urlsplit(b).path).rstrip("/")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _starting(body: bytes) -> str:
    """The start of a body that is not XML (an HTML error page, a proxy's message), printable."""
    head = body[:80].decode("utf-8", "replace")
    head = "".join(c if c.isprintable() else " " for c in head).strip()
    return f"; it starts {head!r}" if head else "; it is empty"


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
