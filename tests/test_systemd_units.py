"""The shipped systemd units load cleanly and keep their hardening.

`systemd-analyze verify` refuses an ExecStart= that does not exist, so each unit is copied to
tmp_path with ExecStart pointed at an executable that does (the installed script, or Python).
Everything else is checked exactly as shipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
USER_UNIT = ROOT / "systemd" / "followupd.service"
SYSTEM_UNIT = ROOT / "systemd" / "followupd@.service"
ANALYZE = shutil.which("systemd-analyze")

needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def directives(unit: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit, in order, comments and sections ignored."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def runnable_copy(unit: Path, dest: Path, original: str) -> Path:
    """``unit`` copied into ``dest`` with ExecStart's program replaced by one that exists."""
    exe = shutil.which("followupd") or sys.executable
    text = unit.read_text()
    assert original in text
    dest.mkdir(parents=True, exist_ok=True)
    copy = dest / unit.name
    copy.write_text(text.replace(original, exe))
    return copy


def analyze(*args: str, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    env = dict(os.environ)
    # A user-manager view needs a runtime directory, which CI (root, no login session) lacks.
    env["XDG_RUNTIME_DIR"] = str(tmp_path / "runtime")
    (tmp_path / "runtime").mkdir(exist_ok=True, mode=0o700)
    cmd = [ANALYZE, *(["--user"] if user else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def exposure(output: str) -> float:
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", output)
    assert match, f"no exposure line in:\n{output}"
    return float(match.group(1))


# --- systemd-analyze --------------------------------------------------------------------------


@needs_analyze
def test_user_unit_verifies(tmp_path: Path) -> None:
    copy = runnable_copy(USER_UNIT, tmp_path / "units", "%h/.local/bin/followupd")
    result = analyze("verify", str(copy), user=True, tmp_path=tmp_path)
    # verify exits 0 on unknown keys and only warns: any output about our file is a defect.
    assert result.returncode == 0, result.stderr
    assert copy.name not in result.stdout + result.stderr, result.stderr


@needs_analyze
@pytest.mark.parametrize("unit", ["followupd@.service", "followupd@alice.service"])
def test_system_template_verifies(tmp_path: Path, unit: str) -> None:
    copy = runnable_copy(SYSTEM_UNIT, tmp_path / "units", "/usr/local/bin/followupd")
    result = analyze("verify", str(copy.parent / unit), user=False, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "followupd@" not in result.stdout + result.stderr, result.stderr


@needs_analyze
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    # The checks above would be worthless if verify accepted anything.
    copy = runnable_copy(SYSTEM_UNIT, tmp_path / "units", "/usr/local/bin/followupd")
    copy.write_text(copy.read_text().replace("UMask=0077", "UMask=0077\nProtectEverything=yes"))
    result = analyze("verify", str(copy), user=False, tmp_path=tmp_path)
    assert "Unknown key 'ProtectEverything'" in result.stderr


@needs_analyze
def test_system_template_exposure_at_most_2(tmp_path: Path) -> None:
    result = analyze("security", "--offline=true", str(SYSTEM_UNIT), user=False, tmp_path=tmp_path)
    assert exposure(result.stdout) <= 2.0, result.stdout


@needs_analyze
def test_user_unit_exposure_at_most_2(tmp_path: Path) -> None:
    # systemd-analyze rates a user unit as if it ran as root; even so it stays low.
    result = analyze("security", "--offline=true", str(USER_UNIT), user=True, tmp_path=tmp_path)
    assert exposure(result.stdout) <= 2.0, result.stdout


# --- what the daemon relies on ----------------------------------------------------------------


@pytest.mark.parametrize("unit", [USER_UNIT, SYSTEM_UNIT], ids=["user", "system"])
def test_service_contract(unit: Path) -> None:
    d = directives(unit)
    assert d["Type"] == ["notify"]
    assert d["NotifyAccess"] == ["main"]
    assert d["WatchdogSec"] == ["5min"]
    assert d["Restart"] == ["on-failure"]
    assert d["TimeoutStopSec"] == ["15"]
    assert d["UMask"] == ["0077"]
    assert d["RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert d["SystemCallFilter"] == ["@system-service", "~@privileged @resources"]
    for key in (
        "NoNewPrivileges",
        "PrivateTmp",
        "PrivateDevices",
        "ProtectKernelTunables",
        "ProtectKernelModules",
        "ProtectKernelLogs",
        "ProtectClock",
        "ProtectHostname",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "MemoryDenyWriteExecute",
        "PrivateUsers",
    ):
        assert d[key] == ["yes"], key
    assert d["ProtectSystem"] == ["strict"]
    assert d["CapabilityBoundingSet"] == [""]
    assert d["KeyringMode"] == ["private"]
    assert "send" not in " ".join(d["ExecStart"])
    # `systemctl reload`: the daemon reloads its config on SIGHUP (tests/test_reload.py).
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_user_unit_paths() -> None:
    d = directives(USER_UNIT)
    assert d["ExecStart"] == ["%h/.local/bin/followupd run"]
    assert d["ProtectHome"] == ["read-only"]
    # Must match daemon.paths.default_state_dir() without XDG_STATE_HOME: the CLI in a shell
    # and the service have to share one database.
    assert d["ReadWritePaths"] == ["%h/.local/state/followupd"]
    assert d["WantedBy"] == ["default.target"]
    # Options a user manager cannot apply would only mislead.
    for key in ("ProtectProc", "ProcSubset", "ProtectControlGroups", "RemoveIPC", "User"):
        assert key not in d, key


def test_system_template_paths() -> None:
    d = directives(SYSTEM_UNIT)
    assert d["ExecStart"] == ["/usr/local/bin/followupd --config /etc/followupd/%i.toml run"]
    assert d["User"] == ["%i"]
    assert d["StateDirectory"] == ["followupd/%i"]
    assert d["StateDirectoryMode"] == ["0700"]
    assert d["ProtectHome"] == ["yes"]
    assert d["ProtectProc"] == ["invisible"]
    assert d["ProcSubset"] == ["pid"]
    assert d["DevicePolicy"] == ["closed"]
    assert d["PrivateIPC"] == ["yes"]
    assert d["AmbientCapabilities"] == [""]
    assert "RemoveIPC" not in d  # would wipe the user's own session IPC on every stop
    assert d["WantedBy"] == ["multi-user.target"]


def test_state_directory_reaches_the_daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    from daemon.paths import default_state_dir

    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/followupd/alice")
    assert default_state_dir() == Path("/var/lib/followupd/alice")
    monkeypatch.delenv("STATE_DIRECTORY")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert default_state_dir() == Path.home() / ".local/state/followupd"


@pytest.mark.parametrize("unit", [USER_UNIT, SYSTEM_UNIT], ids=["user", "system"])
def test_exec_start_is_a_valid_command_line(unit: Path, tmp_path: Path) -> None:
    # Options in the wrong place (``run --config`` instead of ``--config ... run``) would only
    # show up as a restart loop on the user's machine; let the real CLI parse it here.
    program, *args = directives(unit)["ExecStart"][0].split()
    assert program.endswith("/followupd")
    args = [a.replace("%i", "alice").replace("%h", str(tmp_path)) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "daemon", *args, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
