"""``followupd note ID`` with no text opens the note form in $VISUAL/$EDITOR (issue 11, point 3).

Driven through the real CLI on the demo's ics calendar and Maildir, with a SCRIPTED editor: a
small Python program this test writes, run by followupd exactly as a person's editor would be
(through the shell, with the form's path as its last argument). It edits the file as a user
would, keeps a copy of every form it was opened on, and counts its invocations, so a test can
fail a value on the first save and fix it on the reopen.

The Acme onsite (id 3, Jane Smith and Raj Patel) is planned at BEFORE, while it is still going
on; its thank-yous are due at NOW, so what the form saves must be in the drafts ``run`` writes
then. The Initech interview (id 4, Bill Lumbergh) is tomorrow.
"""

from __future__ import annotations

import email
import shlex
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from daemon import demo
from daemon.cli import main
from tests.demo_home import cli

NOW = datetime.fromisoformat("2026-03-03T12:00+00:00")
BEFORE = NOW - timedelta(hours=2)  # the Acme onsite (09:00-11:00) is still going on
ACME, INITECH = "3", "4"
JANE, RAJ, BILL = "jane.smith@acme.example", "raj.patel@acme.example", "bill@initech.example"

PRELUDE = '''\
import pathlib, sys
path = pathlib.Path(sys.argv[-1])
text = path.read_text(encoding="utf-8")
me = pathlib.Path(__file__)
count = me.with_suffix(".count")
n = int(count.read_text()) + 1 if count.exists() else 1
count.write_text(str(n))
me.with_suffix(f".seen{n}").write_text(text, encoding="utf-8")


def part(text, header):
    """(start, end) line indexes of the part under ``header`` (None: the general part)."""
    lines = text.split("\\n")
    start = 0 if header is None else next(i for i, l in enumerate(lines) if l.startswith(header))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    return lines, start, end


def set_field(text, header, name, value):
    lines, start, end = part(text, header)
    i = next(i for i in range(start, end) if lines[i].startswith(name + ":"))
    lines[i] = f"{name}: {value}"
    return "\\n".join(lines)


def add_note(text, header, note):
    lines, start, end = part(text, header)
    i = next(i for i in range(start, end) if lines[i].startswith("Notes:"))
    lines.insert(i + 1, note)
    return "\\n".join(lines)


def save(text):
    path.write_text(text, encoding="utf-8")

'''


class Editor:
    """A scripted editor: ``command`` for $EDITOR, ``seen(n)`` the form it was opened on."""

    def __init__(self, folder: Path, name: str, body: str) -> None:
        self.script = folder / f"{name}.py"
        self.script.write_text(PRELUDE + body, encoding="utf-8")
        self.command = f"{shlex.quote(sys.executable)} {shlex.quote(str(self.script))}"

    @property
    def calls(self) -> int:
        count = self.script.with_suffix(".count")
        return int(count.read_text()) if count.exists() else 0

    def seen(self, n: int = 1) -> str:
        return self.script.with_suffix(f".seen{n}").read_text(encoding="utf-8")


def _home(tmp_path: Path, described: bool) -> list[str]:
    config = demo.create(tmp_path / "demo", now=NOW)
    if not described:
        ics = config.parent / "calendar" / "interviews.ics"
        text = ics.read_bytes().decode().replace("\r\n ", "")  # unfolded
        lines = [
            "DESCRIPTION:Join: https://meet.example.com/abc" if line.startswith("DESCRIPTION:Notes:")
            else line
            for line in text.split("\r\n")
        ]  # fmt: skip
        ics.write_text("\r\n".join(lines), newline="")
    base = ["--config", str(config)]
    ran = CliRunner().invoke(main, [*base, "run", "--once", "--now", BEFORE.isoformat()])
    assert ran.exit_code == 0, ran.output
    assert "drafted thank-you to Jane Smith" not in ran.output
    return base


@pytest.fixture
def home(tmp_path: Path) -> list[str]:
    """The demo at NOW, run once at BEFORE: the Acme thank-yous are planned, not drafted. The
    Acme event's description has notes for Jane and Raj (shown in the form as comments)."""
    return _home(tmp_path, described=True)


