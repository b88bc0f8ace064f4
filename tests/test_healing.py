"""Failures that heal (issue 11, point 6), through the real CLI on the demo's ics + Maildir.

A template ``check`` rejects stops ``run`` before it starts, naming file and line. A template
that passes ``check`` but breaks on one interview's data fails that thank-you ("template");
once the template is fixed the next run drafts it exactly once, and a run after that does
nothing; fixed after ``max_lateness`` it is skipped with the reason. A bad sender address is a
"config" failure, healed when the config is fixed. ``retry`` tries any failed follow-up again
(here a recipient address no message can carry, an "item" failure) and says when there is
nothing to retry.

The demo home is set up at the real time (``status`` and ``retry`` read the system clock); the
runs after it pretend to be at the Initech thank-you's due time (tomorrow) and later.
"""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon import demo
from daemon.cli import main
from tests.demo_home import cli, demo_home, records

ROOT = Path(__file__).resolve().parents[1]
INITECH = "4"  # the demo's interview tomorrow: Bill's thank-you is due 2 h after its start
BILL = "bill@initech.example"

TEMPLATE = """\
Subject: Thank you{% if role %} – {{ role }}{% endif %}

{{ recipient.salutation }},

{% set teams = {"acme.example": "the backend team"EXTRA} %}
thank you for the conversation; I enjoyed meeting {{ teams[recipient.email.split("@")[1]] }}.

{{ closing }},
{{ candidate.name }}
"""
BROKEN_FOR_BILL = TEMPLATE.replace("EXTRA", "")  # passes check (its samples are at acme.example)
FIXED = TEMPLATE.replace("EXTRA", ', "initech.example": "the Initech team"')


@pytest.fixture
def made() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def base(tmp_path: Path, made: datetime) -> list[str]:
    return demo_home(tmp_path, made)


@pytest.fixture
def due(made: datetime) -> datetime:
    """When Bill's thank-you falls due: the demo's Initech interview starts a day after the
    home was made, lasts an hour, and the thank-you follows an hour later."""
    return made + timedelta(days=1, hours=2)


def use_template(base: list[str], text: str) -> Path:
    config = Path(base[1])
    template = config.parent / "mine.txt.j2"
    template.write_text(text)
    if "[thank_you]" not in config.read_text():
        config.write_text(f'[thank_you]\ntemplate = "{template.name}"\n\n' + config.read_text())
    return template


def run_at(base: list[str], when: datetime, code: int = 0) -> str:
    """What ``run --once`` said at ``when``; ``code`` 1 when a follow-up fails in it."""
    return " ".join(cli(base, "run", "--once", "--now", when.isoformat(), code=code).split())


def drafts_to(base: list[str], address: str) -> int:
    drafts = mailbox.Maildir(Path(base[1]).parent / "Maildir").get_folder("Drafts")
    return sum(1 for msg in drafts if address in str(msg["To"]))


def status_row(base: list[str], interview: str) -> str:
    """The status records of ``interview``, joined."""
    rows = records(cli(base, "status", "--all"))
    return " ".join(" ".join(row.values()) for row in rows if row["id"] == interview)


