"""``followupd service install|status|uninstall`` (issue 12, points 1-3).

The CLI runs as a real process started through a console script of its own (what pip and pipx
write), so the unit must name *that* program; systemctl is a script on PATH that records its
arguments, since neither this machine nor CI runs a user manager. The generated unit must keep
every directive of the shipped units in systemd/, so a directive added there later is required
here too, and load in ``systemd-analyze`` with the same exposure.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from daemon import config as config_mod
from daemon import demo
from daemon.running import unit
from tests.test_systemd_units import (
    SYSTEM_UNIT,
    USER_UNIT,
    analyze,
    directives,
    exposure,
    needs_analyze,
)

ROOT = Path(__file__).resolve().parent.parent

# What may differ from the shipped unit: where things are on this machine.
LOCAL = {"ExecStart", "ExecStartPre", "ReadWritePaths", "ReadOnlyPaths", "Description"}

FAKE_SYSTEMCTL = """#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
case "$*" in
  *status*) echo "followupd.service - followupd"; echo "   Active: active (running)";;
esac
exit {code}
"""


class Home:
    """A home with the demo config, a followupd console script and a bin folder for PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.config = demo.create(self.home / "demo")
        self.bin = root / "bin"
        self.bin.mkdir()
        self.program = root / "venv" / "bin" / "followupd"
        self.program.parent.mkdir(parents=True)
        self.program.write_text(
            f"#!{sys.executable}\nimport sys\nfrom daemon.cli import main\nsys.exit(main())\n"
        )
        self.program.chmod(0o755)
        self.log = root / "systemctl.log"
        self.unit = self.home / ".config" / "systemd" / "user" / "followupd.service"

    def systemctl(self, code: int = 0, message: str = "") -> None:
        """A systemctl on PATH that records its arguments and exits with ``code``."""
        script = FAKE_SYSTEMCTL.format(log=self.log, code=code)
        if message:
            script = script.replace("exit", f"echo '{message}' >&2\nexit", 1)
        fake = self.bin / "systemctl"
        fake.write_text(script)
        fake.chmod(0o755)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "PATH": str(self.bin),  # no real systemctl: only the fake, if any
            "PYTHONPATH": str(ROOT),
            "USER": "tester",
            "COLUMNS": "250",
            "LANG": "C.UTF-8",
        }
        return subprocess.run(
            [str(self.program), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path)


def test_unit_runs_this_followupd_with_its_config_and_paths(home: Home) -> None:
    home.systemctl()
    done = home.run("service", "install", "--user")
    assert done.returncode == 0, done.stderr
    d = directives(home.unit)
    demo_dir = home.config.parent
    # The console script that ran, not ~/.local/bin; the config it was given.
    assert d["ExecStart"] == [f"{home.program} --config {home.config} run"]
    assert str(demo_dir / "Maildir") in " ".join(d["ReadWritePaths"]).split()
    assert str(demo_dir / "state") in " ".join(d["ReadWritePaths"]).split()
    # Calendars are read, never written: visible, but not writable.
    assert d["ReadOnlyPaths"] == [str(demo_dir / "calendar")]
    assert str(demo_dir / "calendar") not in " ".join(d["ReadWritePaths"])
    assert d["ExecStartPre"] == [f"+mkdir -p -m 0700 {demo_dir / 'state'} %t/followupd"]
    # The locks of remote mailboxes, shared with commands run in a shell.
    assert "%t/followupd" in " ".join(d["ReadWritePaths"]).split()


def _render(tmp_path: Path, system_user: str | None) -> Path:
    config = config_mod.load(demo.create(tmp_path / "demo"))
    # Any program that exists (verify checks) and lies outside the homes (ProtectHome=).
    text = unit.render(unit.Target(system_user), config, ["/usr/bin/env"])
    name = f"followupd@{system_user}.service" if system_user else "followupd.service"
    (tmp_path / "units").mkdir()
    path = tmp_path / "units" / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("shipped", "system_user"), [(USER_UNIT, None), (SYSTEM_UNIT, "alice")], ids=["user", "system"]
)
def test_generated_unit_keeps_every_directive_of_the_shipped_one(
    tmp_path: Path, shipped: Path, system_user: str | None
) -> None:
    reference = directives(shipped)
    generated = directives(_render(tmp_path, system_user))
    assert set(reference) - set(generated) == set()
    local = LOCAL | ({"User", "StateDirectory", "ProtectHome"} if system_user else set())
    for key in set(reference) - local:
        assert generated[key] == reference[key], key
    if system_user:
        assert generated["User"] == [system_user]
        assert generated["StateDirectory"] == [f"followupd/{system_user}"]
        # The demo lives under /tmp: homes stay hidden, as shipped.
        assert generated["ProtectHome"] == reference["ProtectHome"]


