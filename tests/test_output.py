"""Output a script can use (issue 12, points 4 and 6), through the real CLI in subprocesses.

Through a pipe (stdout=PIPE, no $COLUMNS) ``status`` and ``run --once`` print one record per
line, tab-separated, unwrapped, without colour or box drawing; on a terminal (a real pty) the
tables stay, coloured unless ``NO_COLOR`` or ``--color=never`` says otherwise.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from daemon import demo

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-03-03T12:00+00:00"  # the demo's Acme interview (id 3) ended this morning
BOXES = set("│┃─━┏┓┗┛┡┩└┘╇╈")
INTERVIEW_COLUMNS = ["id", "interview", "when", "follow-up", "to", "state", "due", "done", "why"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "NO_COLOR", "FORCE_COLOR")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def followupd(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``followupd --config CONFIG ARGS`` with its stdout a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True,  # stdout is a pipe
        text=True,
        env=_env(**env),
        timeout=120,
    )


def on_a_terminal(config: Path, *args: str, **env: str) -> str:
    """What ``followupd`` writes to a terminal (a pty, 120 columns wide)."""
    main, side = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--config", str(config), *args],
            stdout=side,
            stderr=subprocess.DEVNULL,
            env=_env(COLUMNS="120", TERM="xterm-256color", **env),
        )
        os.close(side)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=120) == 0
    finally:
        os.close(main)
    return b"".join(chunks).decode()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    ran = followupd(config, "run", "--once", "--now", NOW)
    assert ran.returncode == 0, ran.stderr
    return config


def test_run_once_through_a_pipe_prints_one_unwrapped_line_per_event(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    ran = followupd(config, "run", "--once", "--now", NOW)
    assert ran.returncode == 0, ran.stderr
    zone, *lines = ran.stdout.splitlines()
    assert zone == "(times in UTC)"  # named once, above the times
    assert "\x1b" not in ran.stdout
    verbs = ("planned ", "drafted ", "skipped ", "cancelled ", "done ", "failed ")
    assert all(line.startswith(verbs) for line in lines), ran.stdout  # no continuation lines
    longest = max(lines, key=len)
    assert len(longest) > 80 and longest.endswith("later than max_lateness (12h)"), longest


def test_status_through_a_pipe_is_one_tab_separated_record_per_line(home: Path) -> None:
    shown = followupd(home, "status", "--all")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "\x1b" not in out and not BOXES & set(out), out
    lines = out.splitlines()
    start = lines.index("# interviews and follow-ups")
    assert lines[start + 1].split("\t") == INTERVIEW_COLUMNS
    rows = []
    for line in lines[start + 2 :]:
        if not line or line.startswith("#"):
            break
        rows.append(line.split("\t"))
    assert all(len(row) == len(INTERVIEW_COLUMNS) for row in rows), rows
    # Every follow-up of the demo is exactly one line, repeating its interview's id and label.
    assert len(rows) == 9, rows
    acme = [row for row in rows if row[0] == "3"]
    assert [(r[1], r[3], r[4], r[5]) for r in acme] == [
        ("Acme Corp — Senior Backend Engineer", "thank-you", "Jane Smith", "drafted"),
        ("Acme Corp — Senior Backend Engineer", "thank-you", "Raj Patel", "drafted"),
        ("Acme Corp — Senior Backend Engineer", "inquiry #1", "Jane Smith", "scheduled"),
    ]
    (late,) = [row for row in rows if row[0] == "2" and row[3] == "thank-you"]
    assert late[8].endswith("later than max_lateness (12h)")  # the whole reason, on its line
    accounts = lines[lines.index("# accounts (times in UTC)") + 1 :][:2]
    assert accounts[0].split("\t") == ["account", "state", "last poll", "last success", "problem"]
    assert accounts[1].split("\t")[:2] == ["demo", "ok"]


def test_a_terminal_gets_coloured_tables_unless_told_otherwise(home: Path) -> None:
    coloured = on_a_terminal(home, "status")
    assert "\x1b[" in coloured and BOXES & set(coloured)
    for how in ({"NO_COLOR": "1"}, {}):
        args = ("status",) if how else ("--color=never", "status")
        plain = on_a_terminal(home, *args, **how)
        assert "\x1b[" not in plain, (how, plain)
        assert BOXES & set(plain) and "Acme Corp" in plain  # still the table


def test_color_always_colours_even_a_pipe_and_never_nothing(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    ran = followupd(config, "--color=always", "run", "--once", "--now", NOW, NO_COLOR="1")
    assert ran.returncode == 0, ran.stderr
    assert "\x1b[" in ran.stdout  # asked for explicitly: wins over NO_COLOR
    status = followupd(config, "--color=never", "status")
    assert status.returncode == 0 and "\x1b" not in status.stdout
    bad = followupd(config, "--color=sometimes", "status")
    assert bad.returncode == 2 and "'sometimes' is not one of" in bad.stderr


def _time(text: str | None) -> datetime:
    assert text is not None
    value = datetime.fromisoformat(text)
    assert value.utcoffset() is not None, text  # ISO 8601 with its offset
    return value


def test_status_json_is_one_parseable_document(home: Path) -> None:
    shown = followupd(home, "status", "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["version"] == 1 and document["command"] == "status"
    assert document["timezone"] == "UTC"
    (account,) = document["accounts"]
    assert account["name"] == "demo" and account["status"] == "ok"
    assert account["needs_attention"] is False and account["last_error"] is None
    assert _time(account["last_success_at"]) == datetime.fromisoformat(NOW)
    acme = next(i for i in document["interviews"] if i["company"] == "Acme Corp")
    assert acme["role"] == "Senior Backend Engineer" and acme["status"] == "active"
    assert _time(acme["start"]) < _time(acme["end"])
    followups = [f for f in document["followups"] if f["interview_id"] == acme["id"]]
    assert [(f["kind"], f["seq"], f["to"]["email"], f["state"]) for f in followups] == [
        ("thank_you", 1, "jane.smith@acme.example", "drafted"),
        ("thank_you", 1, "raj.patel@acme.example", "drafted"),
        ("status_inquiry", 1, "jane.smith@acme.example", "scheduled"),
    ]
    assert all(_time(f["drafted_at"]) == datetime.fromisoformat(NOW) for f in followups[:2])
    inquiry = followups[2]
    assert inquiry["waiting"] is True and inquiry["drafted_at"] is None
    assert inquiry["reason"].startswith("waiting: nothing sent to Acme Corp")
    _time(inquiry["due_at"])
    assert len({f["id"] for f in document["followups"]}) == 8  # the cancelled one with --all
    everything = json.loads(followupd(home, "status", "--all", "--json").stdout)
    assert len(everything["followups"]) == 9


def test_run_once_json_lists_what_the_run_did(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    ran = followupd(config, "run", "--once", "--now", NOW, "--json")
    assert ran.returncode == 0, ran.stderr
    document = json.loads(ran.stdout)
    assert document["version"] == 1 and document["command"] == "run"
    assert document["ok"] is True and document["failures"] == []
    drafted = [e for e in document["events"] if e["state"] == "drafted"]
    assert sorted(e["to"]["name"] for e in drafted) == ["Jane Smith", "Maria Garcia", "Raj Patel"]
    assert all(e["subject"] and e["followup_id"] and e["interview_id"] for e in drafted)
    assert all(_time(e["at"]) == datetime.fromisoformat(NOW) for e in document["events"])
    assert {e["state"] for e in document["events"]} == {
        "scheduled",
        "drafted",
        "skipped",
        "cancelled",
    }


def test_exit_codes_tell_a_script_that_an_account_failed(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=datetime.fromisoformat(NOW))
    calendar = config.parent / "calendar"
    (calendar / "interviews.ics").unlink()
    calendar.rmdir()
    ran = followupd(config, "run", "--once", "--now", NOW)
    assert ran.returncode == 1, ran.stdout + ran.stderr  # every account failed
    assert "account demo: error" in ran.stdout
    again = followupd(config, "run", "--once", "--now", NOW, "--json")
    assert again.returncode == 1
    document = json.loads(again.stdout)
    assert document["ok"] is False and document["failures"] == ["account demo: error"]
    assert document["accounts"][0]["needs_attention"] is True

    assert followupd(config, "status").returncode == 0  # looking is not failing
    attention = followupd(config, "status", "--fail-on-attention")
    assert attention.returncode == 1
    assert "needs attention: account demo" in attention.stderr
    assert "demo\terror\t" in attention.stdout  # the status itself, as ever


def test_a_healthy_home_exits_0_everywhere(home: Path) -> None:
    assert followupd(home, "status", "--fail-on-attention").returncode == 0
    assert followupd(home, "run", "--once", "--now", NOW).returncode == 0
    usage = followupd(home, "run", "--json")
    assert usage.returncode == 1 and "--json only works together with --once" in usage.stderr


def test_preview_json_has_each_draft_as_it_would_be(home: Path) -> None:
    shown = followupd(home, "preview", "3", "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["version"] == 1 and document["command"] == "preview"
    assert document["interview"]["id"] == 3 and document["interview"]["language"] == "en"
    by_to = {(d["followup"]["kind"], d["followup"]["to"]["email"]): d for d in document["drafts"]}
    jane = by_to[("thank_you", "jane.smith@acme.example")]
    assert jane["text"].startswith("Dear Jane,\n\n") and jane["subject"].startswith("Thank you")
    assert jane["to"] == [{"email": "jane.smith@acme.example", "name": "Jane Smith"}]
    assert jane["same_as_mailbox"] is True and jane["in_reply_to"] is None
    assert any(line.startswith("company 'Acme Corp'") for line in jane["why"])
    inquiry = by_to[("status_inquiry", "jane.smith@acme.example")]
    assert inquiry["followup"]["waiting"] is True and inquiry["same_as_mailbox"] is None
