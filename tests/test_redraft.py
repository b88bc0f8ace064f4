"""Redraft on request (issue 11, point 4), through the real CLI on the demo's ics + Maildir.

A correction made after the thank-yous were drafted shows in ``preview`` as the draft in the
mailbox against what a redraft would write; ``redraft`` replaces a draft the user has not
touched (one draft left, the new text, a new Message-ID), refuses one they edited, sent or
deleted, adds one beside with ``--keep``, and does nothing when nothing changed. A redraft
killed half-way is finished by the next run with exactly one draft. The sent redraft starts
the status inquiry like any sent thank-you.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daemon.cli import main
from tests.demo_home import cli, demo_home

NOW = "2026-03-03T12:00+00:00"  # the demo's Acme interview (id 3) ended this morning
ACME = "3"
JANE, RAJ = "jane.smith@acme.example", "raj.patel@acme.example"
OLD_ROLE, NEW_ROLE = "Senior Backend Engineer", "Staff Backend Engineer"


@pytest.fixture
def home(tmp_path: Path) -> list[str]:
    return demo_home(tmp_path, datetime.fromisoformat(NOW))


def _maildir(base: list[str]) -> Path:
    return Path(base[1]).parent / "Maildir"


def _drafts_to(base: list[str], address: str) -> list[Path]:
    """The files in Drafts addressed to ``address``."""
    folder = _maildir(base) / ".Drafts" / "cur"
    return sorted(p for p in folder.iterdir() if f"<{address}>" in p.read_text())


def _body(path: Path) -> tuple[str, str, str]:
    """(subject, Message-ID, plain text) of a message file."""
    msg = message_from_bytes(path.read_bytes(), policy=policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    return str(msg["subject"]), str(msg["message-id"]), text


def _invoke(base: list[str], *args: str) -> Result:
    return CliRunner(env={"COLUMNS": "80"}).invoke(main, [*base, *args])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_preview_shows_the_draft_in_the_mailbox_against_a_redraft(home: list[str]) -> None:
    before = _invoke(home, "preview", ACME).output
    assert "The draft in your mailbox (as followupd wrote it on Tue 03 Mar 12:00):" in before
    assert "What a redraft would" not in before

    cli(home, "note", ACME, "--role", NEW_ROLE)
    shown = _invoke(home, "preview", ACME)
    assert shown.exit_code == 0, shown.output
    said = _one_line(shown.output)
    assert (
        "The draft in your mailbox (as followupd wrote it on Tue 03 Mar 12:00) is older "
        "than your notes, corrections or templates. What a redraft would change:" in said
    )
    assert f"-Subject: Thank you – {OLD_ROLE} interview" in shown.output
    assert f"+Subject: Thank you – {NEW_ROLE} interview" in shown.output
    assert f"followupd redraft {ACME} --about {JANE}" in shown.output
    assert f"followupd redraft {ACME} --about {RAJ}" in shown.output
    assert "What a redraft would write:" in shown.output
    assert all(len(line) <= 80 for line in shown.output.splitlines() if line.startswith(("-", "+")))
    # The mailbox was not asked: the draft files are as they were.
    assert OLD_ROLE in _body(_drafts_to(home, JANE)[0])[0]


def test_redraft_replaces_an_untouched_draft(home: list[str]) -> None:
    (old,) = _drafts_to(home, JANE)
    _, old_id, _ = _body(old)
    raj_before = [p.read_bytes() for p in _drafts_to(home, RAJ)]
    cli(home, "note", ACME, "--role", NEW_ROLE)

    said = cli(home, "redraft", ACME, "--about", JANE)
    assert f"thank-you to {JANE}: replaced the draft in your mailbox" in said
    assert RAJ not in said  # --about: only Jane's
    (new,) = _drafts_to(home, JANE)  # exactly one draft to Jane: the new version
    subject, new_id, text = _body(new)
    assert NEW_ROLE in subject and NEW_ROLE in text and OLD_ROLE not in text
    assert new_id != old_id
    assert [p.read_bytes() for p in _drafts_to(home, RAJ)] == raj_before

    # Nothing changed since: nothing to do, nothing touched.
    again = cli(home, "redraft", ACME, "--about", JANE)
    assert "already up to date" in again
    assert _drafts_to(home, JANE) == [new]
    assert (
        "The draft in your mailbox (as followupd wrote it on"
        in _invoke(home, "preview", ACME).output
    )


def _edit(path: Path, old: str, new: str) -> None:
    """What a mail client does to a draft the user edits and saves: the same file, rewritten
    (CRLF line endings too, as some clients write them)."""
    data = path.read_bytes().replace(old.encode(), new.encode())
    path.write_bytes(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def test_redraft_refuses_a_draft_the_user_edited_and_keep_adds_one_beside(
    home: list[str],
) -> None:
    (draft,) = _drafts_to(home, JANE)
    _edit(draft, "Dear Jane,", "Hi Jane, great to meet you!")
    edited = draft.read_bytes()
    cli(home, "note", ACME, "--role", NEW_ROLE)

    refused = _invoke(home, "redraft", ACME, "--about", JANE)
    assert refused.exit_code == 1
    assert "you edited the draft in your mailbox; your edits are kept. Use --keep" in _one_line(
        refused.output
    )
    assert _drafts_to(home, JANE) == [draft] and draft.read_bytes() == edited

    kept = cli(home, "redraft", ACME, "--about", JANE, "--keep")
    assert "added the new version as a second draft beside" in _one_line(kept)
    drafts = _drafts_to(home, JANE)
    assert len(drafts) == 2 and draft in drafts and draft.read_bytes() == edited
    (new,) = [p for p in drafts if p != draft]
    assert NEW_ROLE in _body(new)[2]


def test_a_client_resave_is_not_an_edit(home: list[str]) -> None:
    """Line endings and trailing spaces a client leaves in a draft it saved do not count."""
    (draft,) = _drafts_to(home, JANE)
    _edit(draft, "Dear Jane,", "Dear Jane,  ")
    cli(home, "note", ACME, "--role", NEW_ROLE)
    assert "replaced the draft" in cli(home, "redraft", ACME, "--about", JANE)
    assert len(_drafts_to(home, JANE)) == 1


def test_redraft_refuses_a_draft_already_sent_or_deleted(home: list[str]) -> None:
    (jane,) = _drafts_to(home, JANE)
    sent = _maildir(home) / ".Sent" / "cur"
    sent.mkdir(parents=True, exist_ok=True)
    jane.rename(sent / jane.name.replace(":2,DS", ":2,S"))  # the client sent it
    (raj,) = _drafts_to(home, RAJ)
    raj.unlink()  # the user deleted it
    cli(home, "note", ACME, "--role", NEW_ROLE)

    for who in (JANE, RAJ):
        refused = _invoke(home, "redraft", ACME, "--about", who, "--keep")
        assert refused.exit_code == 1
        assert "no longer in your Drafts, so you already sent or deleted it" in _one_line(
            refused.output
        )
        assert _drafts_to(home, who) == []
    # Once the run has recorded it, redraft says which.
    cli(home, "run", "--once", "--now", "2026-03-03T13:00+00:00")
    said = _one_line(cli(home, "redraft", ACME))
    assert f"thank-you to {JANE}: you already sent it on" in said
    assert f"thank-you to {RAJ}: you deleted its draft" in said


def test_a_sent_redraft_starts_the_status_inquiry(home: list[str]) -> None:
    cli(home, "note", ACME, "--role", NEW_ROLE)
    cli(home, "redraft", ACME, "--about", JANE)
    (new,) = _drafts_to(home, JANE)
    sent = _maildir(home) / ".Sent" / "cur"
    sent.mkdir(parents=True, exist_ok=True)
    new.rename(sent / new.name.replace(":2,DS", ":2,S"))
    cli(home, "run", "--once", "--now", "2026-03-03T13:00+00:00")
    status = cli(home, "status", "--all")
    jane_rows = [r for r in status.splitlines() if "\tJane Smith\t" in r]
    assert any("thank-you" in r and "done" in r and "you sent it" in r for r in status.splitlines())
    assert not any("inquiry #1" in r and "waiting" in r and "Jane" in r for r in jane_rows)
    assert any("your thank-you went out" in r for r in status.splitlines())


def _followupd(
    base: list[str], *args: str, faults: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``followupd`` in its own process: the in-process runs of the other tests keep the
    Maildir's lock for the life of the test process, and SIGKILL needs a process of its own."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("FOLLOWUPD_FAULTS", None)
    if faults:
        env["FOLLOWUPD_FAULTS"] = faults
    return subprocess.run(
        [sys.executable, "-m", "daemon", *base, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "kill_on",
    [
        "mailbox.create_draft after",
        "mailbox.find_draft before",
        "mailbox.delete_draft before",
        "mailbox.delete_draft after",
    ],
)
def test_a_redraft_killed_half_way_is_finished_by_the_next_run(
    tmp_path: Path, kill_on: str
) -> None:
    """SIGKILL once the intent is committed (the new draft made or not, the old one deleted or
    not; "delete_draft before" is the one moment two drafts exist): the next run finds the new
    draft by its KEY, deletes the old one, and records the new one: one draft, the new text."""
    from daemon import demo

    home = ["--config", str(demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW)))]
    assert _followupd(home, "run", "--once", "--now", NOW).returncode == 0
    cli(home, "note", ACME, "--role", NEW_ROLE)
    killed = _followupd(home, "redraft", ACME, "--about", JANE, faults=f"kill-on:{kill_on}")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert "creating" in cli(home, "status")
    if kill_on == "mailbox.delete_draft before":
        assert len(_drafts_to(home, JANE)) == 2

    ran = _followupd(home, "run", "--once", "--now", "2026-03-03T12:30+00:00")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (draft,) = _drafts_to(home, JANE)
    assert NEW_ROLE in _body(draft)[2]
    assert "redrafted on your request" in cli(home, "status")
    assert "up to date" in _followupd(home, "redraft", ACME, "--about", JANE).stdout


def test_a_running_daemon_is_handed_the_redraft(home: list[str]) -> None:
    """The daemon (a service, usually) holds the state's lock and the mailbox: redraft checks
    the draft and commits the intent, and the daemon's next round writes it, exactly once."""
    from daemon.running.sharing import InstanceLock

    cli(home, "note", ACME, "--role", NEW_ROLE)
    before = _drafts_to(home, JANE)
    with InstanceLock(Path(home[1]).parent / "state"):  # as `followupd run` holds it
        handed = _invoke(home, "redraft", ACME, "--about", JANE)
        assert handed.exit_code == 0, handed.output
        assert "the running followupd writes the new version" in _one_line(handed.output)
        assert _drafts_to(home, JANE) == before  # nothing written by this process
        again = _invoke(home, "redraft", ACME, "--about", JANE)  # asked twice: still one
        assert "the running followupd writes the new version" in _one_line(again.output)
    # The daemon's next round of due work (run --once is one) writes it and retires the old.
    cli(home, "run", "--once", "--now", "2026-03-03T12:05+00:00")
    (draft,) = _drafts_to(home, JANE)
    assert draft not in before and NEW_ROLE in _body(draft)[2]
    assert "up to date" in cli(home, "redraft", ACME, "--about", JANE)


