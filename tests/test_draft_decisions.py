"""What the user sees of a draft's decisions, through the real CLI on ics + Maildir (issue 10).

``preview`` says why the draft names this company and role, greets this way, says this about
fit, in this language, and lists what to check before sending (a word that looks
misspelled); ``status`` lists the same remarks; ``note`` corrects company and role and sets
the fit text per interview; ``check`` warns when nothing says how the candidate fits. Each
scenario is a user's home of its own (tests/rubric/runner.py's :class:`Home`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from tests.rubric.runner import REPO, START, Home, supported_account_keys
from tests.rubric.scenarios import Contact, P, Scenario

AFTER = START + timedelta(hours=3)


def home(tmp_path: Path, scenario: Scenario) -> Home:
    return Home(tmp_path / "home", scenario, supported_account_keys())


def cli(h: Home, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(h.config), *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=h.root,
    )  # fmt: skip


def drafted(tmp_path: Path, scenario: Scenario) -> tuple[Home, str]:
    """The scenario's home after the thank-yous are due, and ``preview 1``'s output."""
    h = home(tmp_path, scenario)
    h.run_at(AFTER)
    result = cli(h, "preview", "1")
    assert result.returncode == 0, result.stderr
    return h, result.stdout


WAYNE = Scenario(
    "wayne", "t", "Interview: Wayne Enterprises (Composer)",
    (P("Ludwig van Beethoven", "ludwig@wayne.example", contact=Contact(honorific="Dr.")),),
    "Wayne Enterprises", "Composer", style="formal",
)  # fmt: skip


def test_preview_gives_a_reason_for_every_decision(tmp_path: Path) -> None:
    _, shown = drafted(tmp_path, WAYNE)
    why = shown.split("Why:", 1)[1]
    assert "company 'Wayne Enterprises': from the title, agrees with wayne.example" in why
    assert "role 'Composer': from the title" in why
    assert "greeting 'Dear Dr. van Beethoven': formal style, with the honorific Dr." in why
    assert "fit: [candidate].highlights (2 of 2)" in why
    assert "language 'en'" in why


def test_preview_says_what_to_set_when_company_and_role_are_unknown(tmp_path: Path) -> None:
    scenario = Scenario(
        "pp", "t", "Onsite interview", (P("Richard Hendricks", "richard@piedpiper.example"),),
        None, None,
    )  # fmt: skip
    _, shown = drafted(tmp_path, scenario)
    assert "company not named: cannot tell how 'piedpiper.example' is spelled" in shown
    assert 'correct it with followupd note 1 --company "..."' in shown
    assert 'set it with followupd note 1 --role "..."' in shown


def test_note_corrects_company_and_role_and_can_undo_it(tmp_path: Path) -> None:
    scenario = Scenario(
        "pp", "t", "Onsite interview", (P("Richard Hendricks", "richard@piedpiper.example"),),
        None, None,
    )  # fmt: skip
    h = home(tmp_path, scenario)
    h.run_at(START - timedelta(days=1))
    assert (
        cli(h, "note", "1", "--company", "Pied Piper", "--role", "Staff Engineer").returncode == 0
    )
    shown = cli(h, "preview", "1").stdout
    assert "about the Staff Engineer role at Pied Piper" in shown
    assert "company 'Pied Piper': your correction" in shown
    assert "role 'Staff Engineer': your correction" in shown
    assert "Pied Piper — Staff Engineer" in cli(h, "status").stdout
    assert cli(h, "note", "1", "--role", "Staff Enginer").returncode == 0
    assert "'enginer' in your role correction (engineer?)" in cli(h, "preview", "1").stdout
    assert cli(h, "note", "1", "--company", "", "--role", "").returncode == 0
    shown = cli(h, "preview", "1").stdout
    assert "Pied Piper" not in shown and "Staff Engineer" not in shown


def test_note_fit_goes_into_the_thank_you(tmp_path: Path) -> None:
    h = home(tmp_path, WAYNE)
    h.run_at(START - timedelta(days=1))
    fit = "I have scored three symphonies for orchestras of this size"
    assert cli(h, "note", "1", "--fit", fit).returncode == 0
    shown = cli(h, "preview", "1").stdout
    assert f"joining Wayne Enterprises, and {fit}." in " ".join(shown.split())
    assert "fit: your fit text for this interview" in shown
    h.run_at(AFTER)
    (raw,) = h.new_drafts()
    assert fit in " ".join(message_from_bytes(raw, policy=policy.default).get_body(("plain",))
                           .get_content().split())  # fmt: skip


def test_check_warns_when_nothing_says_how_you_fit(tmp_path: Path) -> None:
    bare = Scenario("bare", "t", WAYNE.title, WAYNE.people, None, None, highlights=())
    h = home(tmp_path, bare)
    h.run_at(START - timedelta(days=1))
    result = cli(h, "check")
    assert result.returncode == 0, result.stderr
    assert "warning: nothing says how your experience fits" in result.stdout
    assert "[candidate].highlights" in result.stdout and "--fit" in result.stdout
    assert cli(h, "note", "1", "--fit", "I know the score").returncode == 0
    assert "warning" not in cli(h, "check").stdout


def test_check_is_quiet_about_fit_with_highlights(tmp_path: Path) -> None:
    h = home(tmp_path, WAYNE)
    result = cli(h, "check")
    assert result.returncode == 0 and "warning" not in result.stdout


def test_a_misspelled_note_is_shown_beside_the_draft_never_corrected(tmp_path: Path) -> None:
    scenario = Scenario(
        "typo", "t", "Interview: Acme Corp (Backend Engineer)",
        (P("Jane Smith", "jane.smith@acme.example"), P("Raj Patel", "raj.patel@acme.example")),
        "Acme Corp", "Backend Engineer", "Jane: the bliling migration on Kafka",
    )  # fmt: skip
    h, shown = drafted(tmp_path, scenario)
    assert "Check before sending:\n  - 'bliling' in your note for Jane (billing?)" in shown
    assert shown.count("bliling' in") == 1  # Raj's draft does not use Jane's note
    assert "bliling migration" in shown  # the draft keeps the user's word
    status = cli(h, "status").stdout  # through a pipe: a tab-separated record
    assert "1\tthank-you\tJane Smith\t'bliling' in your note for Jane (billing?)" in status


def test_a_name_that_equals_the_address_is_still_a_name(tmp_path: Path) -> None:
    scenario = Scenario(
        "marco", "t", "Interview: Fabrikam (Data Engineer)",
        (P("marco", "marco@fabrikam.example", "Marco", None),), "Fabrikam", "Data Engineer",
    )  # fmt: skip
    h = home(tmp_path, scenario)
    h.run_at(AFTER)
    (raw,) = h.new_drafts()
    msg = message_from_bytes(raw, policy=policy.default)
    assert str(msg["To"]) == "Marco <marco@fabrikam.example>"
    assert msg.get_body(("plain",)).get_content().startswith("Dear Marco,\n")
