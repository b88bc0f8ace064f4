"""Maildirs as mail tools write them, and ``check`` writing nothing to them (issue 12, 10-11).

Each tree is built on disk the way the tool leaves it: mbsync and offlineimap for Gmail
(``[Gmail]/Drafts`` one directory per level, ``.[Gmail].Drafts`` in Maildir++, offlineimap's
``[Gmail].Drafts`` with its "." separator), Thunderbird (``[Gmail].sbd/Drafts``), Outlook and
iCloud names. What is asserted is which folder a draft goes to, that a sent copy is found, and
that ``check`` leaves the tree exactly as it was (no folder made, no probe left in ``tmp/``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.ics.source import IcsCalendar
from connectors.maildir.connector import MaildirMailbox
from connectors.maildir.special import AmbiguousDrafts
from daemon import demo
from daemon.cli import main
from daemon.errors import ConnectorError
from daemon.protocols import DraftStatus
from tests.test_maildir_connector import KEY, context, request

REPO = Path(__file__).resolve().parent.parent


def make_tree(root: Path, names: list[str], layout: str) -> None:
    """Folders ``names`` (levels separated by '/'; INBOX is the root in Maildir++)."""
    for name in names:
        if layout == "maildir++":
            path = root if name == "INBOX" else root / ("." + name.replace("/", "."))
        else:
            path = root / name
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)


def listing(root: Path) -> list[str]:
    """Every directory and file under ``root``, relative: what "writes nothing" compares."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def draft_files(folder: Path) -> list[Path]:
    return list((folder / "cur").iterdir())


GMAIL = ["INBOX", "[Gmail]/Drafts", "[Gmail]/Sent Mail", "[Gmail]/All Mail", "[Gmail]/Trash"]


@pytest.mark.parametrize("label", ["[Gmail]", "[Google Mail]"])
@pytest.mark.parametrize(
    ("layout", "on_disk"),
    [
        ("folders", lambda label, leaf: f"{label}/{leaf}"),  # mbsync SubFolders Verbatim
        ("maildir++", lambda label, leaf: f".{label}.{leaf}"),  # mbsync/offlineimap Maildir++
    ],
)
def test_gmail_synced_by_mbsync_drafts_go_to_gmail_drafts(
    tmp_path: Path, label: str, layout: str, on_disk: object
) -> None:
    """Was: check created a new "Drafts" folder, which mbsync pushes to Gmail as a label."""
    root = tmp_path / "Mail"
    make_tree(root, [n.replace("[Gmail]", label) for n in GMAIL], layout)
    box = MaildirMailbox(context(tmp_path), {"path": root})
    before = listing(root)
    said = box.check()
    assert listing(root) == before
    assert f"drafts go to '{label}/Drafts'" in said
    ref = box.create_draft(request())
    drafts = root / on_disk(label, "Drafts")  # type: ignore[operator]
    assert [p.name for p in draft_files(drafts)] == [f"{ref.id}:2,DS"]
    assert listing(root) == sorted(
        [*before, str((drafts / "cur" / f"{ref.id}:2,DS").relative_to(root))]
    )
    sent = root / on_disk(label, "Sent Mail")  # type: ignore[operator]
    shutil.move(draft_files(drafts)[0], sent / "cur" / "1.sent.host:2,S")
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT


@pytest.mark.parametrize(
    ("names", "drafts", "sent"),
    [
        # offlineimap, folders layout with its default "." separator
        (["INBOX", "[Gmail].Drafts", "[Gmail].Sent Mail"], "[Gmail].Drafts", "[Gmail].Sent Mail"),
        # Thunderbird's maildir store: subfolders of "[Gmail]" live in "[Gmail].sbd/"
        (
            ["INBOX", "[Gmail].sbd/Drafts", "[Gmail].sbd/Sent Mail"],
            "[Gmail].sbd/Drafts",
            "[Gmail].sbd/Sent Mail",
        ),
        # Courier/Cyrus style hierarchy below INBOX, as mbsync copies it
        (["INBOX", "INBOX/Drafts", "INBOX/Sent"], "INBOX/Drafts", "INBOX/Sent"),
    ],
)
def test_other_tools_gmail_and_inbox_hierarchies(
    tmp_path: Path, names: list[str], drafts: str, sent: str
) -> None:
    root = tmp_path / "Mail"
    make_tree(root, names, "folders")
    box = MaildirMailbox(context(tmp_path), {"path": root})
    before = listing(root)
    assert f"drafts go to '{drafts}'" in box.check()
    assert listing(root) == before
    ref = box.create_draft(request())
    assert len(draft_files(root / drafts)) == 1
    assert not (root / "Drafts").exists()
    shutil.move(draft_files(root / drafts)[0], root / sent / "cur" / "1.sent.host:2,S")
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT


