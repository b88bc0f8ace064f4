"""The caldav provider's WebDAV XML (connectors/caldav/davxml.py) on answers real servers send
and Radicale does not: a 404 propstat for a property the server lacks, other namespace
prefixes (iCloud's default namespace, Nextcloud's ``d:``/``cal:``), an HTML page instead of XML,
garbage, a DOCTYPE with entities, an answer too large to read; the last ones also through the
provider, over HTTP from a small local server, to show the error names the URL."""

from __future__ import annotations

import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from connectors.caldav import PROVIDER, davxml, queries
from connectors.caldav.session import Session, StatusError
from connectors.caldav.settings import Settings
from daemon import options as o
from daemon.clock import FrozenClock
from daemon.errors import ConnectorError, CursorExpired, InvalidResponse
from daemon.protocols import AccountContext

URL = "https://dav.example.org/calendars/alex/work/"

NEXTCLOUD_STYLE = b"""<?xml version="1.0"?>
<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"
    xmlns:cal="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/">
 <d:response>
  <d:href>/calendars/alex/work/</d:href>
  <d:propstat>
   <d:prop>
    <d:resourcetype><d:collection/><cal:calendar/></d:resourcetype>
    <d:displayname>Work &amp; jobs</d:displayname>
    <cal:supported-calendar-component-set>
      <cal:comp name="VEVENT"/><cal:comp name="vtodo"/>
    </cal:supported-calendar-component-set>
   </d:prop>
   <d:status>HTTP/1.1 200 OK</d:status>
  </d:propstat>
  <d:propstat>
   <d:prop><d:sync-token/><cs:getctag/></d:prop>
   <d:status>HTTP/1.1 404 Not Found</d:status>
  </d:propstat>
 </d:response>
</d:multistatus>"""

ICLOUD_STYLE = b"""<?xml version='1.0' encoding='UTF-8'?>
<multistatus xmlns='DAV:'><response><href>/123/principal/</href><propstat><prop>
<current-user-principal><href xmlns='DAV:'>/123/principal/</href></current-user-principal>
<calendar-home-set xmlns='urn:ietf:params:xml:ns:caldav'>
<href xmlns='DAV:'>https://p42-caldav.icloud.com:443/123/calendars/</href></calendar-home-set>
</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"""

SYNC_ANSWER = b"""<?xml version="1.0" encoding="utf-8"?>
<A:multistatus xmlns:A="DAV:">
  <A:response><A:href>/calendars/alex/work/new%20one.ics</A:href>
    <A:propstat><A:prop><A:getetag>"e1"</A:getetag></A:prop>
      <A:status>HTTP/1.1 200 OK</A:status></A:propstat></A:response>
  <A:response><A:href>/calendars/alex/work/gone.ics</A:href>
    <A:status>HTTP/1.1 404 Not Found</A:status></A:response>
  <A:response><A:href>/calendars/alex/work/</A:href>
    <A:status>HTTP/1.1 507 Insufficient Storage</A:status></A:response>
  <A:sync-token>https://dav.example.org/sync/42</A:sync-token>
</A:multistatus>"""


def parse(body: bytes, method: str = "PROPFIND") -> davxml.Multistatus:
    return davxml.parse_multistatus(body, URL, method)


# -- what is read -----------------------------------------------------------------------------


def test_a_404_propstat_leaves_the_missing_properties_out_and_other_prefixes_read_the_same() -> (
    None
):
    (work,) = parse(NEXTCLOUD_STYLE).responses
    assert work.href == URL and work.status is None
    assert davxml.CALENDAR in work.kinds() and "{DAV:}collection" in work.kinds()
    assert work.text(davxml.DISPLAYNAME) == "Work & jobs"
    assert work.components() == ["VEVENT", "VTODO"]
    # sent with 404: as if not sent at all, not an empty token or ctag
    assert work.text(davxml.SYNC_TOKEN) is None and work.text(davxml.GETCTAG) is None
    assert davxml.SYNC_TOKEN not in work.props


def test_a_default_namespace_and_absolute_hrefs_on_another_host_are_read() -> None:
    (principal,) = parse(ICLOUD_STYLE).responses
    assert principal.href == "https://dav.example.org/123/principal/"
    assert principal.hrefs(davxml.CURRENT_USER_PRINCIPAL) == [
        "https://dav.example.org/123/principal/"
    ]
    assert principal.hrefs(davxml.CALENDAR_HOME_SET) == [
        "https://p42-caldav.icloud.com:443/123/calendars/"
    ]