@pytest.fixture
def bare_home(tmp_path: Path) -> list[str]:
    """The same without notes in the description: the default thank-you weaves in the first
    note about a person, and names their job title only when it has no note to mention."""
    return _home(tmp_path, described=False)


def note(base: list[str], *args: str, editor: Editor | None = None, **env: str | None) -> Result:
    environment: dict[str, str | None] = {"COLUMNS": "250", "VISUAL": None, "EDITOR": None}
    if editor is not None:
        environment["EDITOR"] = editor.command
    environment.update(env)
    return CliRunner(env=environment).invoke(main, [*base, "note", *args])


def form_now(base: list[str], tmp_path: Path, interview: str = ACME) -> str:
    """The form as ``note ID`` opens it now (saved unchanged: nothing changes)."""
    look = Editor(tmp_path, f"look{len(list(tmp_path.glob('look*.py')))}", "")
    said = note(base, interview, editor=look)
    assert said.exit_code == 0 and "Nothing changed." in said.output, said.output
    return look.seen()


def drafts(base: list[str]) -> dict[str, str]:
    """The text of each draft in the demo's Maildir, by recipient address."""
    folder = Path(base[1]).parent / "Maildir" / ".Drafts" / "cur"
    found = {}
    for path in folder.iterdir():
        message = email.message_from_bytes(path.read_bytes())
        body = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        text = body.get_payload(decode=True).decode(body.get_content_charset() or "utf-8")
        found[email.utils.parseaddr(message["To"])[1]] = " ".join(text.split())
    return found


def run_at(base: list[str], when: datetime) -> str:
    return cli(base, "run", "--once", "--now", when.isoformat())


def test_the_form_opens_with_the_interview_and_both_interviewers(
    home: list[str], tmp_path: Path
) -> None:
    shown = form_now(home, tmp_path)
    assert shown.startswith("# followupd note 3: what you tell followupd about this interview")
    assert "#   Onsite interview: Acme Corp (Senior Backend Engineer)" in shown
    assert "#   with Jane Smith, Raj Patel" in shown
    assert "an empty file changes nothing" in shown
    for line in (
        "Company: Acme Corp",
        "Role: Senior Backend Engineer",
        f"Main contact: {JANE}",
        "Language: account",
        f"[Jane Smith <{JANE}>]",
        f"[Raj Patel <{RAJ}>]",
        "# [contacts] in config.toml: Engineering Manager (used while empty)",
        # The description's notes are shown, as comments: the calendar owns them.
        "#   moving the billing system to event sourcing",
        "#   how the team runs on-call and blameless incident reviews",
    ):
        assert line in shown.splitlines(), line
    assert "Room Everest" not in shown  # a room is no interviewer


def test_what_the_form_saves_reaches_the_drafts(bare_home: list[str], tmp_path: Path) -> None:
    home = bare_home
    user = Editor(
        tmp_path,
        "user",
        """
text = add_note(text, "[Jane Smith", "- the migration to Kafka: in two phases")
text = set_field(text, "[Raj Patel", "Title", "Staff Engineer")
text = set_field(text, None, "Fit", "I led a migration like that at my last job")
save(text)
""",
    )
    said = note(home, ACME, editor=user)
    assert said.exit_code == 0, said.output
    assert "Saved: fit, notes on Jane Smith, title of Raj Patel." in said.output
    assert user.calls == 1

    # Reopened, the form shows what was saved, and saving it unchanged changes nothing.
    shown = form_now(home, tmp_path).splitlines()
    assert "- the migration to Kafka: in two phases" in shown
    assert "Title: Staff Engineer" in shown

    why = cli(home, "preview", ACME)
    assert "title 'Staff Engineer': yours" in why
    assert f"title 'Engineering Manager': from [contacts] for {JANE}" in why

    run_at(home, NOW)
    written = drafts(home)
    assert "the migration to Kafka" in written[JANE], written[JANE]
    assert "I led a migration like that at my last job" in written[JANE]
    assert "your perspective as Staff Engineer." in written[RAJ]