def test_outlook_exchange_names(tmp_path: Path) -> None:
    """Exchange through mbsync: "Sent Items", "Deleted Items", "Junk Email"; the inbox only
    is searched for replies."""
    root = tmp_path / "Mail"
    make_tree(root, ["INBOX", "Drafts", "Sent Items", "Deleted Items", "Junk Email"], "folders")
    box = MaildirMailbox(context(tmp_path), {"path": root})
    before = listing(root)
    said = box.check()
    assert listing(root) == before
    assert said.endswith("drafts go to 'Drafts'; replies are looked for in INBOX")
    ref = box.create_draft(request())
    shutil.move(draft_files(root / "Drafts")[0], root / "Sent Items" / "cur" / "1.s.host:2,S")
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT


def test_icloud_sent_messages_maildirplusplus(tmp_path: Path) -> None:
    """iCloud's "Sent Messages" and "Deleted Messages" (a guard: this already worked)."""
    root = tmp_path / "Mail"
    make_tree(root, ["INBOX", "Drafts", "Sent Messages", "Deleted Messages", "Junk"], "maildir++")
    box = MaildirMailbox(context(tmp_path), {"path": root})
    assert box.check().endswith("drafts go to 'Drafts'; replies are looked for in INBOX")
    ref = box.create_draft(request())
    shutil.move(draft_files(root / ".Drafts")[0], root / ".Sent Messages" / "cur" / "1.s.h:2,S")
    assert box.draft_state(ref, KEY).status == DraftStatus.SENT


@pytest.mark.parametrize("layout", ["folders", "maildir++"])
def test_two_drafts_folders_are_not_guessed_between(tmp_path: Path, layout: str) -> None:
    """A "Drafts" beside "[Gmail]/Drafts" (made by an older followupd, or by hand): check
    names both and the option; the daemon refuses to write rather than pick one."""
    root = tmp_path / "Mail"
    make_tree(root, ["INBOX", "Drafts", "[Gmail]/Drafts", "[Gmail]/Sent Mail"], layout)
    box = MaildirMailbox(context(tmp_path), {"path": root})
    before = listing(root)
    with pytest.raises(AmbiguousDrafts) as err:
        box.check()
    assert str(err.value) == (
        f"maildir {root}: 2 folders could be the drafts folder ('Drafts', '[Gmail]/Drafts'); "
        "followupd will not guess. Set drafts_folder in the account's mailbox section to the "
        'one your mail client uses, e.g. drafts_folder = "Drafts"'
    )
    with pytest.raises(ConnectorError):
        box.create_draft(request())
    assert listing(root) == before
    chosen = MaildirMailbox(context(tmp_path), {"path": root, "drafts_folder": "[Gmail]/Drafts"})
    assert "drafts go to '[Gmail]/Drafts'" in chosen.check()
    chosen.create_draft(request())
    assert len(list(root.rglob("cur/*"))) == 1


def test_check_without_a_drafts_folder_creates_none(tmp_path: Path) -> None:
    """Was: check created .Drafts; now the first draft does, and check says so."""
    root = tmp_path / "Mail"
    make_tree(root, ["INBOX", "Sent"], "maildir++")
    box = MaildirMailbox(context(tmp_path), {"path": root})
    before = listing(root)
    assert "drafts go to 'Drafts' (created by the first draft" in box.check()
    assert listing(root) == before


def test_check_reports_a_drafts_folder_it_cannot_write(tmp_path: Path) -> None:
    """The sandboxed-service case: Drafts exists but its tmp/ cannot be written (was: "all
    good"). Not root: chmod 0500. Root (whom chmod stops not): tmp/ bind-mounted read-only
    in a mount namespace of its own, as ProtectSystem=strict does to a service."""
    root = tmp_path / "Mail"
    make_tree(root, ["INBOX", "Drafts", "Sent"], "maildir++")
    tmp = root / ".Drafts" / "tmp"
    if os.geteuid() != 0:
        os.chmod(tmp, 0o500)
        try:
            with pytest.raises(ConnectorError) as err:
                MaildirMailbox(context(tmp_path), {"path": root}).check()
        finally:
            os.chmod(tmp, 0o700)
        assert str(err.value) == (
            f"maildir {tmp}: drafts cannot be written there (Permission denied); check the "
            f"owner and mode of {tmp} and the folders above it (followupd runs as "
            f"{pwd.getpwuid(os.geteuid()).pw_name})"
        )
        return
    if shutil.which("unshare") is None:
        pytest.skip("root without unshare: chmod cannot stop root's writes")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from connectors.maildir.connector import MaildirMailbox\n"
        "from daemon.errors import ConnectorError\n"
        "from tests.test_maildir_connector import context\n"
        f"box = MaildirMailbox(context(Path({str(tmp_path)!r})), {{'path': Path({str(root)!r})}})\n"
        "try:\n    print(box.check())\nexcept ConnectorError as err:\n"
        "    print(err); sys.exit(3)\n"
    )
    script = 'mount --bind -o ro "$1" "$1" || exit 97; exec "$2" -c "$3"'
    ran = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(tmp), sys.executable, code],
        capture_output=True,
        text=True,
        # Not under systemd (whose sandbox would be the cause and ReadWritePaths= the fix).
        env={**os.environ, "PYTHONPATH": str(REPO), "INVOCATION_ID": ""},
        timeout=60,
    )
    if ran.returncode == 97 or "unshare:" in ran.stderr:
        pytest.skip(f"no read-only bind mount here: {ran.stderr.strip()[-200:]}")
    assert ran.returncode == 3, ran.stdout + ran.stderr
    assert ran.stdout.strip() == (
        f"maildir {tmp}: drafts cannot be written there (Read-only file system); the file "
        "system is mounted read-only: remount it read-write, or point the config at a folder "
        "on a writable one"
    )
    assert listing(root / ".Drafts") == ["cur", "new", "tmp"]


