"""``followupd check`` and ``run --once`` for an account whose calendar is on a real Radicale
CalDAV server and whose mailbox is a Maildir, through the real CLI: the demo's interviews,
each stored as a resource of its own as a CalDAV client stores them, give the same drafts as
the demo's .ics file, and the next, idle run asks the server one question."""

from __future__ import annotations

import email
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon import demo
from tests.demo_home import cli
from tests.servers.radicale import DavUser, Radicale, dav_user, radicale

__all__ = ["dav_user", "radicale"]  # fixtures

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday
ICS_LINE = 'calendar = { provider = "ics", path = "calendar" }'


def caldav_home(root: Path, user: DavUser, password: str | None = None) -> list[str]:
    """The demo, its calendar moved onto the CalDAV server (one resource per event)."""
    config = demo.create(root / "demo", now=NOW)
    ics = root / "demo" / "calendar" / "interviews.ics"
    calendar = user.make_calendar("interviews", "Interviews")
    blocks = re.findall(r"BEGIN:VEVENT\r\n.*?END:VEVENT\r\n", ics.read_bytes().decode(), re.S)
    assert len(blocks) == 5
    for block in blocks:
        uid = re.search(r"^UID:(.*)\r$", block, re.M)
        assert uid is not None
        item = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{block}END:VCALENDAR\r\n"
        user.put(calendar, f"{uid.group(1).split('@')[0]}.ics", item)
    ics.unlink()
    secret = password or user.password
    command = f'["{sys.executable}", "-c", "print(\'{secret}\')"]'
    table = (
        f'calendar = {{ provider = "caldav", url = "{user.server.url}", '
        f'username = "{user.name}", password_command = {command} }}'
    )
    text = config.read_text()
    assert ICS_LINE in text
    config.write_text(text.replace(ICS_LINE, table))
    return ["--config", str(config)]


def draft_recipients(root: Path) -> list[str]:
    folder = root / "demo" / "Maildir" / ".Drafts" / "cur"
    found = []
    for path in folder.iterdir():
        message = email.message_from_bytes(path.read_bytes())
        found.append(str(message["To"]))
    return sorted(found)


def test_check_and_run_once_draft_for_the_interviewers_on_a_caldav_calendar(
    tmp_path: Path, dav_user: DavUser, radicale: Radicale
) -> None:
    base = caldav_home(tmp_path / "caldav", dav_user)
    checked = cli(base, "check")
    assert f"caldav: 1 calendar of {dav_user.name} at {radicale.url}: Interviews" in checked
    assert "nothing to authorize" in cli(base, "auth", "demo")

    cli(base, "run", "--once", "--now", NOW.isoformat())
    drafts = draft_recipients(tmp_path / "caldav")
    assert "Jane Smith <jane.smith@acme.example>" in drafts
    assert "Raj Patel <raj.patel@acme.example>" in drafts

    # The same demo read from its .ics file drafts exactly the same.
    config = demo.create(tmp_path / "ics" / "demo", now=NOW)
    cli(["--config", str(config)], "run", "--once", "--now", NOW.isoformat())
    assert drafts == draft_recipients(tmp_path / "ics")

    # Ten minutes later nothing changed: one request for the calendar, nothing else.
    mark = radicale.mark()
    cli(base, "run", "--once", "--now", (NOW + timedelta(minutes=10)).isoformat())
    assert radicale.requests_since(mark) == [("REPORT", f"/{dav_user.name}/interviews/")]
    assert draft_recipients(tmp_path / "caldav") == drafts
    status = cli(base, "status")
    assert "Acme Corp" in status


def test_a_refused_password_is_reported_by_check_with_its_fix(
    tmp_path: Path, dav_user: DavUser
) -> None:
    base = caldav_home(tmp_path, dav_user, password="wrong-password-1")
    checked = cli(base, "check", code=1)
    assert "HTTP 401" in checked and "followupd check" in checked
    assert "wrong-password-1" not in checked