def test_a_sync_answer_names_changed_deleted_truncated_and_its_token() -> None:
    answer = parse(SYNC_ANSWER, "REPORT")
    assert answer.sync_token == "https://dav.example.org/sync/42"
    assert answer.truncated
    changed, gone, itself = answer.responses
    assert changed.href == URL + "new%20one.ics" and changed.text(davxml.GETETAG) == '"e1"'
    assert (gone.status, gone.href) == (404, URL + "gone.ics")
    assert itself.status == 507 and not parse(NEXTCLOUD_STYLE).truncated


def test_calendar_data_keeps_its_text_and_a_response_without_href_is_skipped() -> None:
    body = (
        b'<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response>'
        b"<href>a.ics</href><propstat><prop><C:calendar-data><![CDATA[BEGIN:VCALENDAR\r\n"
        b"SUMMARY:a <b> & c\r\nEND:VCALENDAR\r\n]]></C:calendar-data></prop>"
        b"<status>HTTP/1.1 200 OK</status></propstat></response>"
        b"<response><propstat><prop/></propstat></response></multistatus>"
    )
    (item,) = parse(body, "REPORT").responses
    assert item.href == URL + "a.ics"
    data = item.data()
    assert data is not None and "SUMMARY:a <b> & c" in data and data.startswith("BEGIN:")


# -- what is refused --------------------------------------------------------------------------

HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (HTML_PAGE, "unreadable answer (.*); expected a WebDAV multistatus .*it starts '<!DOCTYPE"),
        (
            b"<html xmlns='http://www.w3.org/1999/xhtml'><body>Log in</body></html>",
            "the answer is a <html> document; expected a WebDAV multistatus",
        ),
        (b"", "unreadable answer .*; it is empty"),
        (b"\x00\xff\xfe garbage \x1f" * 50, "unreadable answer"),
        (NEXTCLOUD_STYLE[: len(NEXTCLOUD_STYLE) // 2], "unreadable answer"),
        (b'{"error": "not here"}', 'unreadable answer .*it starts \'\\{"error"'),
    ],
)
def test_an_answer_that_is_not_a_multistatus_is_invalid_naming_the_url(
    body: bytes, expected: str
) -> None:
    with pytest.raises(InvalidResponse, match=f"^caldav: PROPFIND {URL}: {expected}"):
        parse(body)


def test_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    external = (
        f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<multistatus xmlns="DAV:"><response><href>&x;</href></response></multistatus>'
    ).encode()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(8)
        )
        + b']><multistatus xmlns="DAV:"><response><href>&i;</href></response></multistatus>'
    )
    for body in (external, laughs):
        with pytest.raises(InvalidResponse, match="declares a DOCTYPE") as caught:
            parse(body)
        assert "TOP-SECRET" not in str(caught.value)


def test_an_answer_past_the_size_limit_is_refused() -> None:
    huge = b"<multistatus xmlns='DAV:'>" + b" " * davxml.MAX_ANSWER_BYTES + b"</multistatus>"
    with pytest.raises(InvalidResponse, match=f"{URL}: the answer is larger than 64 MB"):
        parse(huge)


def test_preconditions_are_read_from_an_error_body_in_any_prefix() -> None:
    body = b'<x:error xmlns:x="DAV:"><x:valid-sync-token/></x:error>'
    assert davxml.preconditions(body) == {davxml.VALID_SYNC_TOKEN}
    assert davxml.preconditions(HTML_PAGE) == set()
    assert davxml.preconditions(b"") == set()


# -- what is written --------------------------------------------------------------------------


def test_request_bodies_escape_what_they_carry_and_send_utc_times() -> None:
    token = 'http://x/sync?a=1&b=<2>"'
    sync = ET.fromstring(davxml.sync_collection(token))
    assert sync.tag == "{DAV:}sync-collection"
    assert sync.findtext("{DAV:}sync-token") == token
    berlin = timezone(timedelta(hours=1))
    query = ET.fromstring(
        davxml.calendar_query(
            datetime(2026, 12, 7, 10, 0, tzinfo=berlin), datetime(2027, 1, 1, tzinfo=UTC)
        )
    )
    span = query.find(".//{urn:ietf:params:xml:ns:caldav}time-range")
    assert span is not None and span.attrib == {
        "start": "20261207T090000Z",
        "end": "20270101T000000Z",
    }
    asked = ET.fromstring(davxml.propfind([davxml.GETCTAG, "{urn:x-other}thing"]))
    assert [p.tag for p in asked.iter() if not list(p)] == [davxml.GETCTAG, "{urn:x-other}thing"]


# -- through the provider, over HTTP ----------------------------------------------------------