def test_an_edit_found_when_handing_over_is_refused_as_ever(home: list[str]) -> None:
    """Handing over to a running daemon checks the draft first: an edited one stays as it is."""
    from daemon.running.sharing import InstanceLock

    cli(home, "note", ACME, "--role", NEW_ROLE)
    (draft,) = _drafts_to(home, JANE)
    draft.write_text(draft.read_text().replace("Dear Jane,", "Dear Jane, hello again,"))
    with InstanceLock(Path(home[1]).parent / "state"):
        refused = _invoke(home, "redraft", ACME, "--about", JANE)
    assert refused.exit_code == 1
    assert "you edited the draft in your mailbox" in _one_line(refused.output)
    cli(home, "run", "--once", "--now", "2026-03-03T12:05+00:00")
    assert _drafts_to(home, JANE) == [draft]


def test_a_draft_from_before_followupd_kept_its_text(home: list[str]) -> None:
    """Drafted before migration 0006: nothing to compare with. preview says so; redraft
    cannot tell an edit and refuses, --keep adds the new version beside it."""
    database = Path(home[1]).parent / "state" / "state.db"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE followups SET draft_text = NULL")
    cli(home, "note", ACME, "--role", NEW_ROLE)
    assert "before followupd kept a copy of what it wrote: it cannot compare" in _one_line(
        _invoke(home, "preview", ACME).output
    )
    refused = _invoke(home, "redraft", ACME, "--about", JANE)
    assert refused.exit_code == 1
    assert "cannot tell whether you edited it; your draft is kept. Use --keep" in _one_line(
        refused.output
    )
    assert len(_drafts_to(home, JANE)) == 1
    cli(home, "redraft", ACME, "--about", JANE, "--keep")
    assert len(_drafts_to(home, JANE)) == 2