@needs_analyze
@pytest.mark.parametrize("system_user", [None, "alice"], ids=["user", "system"])
def test_generated_unit_verifies_with_exposure_at_most_2(
    tmp_path: Path, system_user: str | None
) -> None:
    path = _render(tmp_path, system_user)
    user = system_user is None
    verified = analyze("verify", str(path), user=user, tmp_path=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert path.name not in verified.stdout + verified.stderr, verified.stderr
    rated = analyze("security", "--offline=true", str(path), user=user, tmp_path=tmp_path)
    assert exposure(rated.stdout) <= 2.0, rated.stdout


def test_install_now_reloads_enables_and_tells_about_lingering(home: Home) -> None:
    home.systemctl()
    done = home.run("service", "install", "--user", "--now")
    assert done.returncode == 0, done.stderr
    assert home.unit.is_file()
    assert home.calls() == [
        "--user daemon-reload",
        "--user enable followupd.service",
        # restart, not start: an install again must reach a service that is running already
        "--user restart followupd.service",
    ]
    assert "loginctl enable-linger tester" in done.stdout
    assert "journalctl --user -u followupd.service" in done.stdout


def test_status_and_uninstall_through_systemctl(home: Home) -> None:
    home.systemctl()
    missing = home.run("service", "status")
    assert missing.returncode == 4
    assert "not installed" in missing.stdout
    assert home.calls() == []
    assert home.run("service", "install").returncode == 0
    shown = home.run("service", "status")
    assert shown.returncode == 0, shown.stderr
    assert "active (running)" in shown.stdout
    assert home.calls()[-1] == "--user status --no-pager followupd.service"
    gone = home.run("service", "uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not home.unit.exists()
    assert home.calls()[-2:] == ["--user disable --now followupd.service", "--user daemon-reload"]
    # What stays, and where: state (with the tokens), config, drafts in the mailbox.
    assert str(home.config.parent / "state") in gone.stdout
    assert str(home.config) in gone.stdout
    assert "drafts" in gone.stdout
    assert "pipx uninstall followupd" in gone.stdout


@pytest.mark.parametrize("now", [False, True], ids=["install", "install-now"])
def test_without_systemctl_the_unit_is_written_and_the_reason_given(home: Home, now: bool) -> None:
    done = home.run("service", "install", *(["--now"] if now else []))
    assert home.unit.is_file()
    assert "systemctl not found" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    # Asked to start it and it could not be: a script must see that.
    assert done.returncode == (1 if now else 0)


def test_no_user_manager_says_why_it_was_not_started(home: Home) -> None:
    home.systemctl(code=1, message="Failed to connect to bus: No medium found")
    done = home.run("service", "install", "--now")
    assert done.returncode == 1
    assert home.unit.is_file()
    assert "No medium found" in done.stderr
    assert "systemctl --user enable --now followupd.service" in done.stderr
    assert "Traceback" not in done.stderr
    assert home.calls() == ["--user daemon-reload"]  # no start attempted on a failed reload


def test_system_unit_for_an_unknown_user_is_refused(home: Home) -> None:
    done = home.run("service", "install", "--system", "no-such-user-here")
    assert done.returncode == 1
    assert "--system no-such-user-here: no such user" in done.stderr
    assert "Traceback" not in done.stderr


def test_running_program_as_module_uses_the_script_beside_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    python = venv / "python3"
    python.touch()
    # ``python -m daemon`` from a venv: the venv's console script, when it has one.
    assert unit.running_program("/src/daemon/__main__.py", str(python)) == [
        str(python),
        "-m",
        "daemon",
    ]
    script = venv / "followupd"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert unit.running_program("/src/daemon/__main__.py", str(python)) == [str(script)]
    # A console script run by a relative path is made absolute.
    monkeypatch.chdir(tmp_path)
    assert unit.running_program("venv/bin/followupd", str(python)) == [str(script)]


def test_unit_words_are_quoted_for_systemd() -> None:
    assert unit.quote(Path("/home/a b/Mail")) == '"/home/a b/Mail"'
    assert unit.quote(Path("/home/a/100%")) == "/home/a/100%%"
    assert unit.quote(Path("/nope/x"), missing_ok=True) == "-/nope/x"


def _config(tmp_path: Path, **replace: str) -> config_mod.Config:
    path = demo.create(tmp_path / "demo")
    text = path.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return config_mod.load(path)


def test_a_database_outside_the_state_folder_is_writable(tmp_path: Path) -> None:
    db = tmp_path / "db" / "state.db"
    config = _config(
        tmp_path, **{'state_dir = "state"': f'state_dir = "state"\ndatabase = "sqlite:///{db}"'}
    )
    d = _directives(unit.render(unit.Target(), config, ["/usr/bin/env"]), tmp_path)
    assert str(db.parent) in " ".join(d["ReadWritePaths"]).replace("-/", "/").split()


def test_a_system_unit_sees_homes_read_only_when_the_maildir_is_in_one(tmp_path: Path) -> None:
    config = _config(tmp_path, **{'path = "Maildir"': 'path = "/home/alice/Mail"'})
    d = _directives(unit.render(unit.Target("alice"), config, ["/usr/bin/env"]), tmp_path)
    assert d["ProtectHome"] == ["read-only"]
    assert "-/home/alice/Mail" in d["ReadWritePaths"][0].split()  # skipped while it is missing


def _directives(text: str, tmp_path: Path) -> dict[str, list[str]]:
    path = tmp_path / "rendered.service"
    path.write_text(text)
    return directives(path)


def test_the_service_uses_the_state_folder_of_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default state folder follows $XDG_STATE_HOME, which the user manager may not have:
    # the unit passes it on, so the service and the shell's commands share one database.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg state"))
    config = _config(tmp_path, **{'state_dir = "state"\n': ""})
    d = _directives(unit.render(unit.Target(), config, ["/usr/bin/env"]), tmp_path)
    assert d["Environment"] == [f'"XDG_STATE_HOME={tmp_path / "xdg state"}"']
    assert d["ReadWritePaths"][0].startswith(f'"{tmp_path / "xdg state" / "followupd"}" ')
    monkeypatch.delenv("XDG_STATE_HOME")
    config = _config(tmp_path / "other", **{'state_dir = "state"\n': ""})
    assert "Environment" not in _directives(
        unit.render(unit.Target(), config, ["/usr/bin/env"]), tmp_path
    )