class Scripted(BaseHTTPRequestHandler):
    """Answers every request with the status, headers and body the test sets."""

    status = 207
    headers_out: dict[str, str] = {}  # noqa: RUF012 - set per test on a subclass
    body = b""
    repeat = 1  # the body is sent this many times (a huge answer without holding it)

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.body) * self.repeat))
        self.end_headers()
        try:
            for _ in range(self.repeat):
                self.wfile.write(self.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what the test wants

    do_PROPFIND = do_REPORT = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[type[Scripted]]:
    """A server whose handler class the test changes; its URL is ``handler.url``."""
    handler = type("Handler", (Scripted,), {"headers_out": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler
    server.shutdown()
    server.server_close()


def session(url: str) -> Session:
    return Session(
        Settings.from_options("work", {"url": url, "username": "alex", "password": "pw"})
    )


def check(tmp_path: Path, url: str) -> str:
    table = {
        "url": url,
        "username": "alex",
        "password_command": [sys.executable, "-c", "print('pw')"],
    }
    problems: list[str] = []
    values = o.validate(table, PROVIDER.calendar_options, "test.calendar", problems)
    assert problems == []
    ctx = AccountContext(
        name="work",
        addresses=("alex@example.org",),
        state_dir=tmp_path,
        clock=FrozenClock(datetime(2026, 12, 7, tzinfo=UTC)),
        timezone="UTC",
    )
    return PROVIDER.calendar(ctx, values, {}).check()


def test_a_login_page_answered_with_200_is_an_invalid_response_naming_the_url(
    tmp_path: Path, scripted: type[Scripted]
) -> None:
    scripted.status, scripted.body = 200, HTML_PAGE
    url = scripted.url  # type: ignore[attr-defined]
    with pytest.raises(
        InvalidResponse, match=f"^caldav: PROPFIND {url}: unreadable answer .*'<!DOCTYPE html>"
    ):
        session(url).propfind(url, [davxml.CURRENT_USER_PRINCIPAL], 0)
    # neither the address nor its well-known one answers as CalDAV: said, with the address
    with pytest.raises(ConnectorError, match=f"caldav: {url} names no principal"):
        check(tmp_path, url)


def test_a_huge_answer_is_refused_without_reading_it_all(scripted: type[Scripted]) -> None:
    scripted.body = b" " * (1024 * 1024)
    scripted.repeat = davxml.MAX_ANSWER_BYTES // len(scripted.body) + 8
    url = scripted.url  # type: ignore[attr-defined]
    with pytest.raises(InvalidResponse, match=f"PROPFIND {url}: the answer is larger than 64 MB"):
        session(url).propfind(url, [davxml.CURRENT_USER_PRINCIPAL], 0)


def test_an_old_token_refused_with_the_precondition_in_another_prefix_is_cursor_expired(
    scripted: type[Scripted],
) -> None:
    scripted.status = 403
    scripted.body = b'<?xml version="1.0"?><e:error xmlns:e="DAV:"><e:valid-sync-token/></e:error>'
    url = scripted.url  # type: ignore[attr-defined]
    with pytest.raises(CursorExpired, match=f"REPORT {url}: the server no longer accepts"):
        queries.changed_since(session(url), url, "old-token", None, None)


def test_a_redirect_to_another_server_is_not_followed(scripted: type[Scripted]) -> None:
    scripted.status, scripted.headers_out = 301, {"Location": "https://elsewhere.example/dav/"}
    url = scripted.url  # type: ignore[attr-defined]
    with pytest.raises(StatusError, match="sends the request to https://elsewhere.example/dav/"):
        session(url).propfind(url, [davxml.CURRENT_USER_PRINCIPAL], 0)


def test_a_query_answer_listing_the_calendar_itself_in_another_spelling_skips_it(
    scripted: type[Scripted],
) -> None:
    """iCloud lists the calendar itself in a calendar-query; the server may spell its path
    otherwise than the URL we hold (``%40`` for ``@``, no final slash)."""
    scripted.body = (
        b'<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        b'<response><href>/dav/me%40x.org/work</href><propstat><prop><getetag>"c"</getetag>'
        b"</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
        b'<response><href>/dav/me%40x.org/work/a.ics</href><propstat><prop><getetag>"a"'
        b"</getetag><C:calendar-data>BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n</C:calendar-data>"
        b"</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>"
    )
    calendar = scripted.url + "dav/me@x.org/work/"  # type: ignore[attr-defined]
    start = datetime(2026, 12, 1, tzinfo=UTC)
    found = queries.events_between(session(calendar), calendar, start, start + timedelta(days=9))
    assert [(r.href.rpartition("/")[2], r.etag) for r in found] == [("a.ics", '"a"')]
