"""One way to show time (issue 12, point 5) and ``check --json`` (points 4 and 6), through the
real CLI in subprocesses with stdout a pipe.

The demo home runs in Europe/Berlin (UTC+1 in March): every time a person reads is the Berlin
one, the zone is named once per screen, ``status``'s "due" is only for what is still due and
"done" says when a finished follow-up got there. ``check --json`` lists what was checked with
a level each, and its exit status follows the worst level.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from daemon import demo
from tests.test_output import followupd

NOW = "2026-03-03T12:00+00:00"  # 13:00 in Berlin; the demo's Acme interview ended at 11:00 (UTC)
BERLIN = "Europe/Berlin"


@pytest.fixture
def berlin(tmp_path: Path) -> Path:
    """The demo's config in Europe/Berlin, before its first run."""
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    text = config.read_text()
    assert 'timezone = "UTC"' in text
    config.write_text(text.replace('timezone = "UTC"', f'timezone = "{BERLIN}"'))
    return config


def _section(out: str, title: str) -> list[dict[str, str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {title}"))
    header = lines[start + 1].split("\t")
    rows = []
    for line in lines[start + 2 :]:
        if not line or line.startswith("#"):
            break
        rows.append(dict(zip(header, line.split("\t"), strict=True)))
    return rows


def test_run_once_says_local_times_and_names_the_zone_once(berlin: Path) -> None:
    ran = followupd(berlin, "run", "--once", "--now", NOW)
    assert ran.returncode == 0, ran.stderr
    out = ran.stdout
    assert out.splitlines()[0] == f"(times in {BERLIN})"
    assert out.count(BERLIN) == 1 and "UTC" not in out, out
    # Acme ended at 11:00 UTC, the thank-yous are due an hour later: 13:00 in Berlin.
    assert "planned thank-you to Jane Smith (Acme Corp), due 2026-03-03 13:00" in out
    # The skipped ones say when they were due, in Berlin too (09:00 UTC on the 24th).
    assert "skipped thank-you to Sam Lee (Umbrella): due Tue 24 Feb 10:00, but followupd " in out


def test_status_due_is_due_and_done_says_when_it_finished(berlin: Path) -> None:
    assert followupd(berlin, "run", "--once", "--now", NOW).returncode == 0
    shown = followupd(berlin, "status", "--all")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.count(f"times in {BERLIN}") == 1 and "UTC" not in out, out
    assert out.splitlines()[0] == f"# accounts (times in {BERLIN})"
    (account,) = _section(out, "accounts")
    assert account["last poll"] == "2026-03-03 13:00"
    rows = _section(out, "interviews")
    by = {(r["id"], r["follow-up"], r["to"]): r for r in rows}
    assert by[("3", "thank-you", "Jane Smith")]["when"] == "2026-03-03 10:00"  # 09:00 UTC
    drafted = by[("3", "thank-you", "Jane Smith")]
    assert (drafted["state"], drafted["due"], drafted["done"]) == (
        "drafted",
        "-",
        "2026-03-03 13:00",
    )
    waiting = by[("3", "inquiry #1", "Jane Smith")]
    assert (waiting["state"], waiting["due"], waiting["done"]) == ("scheduled", "waiting", "-")
    initech = by[("4", "thank-you", "Bill Lumbergh")]
    assert (initech["due"], initech["done"]) == ("2026-03-04 15:00", "-")  # 14:00 UTC
    assert initech["why"] == "planned, due Wed 04 Mar 15:00"
    skipped = by[("1", "thank-you", "Sam Lee")]
    assert (skipped["state"], skipped["due"], skipped["done"]) == (
        "skipped",
        "-",
        "2026-03-03 13:00",
    )

    document = json.loads(followupd(berlin, "status", "--all", "--json").stdout)
    assert document["timezone"] == BERLIN
    jane = next(
        f for f in document["followups"]
        if f["interview_id"] == 3 and f["kind"] == "thank_you" and f["to"]["name"] == "Jane Smith"
    )  # fmt: skip
    assert jane["finished_at"] == "2026-03-03T13:00:00+01:00"
    assert jane["due_at"] == "2026-03-03T13:00:00+01:00"


def test_preview_shows_local_times_not_utc(berlin: Path) -> None:
    assert followupd(berlin, "run", "--once", "--now", NOW).returncode == 0
    shown = followupd(berlin, "preview", "4")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert out.splitlines()[0] == f"(times in {BERLIN})"
    assert "UTC" not in out and out.count(BERLIN) == 1, out
    assert "thank_you #1 to bill@initech.example — scheduled, due Wed 04 Mar 15:00" in out
    acme = followupd(berlin, "preview", "3").stdout
    assert "UTC" not in acme
    assert "thank_you #1 to jane.smith@acme.example — drafted Tue 03 Mar 13:00" in acme
    assert "as followupd wrote it on Tue 03 Mar 13:00" in acme


# -- check --json -------------------------------------------------------------------------


def test_check_json_on_a_healthy_home_is_ok_and_exits_0(berlin: Path) -> None:
    checked = followupd(berlin, "check", "--json")
    assert checked.returncode == 0, checked.stderr
    document = json.loads(checked.stdout)
    assert document["version"] == 1 and document["command"] == "check"
    assert document["timezone"] == BERLIN and datetime.fromisoformat(document["now"]).utcoffset()
    assert document["ok"] is True and document["errors"] == document["warnings"] == 0
    checks = document["checks"]
    assert {c["level"] for c in checks} == {"ok"}
    assert [c["check"] for c in checks][:2] == ["config", "template"]
    mailbox = next(c for c in checks if c["subject"] == "demo mailbox")
    assert mailbox["check"] == "account" and "drafts go to 'Drafts'" in mailbox["message"]
    assert all(set(c) == {"check", "subject", "level", "message", "fix"} for c in checks)


def test_check_json_lists_errors_with_their_fix_and_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert followupd(config, "init").returncode == 0  # placeholders, folders that do not exist
    checked = followupd(config, "check", "--json")
    assert checked.returncode == 1, checked.stderr
    document = json.loads(checked.stdout)
    assert document["ok"] is False and document["errors"] >= 3
    name = next(c for c in document["checks"] if c["subject"] == "[candidate].name")
    assert name["check"] == "placeholder" and name["level"] == "error"
    assert name["fix"] == f"edit {config}: [candidate].name"
    assert "still 'Your Name'" in name["message"]
    errors = [c for c in document["checks"] if c["level"] == "error"]
    assert len(errors) == document["errors"]
    # The same findings, as lines: the problems on stderr.
    plain = followupd(config, "check")
    assert plain.returncode == 1
    assert plain.stderr.count("problem: ") == document["errors"]


def test_warnings_alone_exit_0_unless_strict(berlin: Path) -> None:
    text = berlin.read_text()
    berlin.write_text(text + '\n[notify]\ncommand = ["/nonexistent/notifier"]\n')
    checked = followupd(berlin, "check", "--json")
    document = json.loads(checked.stdout)
    (warning,) = [c for c in document["checks"] if c["level"] == "warning"]
    assert warning["check"] == "notify" and warning["subject"] == "command"
    assert checked.returncode == 0 and document["ok"] is True and document["warnings"] == 1
    strict = followupd(berlin, "check", "--json", "--strict")
    assert strict.returncode == 1 and json.loads(strict.stdout)["ok"] is False
    plain = followupd(berlin, "check", "--strict")
    assert plain.returncode == 1 and "warning: notify command: not available" in plain.stdout
    assert "all good" not in plain.stdout


def test_check_json_on_an_unreadable_config_exits_2_with_its_problems(berlin: Path) -> None:
    berlin.write_text(berlin.read_text() + "\nbroken = [\n")
    checked = followupd(berlin, "check", "--json")
    assert checked.returncode == 2, checked.stdout + checked.stderr
    document = json.loads(checked.stdout)
    (problem,) = document["checks"]
    assert problem["check"] == "config" and problem["level"] == "error"
    assert "not valid TOML" in problem["message"] and document["ok"] is False


def test_the_forms_of_a_time() -> None:
    from daemon.output import times

    winter = datetime.fromisoformat("2026-03-03T12:00+00:00")
    summer = datetime.fromisoformat("2026-07-01T22:30+00:00")  # already 2 July in Berlin
    assert times.local(winter, BERLIN) == "2026-03-03 13:00" and times.local(None, BERLIN) == "-"
    assert times.short(winter, BERLIN) == "Tue 03 Mar 13:00"
    assert times.short(summer, BERLIN) == "Thu 02 Jul 00:30"
    assert times.near(winter, BERLIN, winter) == "13:00"
    assert times.near(summer, BERLIN, summer.replace(hour=12)) == "Thu 02 Jul 00:30"
    assert times.zoned(winter, BERLIN) == "Tue 03 Mar 13:00 CET"
    assert times.zoned(summer, BERLIN, today=summer) == "00:30 CEST"
    assert times.zoned(winter, "UTC", today=winter) == "12:00 UTC"
    assert times.day(summer, BERLIN) == "2026-07-02" and times.day(summer, "UTC") == "2026-07-01"
    assert times.zone_line(BERLIN) == "(times in Europe/Berlin)"


def test_unskip_says_when_it_was_due_in_the_users_zone(berlin: Path) -> None:
    """Initech (id 4, tomorrow) skipped today and unskipped after it: its thank-you was due
    at 14:00 UTC, 15:00 in Berlin, which is what the user reads, the zone named once."""
    assert followupd(berlin, "run", "--once", "--now", NOW).returncode == 0
    assert followupd(berlin, "skip", "4").returncode == 0
    later = followupd(berlin, "run", "--once", "--now", "2026-03-06T12:00+00:00")
    assert later.returncode == 0, later.stderr
    said = followupd(berlin, "unskip", "4")
    assert said.returncode == 0, said.stderr
    out = said.stdout
    assert "not drafted after all: thank-you to bill@initech.example" in out
    assert "due Wed 04 Mar 15:00, but followupd was not running until " in out, out
    assert out.count(BERLIN) == 1 and "UTC" not in out, out
