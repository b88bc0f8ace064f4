"""The user's loop (issue 11) on Outlook (Microsoft Graph), through the real CLI.

tests/test_loop_google.py played again on the fake Microsoft identity platform and Graph with
the real MSAL and HTTP clients: the interview-end notification, a thank-you that waits for
notes until a note releases it, the note form, a moved main contact whose inquiry replies in
their conversation, ``skip`` undone, and a broken template that heals. Every assertion that
matters reads what the fake Outlook mailbox holds, not only what the CLI printed.

The user is the one of tests/outlook_cli.py: an Outlook account ("work", interview 1: Acme
with Ian Interviewer and Pam Panelist, 09:00-10:00 UTC) beside a local ics + Maildir account
("home", interview 2: Globex at the same time), which must not disturb anything here. The
Acme event has no description, so the drafts mention only what the user said. ``run --once
--now`` runs in a subprocess as in tests/test_cli_outlook.py; the commands typed between runs
run in-process at the same simulated moment (tests/simulated_cli.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.graph_server import MicrosoftFakes, running_microsoft
from tests.loop_templates import one_interviewer_template
from tests.outlook_cli import IAN, PAM, User, at, make_user, recipients, seed_interview
from tests.simulated_cli import cli_at
from tests.test_note_form import Editor
from tests.test_notify import hook, told

NOTE = "the Kafka migration timeline"


@pytest.fixture
def ms(tmp_path: Path) -> Iterator[MicrosoftFakes]:
    with running_microsoft(tmp_path / "fakes") as fakes:  # fails the test on any send call
        yield fakes


def loop_user(tmp_path: Path, ms: MicrosoftFakes, config: str = "") -> User:
    """A signed-in Outlook user with the Acme interview (no description) in their calendar
    and ``config`` added to their config.toml."""
    user = make_user(tmp_path, ms)
    user.sign_in()
    user.config.write_text(user.config.read_text() + config)
    seed_interview(ms, body="")
    return user


def typed(user: User, when: datetime, *args: str, env: dict[str, str] | None = None) -> str:
    """What the user's command prints at the simulated moment ``when``, on one line."""
    return " ".join(cli_at(when, user.config, env or user.env, *args).split())


def text(draft: dict[str, Any]) -> str:
    """A draft's body as one line of text (Outlook keeps the HTML alternative)."""
    content = draft["body"]["content"]
    for tag in ("<p>", "</p>", "<br>"):
        content = content.replace(tag, " ")
    return " ".join(content.split())


def thank_yous(user: User) -> dict[str, list[str]]:
    """The body of every thank-you draft in the fake Outlook, by recipient address (a thank-you
    starts a conversation; an inquiry replies in one, "RE: ...")."""
    found: dict[str, list[str]] = {}
    for draft in user.drafts():
        if not draft["subject"].startswith("RE:"):
            found.setdefault(recipients(draft)[0], []).append(text(draft))
    return found