# -- the check command ------------------------------------------------------------------------


def test_check_flags_init_placeholders(tmp_path: Path) -> None:
    """A config straight from ``init``: the placeholders are problems, each named."""
    config = tmp_path / "config.toml"
    home = {"HOME": str(tmp_path), "STATE_DIRECTORY": ""}
    home |= {f"XDG_{k}_HOME": str(tmp_path / k.lower()) for k in ("CONFIG", "STATE", "DATA")}
    runner = CliRunner(env={"COLUMNS": "250", **home})
    assert runner.invoke(main, ["--config", str(config), "init"]).exit_code == 0
    result = runner.invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 1
    assert (
        "problem: config.toml: [candidate].name: still 'Your Name', the placeholder of "
        "followupd init; expected your name as the drafts are to be signed"
    ) in result.stderr
    assert "[candidate].highlights: still 'what you are good at, in a few words'" in result.stderr
    assert (
        "problem: config.toml: [[accounts]] 'local': addresses: still 'you@example.com', the "
        "placeholder of followupd init; expected your own address(es) in this account"
    ) in result.stderr
    assert "Traceback" not in result.output


def test_check_of_an_ambiguous_demo_lists_candidates_and_run_refuses(tmp_path: Path) -> None:
    """Through the CLI: check exits 1 naming both folders and the option; run --once fails
    the account (non-zero or reported) and writes no draft in either folder."""
    config = demo.create(tmp_path / "d")
    maildir = tmp_path / "d" / "Maildir"
    make_tree(maildir, ["[Gmail]/Drafts"], "maildir++")
    before = listing(maildir)
    runner = CliRunner(env={"COLUMNS": "250"})
    result = runner.invoke(main, ["--config", str(config), "check"])
    assert result.exit_code == 1, result.output
    assert "2 folders could be the drafts folder ('Drafts', '[Gmail]/Drafts')" in result.stderr
    assert "drafts_folder" in result.stderr
    assert listing(maildir) == before
    runner.invoke(main, ["--config", str(config), "run", "--once"])
    assert list((maildir / ".Drafts" / "cur").iterdir()) == []
    assert list((maildir / ".[Gmail].Drafts" / "cur").iterdir()) == []


def test_check_counts_broken_calendar_files(tmp_path: Path) -> None:
    folder = tmp_path / "cal"
    folder.mkdir()
    good = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
        "DTSTAMP:20261101T000000Z\r\nDTSTART:20261120T100000Z\r\nDTEND:20261120T110000Z\r\n"
        "SUMMARY:Interview\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (folder / "good.ics").write_text(good)
    (folder / "a-broken.ics").write_text("this is no calendar\n")
    (folder / "b-broken.ics").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ConnectorError) as err:
        IcsCalendar(folder, context(tmp_path)).check()
    text = str(err.value)
    assert text.startswith(
        f"ics: 2 of 3 calendar file(s) in {folder} cannot be used: a-broken.ics:"
    )
    assert "; b-broken.ics: " in text
    (folder / "a-broken.ics").unlink()
    (folder / "b-broken.ics").unlink()
    assert IcsCalendar(folder, context(tmp_path)).check() == f"ics: 1 file in {folder}"


def test_config_example_documents_every_provider_option() -> None:
    """Issue 12 point 11: every key of every provider's option schemas appears in
    config.example.toml as ``key =`` (set or commented out)."""
    import re

    from daemon.registry import known, provider

    text = (REPO / "config.example.toml").read_text()
    missing = []
    for name in known():
        found = provider(name)
        for side in ("account_options", "calendar_options", "mailbox_options"):
            for key in getattr(found, side) or {}:
                pattern = rf"(?m)(^[#\s]*|[{{,]\s*){re.escape(key)}\s*="
                if not re.search(pattern, text):
                    missing.append(f"{name} {side} {key}")
    assert missing == []