def test_description_notes_are_kept_beside_the_forms(home: list[str], tmp_path: Path) -> None:
    user = Editor(tmp_path, "user", 'save(add_note(text, "[Raj Patel", "next step: a take-home"))')
    assert "Saved: notes on Raj Patel." in note(home, ACME, editor=user).output
    shown = form_now(home, tmp_path).splitlines()
    assert "#   how the team runs on-call and blameless incident reviews" in shown
    assert "- next step: a take-home" in shown
    run_at(home, NOW)
    written = drafts(home)[RAJ]
    assert "on-call" in written  # the description's note, not lost by the form
    assert "take-home" in written  # the form's note, as the next step


def test_a_title_from_the_form_is_in_the_thank_you(home: list[str], tmp_path: Path) -> None:
    """Bill has no notes, so the thank-you names his perspective by his title."""
    user = Editor(tmp_path, "user", 'save(set_field(text, "[Bill", "Title", "Head of Software"))')
    said = note(home, INITECH, editor=user)
    assert "Saved: title of Bill Lumbergh." in said.output, said.output
    run_at(home, NOW + timedelta(days=1, hours=3))
    assert "your perspective as Head of Software." in drafts(home)[BILL]


def test_deleting_a_note_line_removes_that_note(home: list[str], tmp_path: Path) -> None:
    note(home, ACME, "--about", JANE, "the on-site lunch")
    cli(home, "note", ACME, "a general remark")
    shown = form_now(home, tmp_path)
    assert "- the on-site lunch" in shown and "- a general remark" in shown
    user = Editor(tmp_path, "user", 'save(text.replace("- the on-site lunch\\n", ""))')
    said = note(home, ACME, editor=user)
    assert "Saved: notes on Jane Smith." in said.output, said.output
    again = form_now(home, tmp_path)
    assert "the on-site lunch" not in again and "- a general remark" in again
    assert "#   moving the billing system to event sourcing" in again


def test_an_invalid_date_reopens_the_form_until_it_is_fixed(
    home: list[str], tmp_path: Path
) -> None:
    user = Editor(
        tmp_path,
        "user",
        """
if n == 1:
    text = set_field(text, None, "Decision by", "next friday")
    save(add_note(text, "[Raj Patel", "- pager duty"))
else:
    save(text.replace("Decision by: next friday", "Decision by: 2026-03-20"))
""",
    )
    said = note(home, ACME, editor=user)
    assert said.exit_code == 0, said.output
    assert user.calls == 2
    reopened = user.seen(2)
    assert reopened.startswith("#! followupd could not apply this form; nothing was changed")
    assert "#!   - Decision by: expected a date like 2026-12-24, got 'next friday'" in reopened
    assert "- pager duty" in reopened  # the user's text is kept
    assert "Saved: decision date, notes on Raj Patel." in said.output
    shown = form_now(home, tmp_path).splitlines()
    assert "Decision by: 2026-03-20" in shown and "- pager duty" in shown


def test_invalid_values_then_an_empty_save_change_nothing(home: list[str], tmp_path: Path) -> None:
    before = form_now(home, tmp_path)
    user = Editor(
        tmp_path,
        "user",
        f"""
if n == 1:
    text = set_field(text, None, "Language", "klingon")
    text = set_field(text, None, "Main contact", "bob@acme.example")
    text = text.replace("<{RAJ}>]", "<raj@elsewhere.example>]")
    save(add_note(text, None, "- a note that must not be saved"))
else:
    save("")
""",
    )
    said = note(home, ACME, editor=user)
    assert said.exit_code == 0, said.output
    assert "The form was saved empty: nothing changed." in said.output
    reopened = user.seen(2)
    assert "'klingon'" in reopened
    assert "Main contact: expected the address of one of the interviewers" in reopened
    assert "no interviewer of this interview has the address raj@elsewhere.example" in reopened
    assert form_now(home, tmp_path) == before


def test_an_empty_form_changes_nothing_and_says_so(home: list[str], tmp_path: Path) -> None:
    before = form_now(home, tmp_path)
    said = note(home, ACME, editor=Editor(tmp_path, "user", "save('# only a comment\\n\\n')"))
    assert said.exit_code == 0 and "saved empty: nothing changed" in said.output
    assert form_now(home, tmp_path) == before


def test_an_unchanged_form_says_nothing_changed(home: list[str], tmp_path: Path) -> None:
    said = note(home, ACME, editor=Editor(tmp_path, "user", "save(text)"))
    assert said.exit_code == 0 and said.output.strip() == "Nothing changed."


