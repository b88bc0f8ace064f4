"""The user's loop (issue 11) on Gmail and Google Calendar, through the real CLI.

What tests/test_notify.py, test_notes_window.py, test_note_form.py, test_corrections.py and
test_healing.py prove on the demo's ics calendar and Maildir, played again on the fake Google
server with the real Google client libraries: the interview-end notification, a thank-you that
waits for notes until a note releases it, the note form, a moved main contact whose inquiry
replies in their thread, ``skip`` undone, and a broken template that heals. Every assertion
that matters reads what the fake Gmail holds, not only what the CLI printed.

``run --once --now`` runs in a subprocess exactly as in tests/test_cli_google.py (the fake's
clock follows it); the commands a user types between runs (``note``, ``skip``, ``unskip``,
``status``) run in-process at the same simulated moment (tests/simulated_cli.py), because
they read the system clock. The interview is the one of tests/test_cli_google.py (Acme, Jane
organizes, Raj joins; 09:00-10:00 UTC, 10:00-11:00 in Berlin) without its description: the
drafts then mention only what the user said.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from tests.fakes.google_server import GoogleFake
from tests.loop_templates import one_interviewer_template
from tests.simulated_cli import cli_at
from tests.test_cli_google import START, Home, at, fake, gmail_drafts, interview
from tests.test_note_form import Editor
from tests.test_notify import hook, told

__all__ = ["fake"]  # the fake Google server, a fixture
JANE, RAJ = "jane@acme.example", "raj@acme.example"
NOTE = "the Kafka migration timeline"


def loop_home(tmp_path: Path, fake: GoogleFake, config: str = "") -> Home:
    """A signed-in Gmail user with the Acme interview in their calendar and ``config`` added
    to their config.toml."""
    home = Home(tmp_path, fake)
    home.authorize()
    home.config.write_text(home.config.read_text() + config)
    event = interview(START)
    del event["description"]
    fake.state.put_event(event)
    return home


def typed(home: Home, when: datetime, *args: str, code: int = 0) -> str:
    """What the user's command prints at the simulated moment ``when``, on one line."""
    return " ".join(cli_at(when, home.config, home.env(), *args, code=code).split())


def plain(msg: EmailMessage) -> str:
    return " ".join(msg.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]


def thank_yous(fake: GoogleFake) -> dict[str, list[str]]:
    """The body of every thank-you draft in the fake Gmail, by recipient address (a thank-you
    starts a conversation; an inquiry replies in one)."""
    found: dict[str, list[str]] = {}
    for msg in gmail_drafts(fake).values():
        if msg["In-Reply-To"] is None:
            found.setdefault(msg["To"].addresses[0].addr_spec, []).append(plain(msg))
    return found


def test_the_end_is_told_once_and_a_note_releases_the_waiting_thank_yous(
    tmp_path: Path, fake: GoogleFake
) -> None:
    script, out = hook(tmp_path)
    home = loop_home(
        tmp_path,
        fake,
        f'\n[notify]\ncommand = ["{script}"]\n\n[thank_you]\nwait_for_notes = "2h"\n',
    )
    home.run_at(at(minutes=5))
    home.run_at(at(minutes=10))  # a second run, a new process: told already
    ended = [c for c in told(out) if c["FOLLOWUPD_EVENT"] == "interview_ended"]
    # Without notes the thank-yous wait until two hours after the end: 12:00 UTC, 13:00 in the
    # event's Europe/Berlin.
    assert [c["FOLLOWUPD_MESSAGE"] for c in ended] == [
        "Interview with Acme (Jane Smith, Raj Patel) ended — add notes before 13:00 CET: "
        "followupd note 1"
    ]
    assert ended[0]["FOLLOWUPD_ACCOUNT"] == "gmail" and ended[0]["FOLLOWUPD_INTERVIEW"] == "1"

    said = home.run_at(at(hours=1))  # the delay: without notes, it waits
    assert "drafted" not in said and fake.state.drafts == {}

    said = typed(home, at(hours=1, minutes=5), "note", "1", NOTE)
    assert said == (
        "Saved; the thank-you to Jane Smith is due now; the thank-you to Raj Patel is due now."
    )
    said = home.run_at(at(hours=1, minutes=6))  # long before the wait would have ended
    assert "drafted thank-you to Jane Smith (Acme)" in said
    drafts = thank_yous(fake)
    assert sorted(drafts) == [JANE, RAJ] and len(fake.state.drafts) == 2
    assert all(NOTE in body for [body] in drafts.values()), drafts
    assert [c["FOLLOWUPD_EVENT"] for c in told(out)].count("interview_ended") == 1


def test_what_the_note_form_saves_is_in_the_drafts(tmp_path: Path, fake: GoogleFake) -> None:
    home = loop_home(tmp_path, fake)
    home.run_at(at(minutes=5))
    editor = Editor(
        tmp_path,
        "user",
        """
text = add_note(text, "[Jane Smith", "- the migration to Kafka: in two phases")
save(set_field(text, "[Raj Patel", "Title", "Staff Engineer"))
""",
    )
    env = {**home.env(), "EDITOR": editor.command}
    said = " ".join(cli_at(at(minutes=10), home.config, env, "note", "1").split())
    assert "Saved: notes on Jane Smith, title of Raj Patel." in said
    assert editor.calls == 1 and f"[Jane Smith <{JANE}>]" in editor.seen()

    home.run_at(at(hours=1))
    drafts = thank_yous(fake)
    assert "the migration to Kafka" in drafts[JANE][0], drafts
    # Raj has no notes: his thank-you names his perspective by the title the form gave.
    assert "your perspective as Staff Engineer." in drafts[RAJ][0], drafts
    assert len(fake.state.drafts) == 2