def test_the_end_is_told_once_and_a_note_releases_the_waiting_thank_yous(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    script, out = hook(tmp_path)
    user = loop_user(
        tmp_path, ms, f'\n[notify]\ncommand = ["{script}"]\n\n[thank_you]\nwait_for_notes = "2h"\n'
    )
    user.once(at(minutes=5))
    user.once(at(minutes=10))  # a second run, a new process: told already
    ended = [
        c["FOLLOWUPD_MESSAGE"]
        for c in told(out)
        if c["FOLLOWUPD_EVENT"] == "interview_ended" and c["FOLLOWUPD_ACCOUNT"] == "work"
    ]
    # Without notes the thank-yous wait until two hours after the end: 12:00 UTC, 13:00 in the
    # user's Europe/Berlin.
    assert ended == [
        "Interview with Acme (Ian Interviewer, Pam Panelist) ended — add notes before 13:00 CET: "
        "followupd note 1"
    ]

    said = user.once(at(hours=1))  # the delay: without notes, it waits
    assert "drafted" not in said and user.drafts() == []

    said = typed(user, at(hours=1, minutes=5), "note", "1", NOTE)
    assert said == (
        "Saved; the thank-you to Ian Interviewer is due now; the thank-you to Pam Panelist is "
        "due now."
    )
    said = user.once(at(hours=1, minutes=6))  # long before the wait would have ended
    assert "drafted thank-you to Ian Interviewer (Acme)" in said
    drafts = thank_yous(user)
    assert sorted(drafts) == [IAN[0], PAM[0]] and len(user.drafts()) == 2
    assert all(NOTE in body for [body] in drafts.values()), drafts
    assert [c["FOLLOWUPD_EVENT"] for c in told(out)].count("interview_ended") == 2  # Acme, Globex


def test_what_the_note_form_saves_is_in_the_drafts(tmp_path: Path, ms: MicrosoftFakes) -> None:
    user = loop_user(tmp_path, ms)
    user.once(at(minutes=5))
    editor = Editor(
        tmp_path,
        "user",
        """
text = add_note(text, "[Ian Interviewer", "- the migration to Kafka: in two phases")
save(set_field(text, "[Pam Panelist", "Title", "Staff Engineer"))
""",
    )
    said = typed(user, at(minutes=10), "note", "1", env={**user.env, "EDITOR": editor.command})
    assert "Saved: notes on Ian Interviewer, title of Pam Panelist." in said
    assert editor.calls == 1 and f"[Ian Interviewer <{IAN[0]}>]" in editor.seen()

    user.once(at(hours=1))
    drafts = thank_yous(user)
    assert "the migration to Kafka" in drafts[IAN[0]][0], drafts
    # Pam has no notes: her thank-you names her perspective by the title the form gave.
    assert "your perspective as Staff Engineer." in drafts[PAM[0]][0], drafts
    assert len(user.drafts()) == 2


def test_a_moved_main_contact_gets_the_inquiry_in_their_own_conversation(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user, graph = loop_user(tmp_path, ms), ms.graph
    user.once(at(hours=1))
    ian, pam = user.draft_to(IAN[0]), user.draft_to(PAM[0])
    # The user sends both thank-yous from Outlook, Pam's ten minutes later.
    graph.user_sends(ian["id"], at(hours=2))
    graph.user_sends(pam["id"], at(hours=2, minutes=10))
    user.once(at(hours=3))

    # Ian (the organizer) is the main contact; the user moves the inquiry to Pam, back to Ian
    # (his cancelled inquiry is planned again), and to Pam again (hers, likewise).
    when = at(hours=3, minutes=5)
    assert f"1 status inquiry moved to {PAM[0]}" in typed(
        user, when, "note", "1", "--contact", PAM[0]
    )
    typed(user, when, "note", "1", "--contact", IAN[0])
    assert f"1 status inquiry moved to {PAM[0]}" in typed(
        user, when, "note", "1", "--contact", PAM[0]
    )
    shown = typed(user, when, "status", "--all")
    assert "inquiry #1 Ian Interviewer cancelled" in shown
    assert " Pam Panelist scheduled" in shown

    # 5 business days after the thank-you to Pam went out (Wed 12:10 UTC): not yet at 12:05,
    # when one to Ian would have been due.
    user.once(at(days=7, hours=2, minutes=5))
    assert user.drafts() == [] and graph.requests("POST", "/createReply") == []
    said = user.once(at(days=7, hours=2, minutes=11))
    assert "drafted status inquiry #1 to Pam Panelist (Acme)" in said
    (reply,) = graph.requests("POST", "/createReply")
    assert reply.path == f"/me/messages/{pam['id']}/createReply"
    (inquiry,) = user.drafts()
    assert recipients(inquiry) == [PAM[0]]
    assert inquiry["conversationId"] == graph.message(pam["id"])["conversationId"]
    assert inquiry["subject"] == "RE: " + pam["subject"]


def test_skip_then_unskip_drafts_the_thank_yous_exactly_once(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user = loop_user(tmp_path, ms)
    user.once(at(minutes=5))
    said = typed(user, at(minutes=10), "skip", "1")
    assert "Skipped 3 pending follow-up(s)" in said and "followupd unskip 1" in said
    assert "Acme" not in user.once(at(hours=1))  # due, but skipped (Globex is drafted)
    assert user.drafts() == []

    said = typed(user, at(hours=1, minutes=5), "unskip", "1")
    assert said == "Restored 3 follow-up(s) of interview 1."
    said = user.once(at(hours=1, minutes=6))
    assert "drafted thank-you to Ian Interviewer (Acme)" in said
    assert "drafted thank-you to Pam Panelist (Acme)" in said
    assert "Nothing to do right now." in user.once(at(hours=1, minutes=10))
    assert {a: len(b) for a, b in thank_yous(user).items()} == {IAN[0]: 1, PAM[0]: 1}
    assert len(user.drafts()) == 2


def test_a_template_broken_for_one_interviewer_heals_once_fixed(
    tmp_path: Path, ms: MicrosoftFakes
) -> None:
    user = loop_user(tmp_path, ms)
    template = user.config.parent / "mine.txt.j2"
    # Globex's Gina and Omar (the local account) are known from the start: only Pam fails.
    met = {"ian": "the billing team", "gina": "the data team", "omar": "the data team"}
    template.write_text(one_interviewer_template(met))
    user.config.write_text(
        f'[thank_you]\ntemplate = "{template.name}"\n\n' + user.config.read_text()
    )
    said = " ".join(user.once(at(hours=1), code=1).split())  # a follow-up failed
    assert "drafted thank-you to Ian Interviewer (Acme)" in said
    assert f"failed thank-you to Pam Panelist (Acme): thank_you template {template}" in said, said
    assert sorted(thank_yous(user)) == [IAN[0]]
    assert "Pam" not in user.once(at(hours=1, minutes=5))  # unchanged: not tried again

    template.write_text(one_interviewer_template({**met, "pam": "the on-call crew"}))
    said = " ".join(user.once(at(hours=1, minutes=10)).split())
    assert "the template changed since it failed: retrying" in said, said
    assert "drafted thank-you to Pam Panelist (Acme)" in said
    assert "Nothing to do right now." in user.once(at(hours=1, minutes=15))
    drafts = thank_yous(user)
    assert {a: len(b) for a, b in drafts.items()} == {IAN[0]: 1, PAM[0]: 1}
    assert "I enjoyed meeting the on-call crew." in drafts[PAM[0]][0]
    assert "failed" not in typed(user, at(hours=1, minutes=20), "status")
