"""``followupd check`` and ``run --once`` for an account whose mailbox is a real Dovecot.

The demo's world (an ics calendar, a reply from Sam in the inbox, Maria's thank-you written by
hand in Sent), with its Maildir replaced by the same messages on the IMAP server: the drafts
must appear in Dovecot's Drafts exactly as they appear in the demo's Maildir, once.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import demo
from tests.demo_home import cli, records
from tests.servers import dovecot as dc
from tests.test_imap_connector import client, deliver, peek

pytestmark = pytest.mark.skipif(dc.binary() is None, reason="dovecot is not installed")

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
JANE = "jane.smith@acme.example"


def imap_home(root: Path, server: dc.Dovecot) -> list[str]:
    """The demo home with its mail on ``server``; the password comes from a command."""
    config = demo.create(root / "demo", now=NOW)
    local = mailbox.Maildir(root / "demo" / "Maildir", create=False)
    for message in local:
        deliver(server, "INBOX", message.as_bytes())
    for message in local.get_folder("Sent"):
        deliver(server, "Sent", message.as_bytes(), flags=(b"\\Seen",))
    secret = root / "secret"
    secret.write_text(server.password + "\n")
    text = config.read_text().replace(
        'mailbox = { provider = "maildir", path = "Maildir" }',
        f'mailbox = {{ provider = "imap", host = "{dc.HOST}", port = {server.imaps_port}, '
        f'ca_bundle = "{server.ca_file}", password_command = ["cat", "{secret}"] }}',
    )
    assert 'provider = "imap"' in text
    config.write_text(text)
    return ["--config", str(config)]


def subjects(server: dc.Dovecot) -> list[str]:
    found = []
    for flags, data in peek(server, "Drafts"):
        assert b"\\Draft" in flags
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        to = next(line for line in head.splitlines() if line.startswith("To:"))
        found.append(to)
    return sorted(found)


def test_check_and_run_once_draft_into_dovecot_exactly_once(tmp_path):
    with dc.dovecot() as server:
        base = imap_home(tmp_path, server)
        checked = cli(base, "check")
        assert "IMAP alex@example.org at imaps://127.0.0.1" in checked
        assert "drafts go to 'Drafts' (SPECIAL-USE \\Drafts)" in checked
        assert peek(server, "Drafts") == []  # check writes nothing

        cli(base, "run", "--once", "--now", NOW.isoformat())
        first = subjects(server)
        assert len(first) == 3, first
        assert any("jane.smith@acme.example" in to for to in first)
        assert any("raj.patel@acme.example" in to for to in first)
        assert any("maria.garcia@globex.example" in to for to in first)
        assert not any("sam.lee" in to for to in first)  # Sam answered: no inquiry
        inquiry = next(d for _, d in peek(server, "Drafts") if b"maria.garcia" in d)
        assert b"In-Reply-To: <demo-thanks@example.org>" in inquiry

        cli(base, "run", "--once", "--now", NOW.isoformat())
        assert subjects(server) == first  # no second draft

        # the user deletes Jane's draft: it never comes back
        imap = client(server)
        imap.select_folder("Drafts")
        imap.delete_messages(imap.search(["HEADER", "To", "jane.smith@acme.example"]))
        imap.expunge()
        imap.logout()
        cli(base, "run", "--once", "--now", NOW.isoformat())
        assert len(subjects(server)) == 2
        status = cli(base, "status")
        assert "deleted" in status.lower()


def test_check_reports_a_wrong_password_as_needing_a_fix(tmp_path):
    with dc.dovecot() as server:
        base = imap_home(tmp_path, server)
        (tmp_path / "secret").write_text("hunter2-not-it\n")
        out = cli(base, "check", code=1)
        assert "account demo mailbox:" in out
        assert "refused the username or password" in out
        assert "hunter2" not in out
        ran = cli(base, "run", "--once", "--now", NOW.isoformat(), code=1)
        assert "hunter2" not in ran
        status = cli(base, "status")
        assert "needs re-authorization: run followupd check" in status
        assert "hunter2" not in status
        assert peek(server, "Drafts") == []


def test_redraft_replaces_the_untouched_draft_on_the_server(tmp_path):
    """``followupd redraft`` reads the draft back from Dovecot, finds it untouched, saves the
    new version and deletes the old one: one draft to Jane, the new one."""
    with dc.dovecot() as server:
        base = imap_home(tmp_path, server)
        cli(base, "run", "--once", "--now", NOW.isoformat())
        acme = next(
            r["id"] for r in records(cli(base, "status"), "interviews") if "Acme" in r["interview"]
        )
        cli(base, "note", acme, "--role", "Staff Backend Engineer")
        said = cli(base, "redraft", acme, "--about", JANE)
        assert f"thank-you to {JANE}: replaced the draft in your mailbox" in said
        to_jane = [d for _, d in peek(server, "Drafts") if JANE.encode() in d.split(b"\r\n\r\n")[0]]
        assert len(to_jane) == 1 and b"Staff Backend Engineer" in to_jane[0]
        assert "already up to date" in cli(base, "redraft", acme, "--about", JANE)
        # a draft the user edited is refused
        imap = client(server)
        imap.select_folder("Drafts")
        (uid,) = imap.search(["TO", JANE])
        data = imap.fetch([uid], [b"BODY.PEEK[]"])[uid][b"BODY[]"]
        imap.append("Drafts", data.replace(b"Staff Backend", b"Principal Backend"), [b"\\Draft"])
        imap.delete_messages([uid])
        imap.expunge()
        imap.logout()
        cli(base, "note", acme, "--role", "Lead Backend Engineer")
        refused = cli(base, "redraft", acme, "--about", JANE, code=1)
        assert "edited" in refused