def test_a_moved_main_contact_gets_the_inquiry_in_their_own_thread(
    tmp_path: Path, fake: GoogleFake
) -> None:
    home = loop_home(tmp_path, fake)
    home.run_at(at(hours=1))
    by_address = {
        msg["To"].addresses[0].addr_spec: draft_id for draft_id, msg in gmail_drafts(fake).items()
    }
    # The user sends both thank-yous from Gmail (new Message-IDs), Raj's ten minutes later.
    fake.state.send_draft_as_user(by_address[JANE], at=at(hours=2))
    to_raj = fake.state.send_draft_as_user(by_address[RAJ], at=at(hours=2, minutes=10))
    home.run_at(at(hours=3))

    # Jane (the organizer) is the main contact; the user moves the inquiry to Raj, back to
    # Jane (her cancelled inquiry is planned again), and to Raj again (his, likewise).
    when = at(hours=3, minutes=5)
    assert "1 status inquiry moved to raj@acme.example" in typed(
        home, when, "note", "1", "--contact", RAJ
    )
    typed(home, when, "note", "1", "--contact", JANE)
    assert "1 status inquiry moved to raj@acme.example" in typed(
        home, when, "note", "1", "--contact", RAJ
    )
    shown = typed(home, when, "status", "--all")
    assert "inquiry #1 Jane Smith cancelled" in shown and " Raj Patel scheduled" in shown

    # 5 business days after the thank-you to Raj went out (Wed 12:10 UTC): not yet at 12:05,
    # when one to Jane would have been due.
    home.run_at(at(days=7, hours=2, minutes=5))
    assert len(fake.state.drafts) == 0
    said = home.run_at(at(days=7, hours=2, minutes=11))
    assert "drafted status inquiry #1 to Raj Patel (Acme)" in said
    [(draft_id, inquiry)] = gmail_drafts(fake).items()
    assert inquiry["To"].addresses[0].addr_spec == RAJ
    assert inquiry["In-Reply-To"] == to_raj.header("Message-ID")
    assert fake.state.draft_message(draft_id).thread_id == to_raj.thread_id


def test_skip_then_unskip_drafts_the_thank_yous_exactly_once(
    tmp_path: Path, fake: GoogleFake
) -> None:
    home = loop_home(tmp_path, fake)
    home.run_at(at(minutes=5))
    said = typed(home, at(minutes=10), "skip", "1")
    assert "Skipped 3 pending follow-up(s)" in said and "followupd unskip 1" in said
    assert "Nothing to do right now." in home.run_at(at(hours=1))  # due, but skipped
    assert fake.state.drafts == {}

    said = typed(home, at(hours=1, minutes=5), "unskip", "1")
    assert said == "Restored 3 follow-up(s) of interview 1."
    said = home.run_at(at(hours=1, minutes=6))
    assert "drafted thank-you to Jane Smith (Acme)" in said
    assert "drafted thank-you to Raj Patel (Acme)" in said
    assert "Nothing to do right now." in home.run_at(at(hours=1, minutes=10))
    assert {a: len(b) for a, b in thank_yous(fake).items()} == {JANE: 1, RAJ: 1}
    assert len(fake.state.drafts) == 2


def test_a_template_broken_for_one_interviewer_heals_once_fixed(
    tmp_path: Path, fake: GoogleFake
) -> None:
    home = loop_home(tmp_path, fake)
    template = home.config.parent / "mine.txt.j2"
    template.write_text(one_interviewer_template({"jane": "the billing team"}))
    home.config.write_text(
        f'[thank_you]\ntemplate = "{template.name}"\n\n' + home.config.read_text()
    )
    said = " ".join(home.run_at(at(hours=1), code=1).split())  # a follow-up failed
    assert "drafted thank-you to Jane Smith (Acme)" in said
    assert f"failed thank-you to Raj Patel (Acme): thank_you template {template}" in said, said
    assert sorted(thank_yous(fake)) == [JANE]
    assert "Raj" not in home.run_at(at(hours=1, minutes=5))  # unchanged: not tried again

    template.write_text(
        one_interviewer_template({"jane": "the billing team", "raj": "the on-call crew"})
    )
    said = " ".join(home.run_at(at(hours=1, minutes=10)).split())
    assert "the template changed since it failed: retrying" in said, said
    assert "drafted thank-you to Raj Patel (Acme)" in said
    assert "Nothing to do right now." in home.run_at(at(hours=1, minutes=15))
    drafts = thank_yous(fake)
    assert {a: len(b) for a, b in drafts.items()} == {JANE: 1, RAJ: 1}
    assert "I enjoyed meeting the on-call crew." in drafts[RAJ][0]
    assert "failed" not in typed(home, at(hours=1, minutes=20), "status")