def test_sending_the_draft_kept_beside_starts_the_inquiry(home: list[str]) -> None:
    """With --keep the follow-up follows the new draft; the user sends their own edited one
    instead: followupd sees it in Sent like any message the user writes, and the inquiry's
    clock starts; the new draft stays a draft until the user deletes it."""
    (draft,) = _drafts_to(home, JANE)
    _edit(draft, "Dear Jane,", "Hi Jane, great to meet you!")
    cli(home, "note", ACME, "--role", NEW_ROLE)
    cli(home, "redraft", ACME, "--about", JANE, "--keep")
    sent = _maildir(home) / ".Sent" / "cur"
    sent.mkdir(parents=True, exist_ok=True)
    draft.rename(sent / draft.name.replace(":2,DS", ":2,S"))
    waiting = "waiting: nothing sent to Acme Corp"
    assert waiting in cli(home, "status")
    cli(home, "run", "--once", "--now", "2026-03-03T13:00+00:00")
    status = cli(home, "status")
    assert waiting not in status
    (new,) = _drafts_to(home, JANE)
    assert NEW_ROLE in _body(new)[2]


def test_an_edit_made_while_a_redraft_was_interrupted_is_kept(tmp_path: Path) -> None:
    """Killed after the intent, the redraft is finished by a later run; if the user edited the
    old draft in between, that run keeps it beside the new one rather than deleting it."""
    from daemon import demo

    home = ["--config", str(demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW)))]
    assert _followupd(home, "run", "--once", "--now", NOW).returncode == 0
    cli(home, "note", ACME, "--role", NEW_ROLE)
    (old,) = _drafts_to(home, JANE)
    killed = _followupd(
        home, "redraft", ACME, "--about", JANE, faults="kill-on:mailbox.find_draft before"
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr
    _edit(old, "Dear Jane,", "Hi Jane, great to meet you!")

    ran = _followupd(home, "run", "--once", "--now", "2026-03-03T12:30+00:00")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    drafts = _drafts_to(home, JANE)
    assert len(drafts) == 2 and old in drafts
    assert "Hi Jane, great to meet you!" in _body(old)[2]
    assert "you edited the earlier draft meanwhile, so it stays beside" in cli(home, "status")