def test_run_refuses_to_start_with_a_template_check_rejects(base: list[str], due: datetime) -> None:
    template = use_template(base, "Subject: Thanks\n\n{{ recipient.salutation }\n")
    once = CliRunner().invoke(main, [*base, "run", "--once", "--now", due.isoformat()])
    assert once.exit_code == 2, once.output
    said = " ".join(once.output.split())
    assert f"template: thank_you template {template} line 3:" in said, said
    assert drafts_to(base, BILL) == 0
    # The long-running daemon too, before it takes the instance lock or polls anything.
    service = subprocess.run(
        [sys.executable, "-m", "daemon", *base, "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)},
    )
    assert service.returncode == 2, service.stdout + service.stderr
    assert f"thank_you template {template} line 3:" in service.stderr, service.stderr


def test_a_fixed_template_drafts_the_failed_thank_you_exactly_once(
    base: list[str], due: datetime
) -> None:
    template = use_template(base, BROKEN_FOR_BILL)
    said = run_at(base, due + timedelta(minutes=5), code=1)
    assert "failed thank-you to Bill Lumbergh (Initech):" in said, said
    assert f"thank_you template {template} line 6: undefined attribute" in said, said
    assert "fix the template; followupd retries it by itself" in said, said
    row = status_row(base, INITECH)
    assert "failed" in row and f"{template} line 6" in row, row
    assert (
        f"fix the template; followupd retries it by itself (or: followupd retry {INITECH})" in row
    )

    # Nothing changed: it stays failed, and is not tried again.
    said = run_at(base, due + timedelta(minutes=10))
    assert "Bill" not in said, said
    assert drafts_to(base, BILL) == 0

    template.write_text(FIXED)
    said = run_at(base, due + timedelta(minutes=15))
    assert "the template changed since it failed: retrying" in said, said
    assert "drafted thank-you to Bill Lumbergh (Initech)" in said, said
    assert drafts_to(base, BILL) == 1
    drafts = mailbox.Maildir(Path(base[1]).parent / "Maildir").get_folder("Drafts")
    body = next(m for m in drafts if BILL in str(m["To"])).get_payload(decode=True).decode()
    assert "I enjoyed meeting the Initech team." in body, body

    said = run_at(base, due + timedelta(minutes=20))
    assert "Bill" not in said, said
    assert drafts_to(base, BILL) == 1
    assert "drafted" in status_row(base, INITECH)


def test_a_template_still_broken_after_a_change_is_tried_once_per_change(
    base: list[str], due: datetime
) -> None:
    template = use_template(base, BROKEN_FOR_BILL)
    run_at(base, due + timedelta(minutes=5), code=1)
    template.write_text(BROKEN_FOR_BILL.replace("backend team", "platform team"))
    said = run_at(base, due + timedelta(minutes=10), code=1)
    assert "retrying" in said and "failed thank-you to Bill Lumbergh" in said, said
    said = run_at(base, due + timedelta(minutes=15))
    assert "Bill" not in said, said  # the same change: not again
    assert drafts_to(base, BILL) == 0


def test_a_template_fixed_after_max_lateness_is_not_drafted_and_says_why(
    base: list[str], due: datetime
) -> None:
    """The time spent failed counts: a thank-you 13 hours late is not written any more."""
    template = use_template(base, BROKEN_FOR_BILL)
    run_at(base, due + timedelta(minutes=5), code=1)
    template.write_text(FIXED)
    said = run_at(base, due + timedelta(hours=13))
    assert (
        "skipped thank-you to Bill Lumbergh (Initech): the template changed since it failed" in said
    ), said
    assert "more than max_lateness (12h) ago: not drafted" in said, said
    assert drafts_to(base, BILL) == 0
    assert "skipped" in status_row(base, INITECH)


def test_a_bad_sender_address_is_a_config_failure_that_heals(
    base: list[str], due: datetime
) -> None:
    config = Path(base[1])
    good = config.read_text()
    config.write_text(good.replace('addresses = ["alex@example.org"]',
                                   'addresses = ["jörg@example.org", "alex@example.org"]'))  # fmt: skip
    said = run_at(base, due + timedelta(minutes=5), code=1)
    assert (
        "failed thank-you to Bill Lumbergh (Initech): config.toml: [[accounts]] 'demo'.addresses:"
        in said
    ), said
    assert "fix config.toml; followupd retries it by itself" in said, said
    config.write_text(good)
    said = run_at(base, due + timedelta(minutes=10))
    assert "the config changed since it failed: retrying" in said, said
    assert "drafted thank-you to Bill Lumbergh" in said, said
    assert drafts_to(base, BILL) == 1


def test_retry_tries_an_item_failure_again_and_says_what_it_did(
    base: list[str], due: datetime
) -> None:
    """Bill's address in the invitation is one no message can carry: an "item" failure, which
    the daemon does not retry by itself; ``retry`` does, and then says nothing is left."""
    ics = Path(base[1]).parent / "calendar" / "interviews.ics"
    ics.write_text(ics.read_text().replace(BILL, "jörg@initech.example"), newline="")
    said = run_at(base, due + timedelta(minutes=5), code=1)
    assert (
        "failed thank-you to Bill Lumbergh (Initech): the recipient 'jörg@initech.example'" in said
    ), said
    assert f"fix it at its source, then: followupd retry {INITECH}" in said, said
    assert "Bill" not in run_at(base, due + timedelta(minutes=10))  # not retried by itself

    said = " ".join(cli(base, "retry", INITECH).split())
    assert "Retrying thank-you to Bill Lumbergh <jörg@initech.example>: due now." in said, said
    assert "scheduled" in status_row(base, INITECH)
    said = run_at(base, due + timedelta(minutes=15), code=1)
    assert "failed thank-you to Bill Lumbergh" in said, said  # tried again: still no address

    said = " ".join(cli(base, "retry", INITECH, "--about", "bill@initech.example").split())
    assert "Nothing failed in interview 4 for bill@initech.example" in said, said
    assert "thank-you to Bill Lumbergh <bill@initech.example>: cancelled" in said, said


def test_retry_on_what_did_not_fail_says_so(base: list[str]) -> None:
    said = " ".join(cli(base, "retry", "3").split())
    assert said.startswith("Nothing failed in interview 3, nothing to retry"), said
    assert "thank-you to Jane Smith <jane.smith@acme.example>: drafted" in said, said
    wrong = CliRunner().invoke(main, [*base, "retry", "3", "--about", "nobody@acme.example"])
    assert wrong.exit_code == 1
    assert "nobody@acme.example is not an interviewer of interview 3" in wrong.output


def test_the_template_fingerprint_follows_what_drafts_read_and_nothing_else(
    tmp_path: Path,
) -> None:
    """An included file is part of it; a state database beside the templates is not (it
    changes at every run: every template failure would be retried at every round)."""
    from daemon.writing.render import Renderer

    (tmp_path / "signature.j2").write_text("{{ candidate.name }}\n")
    mine = tmp_path / "mine.txt.j2"
    mine.write_text("Subject: Thanks\n\nHello\n{% include 'signature.j2' %}\n")
    (tmp_path / "state.db").write_bytes(b"one")
    before = Renderer(mine).fingerprint()
    (tmp_path / "state.db").write_bytes(b"two")
    (tmp_path / "notes.txt").write_text("unrelated")
    assert Renderer(mine).fingerprint() == before
    (tmp_path / "signature.j2").write_text("-- {{ candidate.name }}\n")
    assert Renderer(mine).fingerprint() != before
    assert Renderer().fingerprint() == Renderer().fingerprint()  # the shipped ones, stable


def test_the_config_fingerprint_follows_the_values_drafts_read(tmp_path: Path) -> None:
    from daemon import config as config_mod
    from daemon.drafting.failures import config_digest

    path = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    text = path.read_text()
    first = config_mod.load(path)
    digest = config_digest(first, first.accounts[0])
    path.write_text(text.replace("[daemon]", '[daemon]\npoll_interval = "10m"'))
    again = config_mod.load(path)
    assert config_digest(again, again.accounts[0]) == digest  # no draft reads it
    path.write_text(text.replace('phone = "+1 555 0100"', 'phone = "+1 555 0199"'))
    changed = config_mod.load(path)
    assert config_digest(changed, changed.accounts[0]) != digest


def test_retry_of_what_is_past_max_lateness_says_why_and_leaves_it(tmp_path: Path) -> None:
    """A home made three days ago: Bill's thank-you failed two days ago, so ``retry`` (which
    reads the real clock) finds it far past the 12 h window and leaves it failed."""
    made = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=3)
    base = demo_home(tmp_path, made)
    use_template(base, BROKEN_FOR_BILL)
    run_at(base, made + timedelta(days=1, hours=2, minutes=5), code=1)
    said = " ".join(cli(base, "retry", INITECH).split())
    assert said.startswith(
        "Not retried: thank-you to Bill Lumbergh <bill@initech.example>: it was due"
    ), said
    assert "more than max_lateness (12h) ago." in said, said
    row = status_row(base, INITECH)
    assert "failed" in row and "too late to retry: it was due" in row, row