def test_an_editor_that_fails_aborts(home: list[str], tmp_path: Path) -> None:
    before = form_now(home, tmp_path)
    failing = Editor(
        tmp_path, "user", 'save(set_field(text, None, "Company", "Wrong"))\nsys.exit(1)'
    )
    said = note(home, ACME, editor=failing)
    assert said.exit_code == 1
    assert "exited with status 1; nothing changed" in said.output
    assert form_now(home, tmp_path) == before


def test_visual_wins_over_editor_and_an_editor_with_arguments_runs(
    home: list[str], tmp_path: Path
) -> None:
    user = Editor(tmp_path, "user", 'save(set_field(text, None, "Role", "Staff Engineer"))')
    said = note(home, ACME, VISUAL=user.command + " --wait", EDITOR="false")
    assert said.exit_code == 0 and "Saved: role." in said.output, said.output
    assert "Role: Staff Engineer" in form_now(home, tmp_path).splitlines()


def test_without_an_editor_or_a_terminal_it_fails_clearly(home: list[str]) -> None:
    said = note(home, ACME)
    assert said.exit_code == 1
    text = " ".join(said.output.split())
    assert "not a terminal and neither $VISUAL nor $EDITOR is set" in text
    assert 'followupd note 3 "what you discussed"' in text


def test_the_title_flag(home: list[str], tmp_path: Path) -> None:
    assert "Saved." in cli(home, "note", INITECH, "--title", f"{BILL.upper()}=Head of Software")
    assert "Title: Head of Software" in form_now(home, tmp_path, INITECH).splitlines()
    run_at(home, NOW + timedelta(days=1, hours=3))
    assert "your perspective as Head of Software." in drafts(home)[BILL]
    assert "title 'Head of Software': yours" in cli(home, "preview", INITECH)
    cli(home, "note", INITECH, "--title", f"{BILL}=")
    assert "Title: " in form_now(home, tmp_path, INITECH).splitlines()


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("Head of Software", "--title: expected EMAIL=TITLE"),
        ("bill=Boss", "--title: expected EMAIL=TITLE"),
        ("nobody@initech.example=Boss", "nobody@initech.example is not an interviewer"),
        (f"{BILL}=Dr.", "a form of address"),
    ],
)
def test_bad_title_values_are_refused(home: list[str], value: str, said: str) -> None:
    result = note(home, INITECH, "--title", value)
    assert result.exit_code == 1
    assert said in " ".join(result.output.split())


def test_a_form_saved_unchanged_with_its_problems_aborts(home: list[str], tmp_path: Path) -> None:
    """An editor that just saves the reopened form again would loop for ever: abort."""
    user = Editor(
        tmp_path,
        "user",
        'save(set_field(text, None, "Decision by", "soon") if n == 1 else text)',
    )
    said = note(home, ACME, editor=user)
    assert said.exit_code == 1 and user.calls == 2
    assert "saved unchanged; nothing changed" in " ".join(said.output.split())


def test_on_a_terminal_without_visual_or_editor_the_system_editor_opens(
    home: list[str], tmp_path: Path
) -> None:
    """The fallback (``editor``, as Debian's alternatives name it) runs only on a terminal:
    followupd runs in a pseudo-terminal here, with an ``editor`` of our own first on PATH."""
    import os
    import pty
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    user = Editor(tmp_path, "user", 'save(set_field(text, None, "Role", "Staff Engineer"))')
    fallback = bin_dir / "editor"
    fallback.write_text(f'#!/bin/sh\nexec {user.command} "$@"\n')
    fallback.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "daemon", *home, "note", ACME],
            stdin=follower, stdout=follower, stderr=follower, env=env, timeout=120,
        )  # fmt: skip
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, output
    assert user.calls == 1 and b"Saved: role." in output
    assert "Role: Staff Engineer" in form_now(home, tmp_path).splitlines()


def test_an_editor_that_does_not_exist_says_so(home: list[str]) -> None:
    said = note(home, ACME, EDITOR="followupd-no-such-editor --wait")
    assert said.exit_code == 1
    assert "status 127 (not found? check $VISUAL and $EDITOR); nothing changed" in " ".join(
        said.output.split()
    )
