"""The world's errors and owner-only files, under real conditions (issue 12, points 9 and 12).

Point 9: a folder followupd may not write, a read-only file system, a full disk and a lost
network are each one line naming the path (or host) and the fix, never a traceback; under
systemd (``$INVOCATION_ID``) a read-only file system is the sandbox, and the fix is the unit's
``ReadWritePaths=`` line. In a one-shot command the line goes to stderr and the exit status is 1;
in ``run --once`` a broken mailbox is its account's error and the other account still drafts.

The conditions are real, not mocks, and each is probed first (the test is skipped cleanly where
this machine refuses it):

- permission bits: root ignores them, so as root followupd runs without the capabilities that
  bypass them (``setpriv --bounding-set=-dac_override,...``); the files stay root's, so the
  program and its libraries stay readable wherever they are installed (a ``nobody`` could not
  read a Python under /root). As another user, plain ``chmod`` does it;
- a read-only file system: a bind mount remounted read-only (root with CAP_SYS_ADMIN);
- a full disk: a 64 KiB tmpfs filled up (root with CAP_SYS_ADMIN).

Point 12: everything followupd creates (config, state, lock, drafts, folders) is owner-only
under umask 000; the systemd unit is 0644 like systemd's own.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from daemon import demo
from tests.conftest import ROOT

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
NO_DAC = ["--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]  # setpriv's


# --------------------------------------------------------------------------------------------
# the command and the conditions
# --------------------------------------------------------------------------------------------


def followupd(
    config: Path,
    *args: str,
    wrap: Sequence[str] = (),
    env: dict[str, str] | None = None,
    umask: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess; not under systemd unless ``env`` says so."""
    base = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "FOLLOWUPD_CONFIG")}
    return subprocess.run(
        [*wrap, sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, "COLUMNS": "300", "PYTHONPATH": str(ROOT), **(env or {})},
        preexec_fn=None if umask is None else (lambda: os.umask(umask)),  # noqa: PLW1509
    )


SYSTEMD = {"INVOCATION_ID": "5f1c0ffee5f1c0ffee5f1c0ffee5f1c0"}  # what systemd sets for a unit


def denied(folder: Path, mode: int = 0o500) -> list[str]:
    """Give ``folder`` ``mode`` (default: read-only); the prefix that runs followupd so that
    permission bits apply (see the module docstring)."""
    folder.chmod(mode)
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: permission bits cannot be made to apply")
    probe = subprocess.run(
        [setpriv, *NO_DAC, "sh", "-c", 'touch "$1/probe"', "sh", str(folder)],
        capture_output=True,
    )
    if probe.returncode == 0:
        (folder / "probe").unlink()
        pytest.skip("setpriv could not drop the capability to override permission bits")
    return [setpriv, *NO_DAC]


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (mount {' '.join(args)}): {done.stderr.strip()}")


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[Path]:
    """``folder`` on a read-only file system (a bind mount of itself), for the block."""
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,ro,bind", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@contextlib.contextmanager
def full_disk(folder: Path) -> Iterator[Path]:
    """``folder``'s content on a small tmpfs mounted over it, filled to the last byte."""
    saved = folder.with_name(folder.name + ".saved")
    shutil.copytree(folder, saved, symlinks=True)
    _mount("-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(folder))
    try:
        shutil.copytree(saved, folder, symlinks=True, dirs_exist_ok=True)
        filler = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):
            while True:  # ENOSPC ends it
                os.write(filler, b"\0" * 4096)
        os.close(filler)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        shutil.rmtree(saved, ignore_errors=True)


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """The one line on stderr (exit status 1) holding every ``expected`` text."""
    no_traceback(result)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


# --------------------------------------------------------------------------------------------
# one-shot commands: init and service install
# --------------------------------------------------------------------------------------------


def test_init_where_the_config_cannot_be_written(tmp_path: Path) -> None:
    folder = tmp_path / "config-home"
    folder.mkdir()
    target = folder / "followupd" / "config.toml"
    try:
        result = followupd(target, "init", wrap=denied(folder))
    finally:
        folder.chmod(0o700)
    one_line(
        result,
        f"followupd: {target}: cannot write the config (Permission denied",
        f"check the owner and mode of {folder} and the folders above it (followupd runs as",
    )
    assert not target.parent.exists()


@pytest.mark.parametrize("systemd", [False, True], ids=["shell", "systemd"])
def test_init_on_a_read_only_file_system(tmp_path: Path, systemd: bool) -> None:
    folder = tmp_path / "config-home"
    folder.mkdir()
    target = folder / "config.toml"
    with read_only(folder):
        result = followupd(target, "init", env=SYSTEMD if systemd else None)
    fix = (
        f"add ReadWritePaths={folder} to the systemd unit (followupd service install writes it "
        "from the config)"
        if systemd
        else "the file system is mounted read-only: remount it read-write"
    )
    one_line(result, f"{target}: cannot write the config (Read-only file system); {fix}")


def test_service_install_where_the_unit_cannot_be_written(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    xdg = tmp_path / "xdg-config"
    xdg.mkdir()
    try:
        result = followupd(
            config,
            "service",
            "install",
            "--user",
            wrap=denied(xdg),
            env={"XDG_CONFIG_HOME": str(xdg), "PATH": "/nonexistent"},
        )
    finally:
        xdg.chmod(0o700)
    one_line(
        result,
        f"followupd: {xdg}/systemd/user/followupd.service: cannot write the unit "
        "(Permission denied",
        f"check the owner and mode of {xdg} and the folders above it",
    )


# --------------------------------------------------------------------------------------------
# run --once: one account's broken Maildir, the other account drafts
# --------------------------------------------------------------------------------------------


def two_accounts(root: Path) -> tuple[Path, Path]:
    """The demo ("demo", whose Maildir the test breaks) and a second account ("other") with a
    calendar of its own, an hour earlier; returns (config, the demo's Maildir)."""
    config = demo.create(root / "demo", now=NOW)
    other = demo.create(root / "other", now=NOW - timedelta(hours=1)).parent
    text = config.read_text().replace('path = "calendar"', f'path = "{config.parent}/calendar"')
    text = text.replace('path = "Maildir"', f'path = "{config.parent}/Maildir"')
    text += f"""
[[accounts]]
name = "other"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "{other}/calendar" }}
mailbox = {{ provider = "maildir", path = "{other}/Maildir" }}
"""
    config.write_text(text)
    return config, config.parent / "Maildir"


def run_once(config: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return followupd(config, "run", "--once", "--now", NOW.isoformat(), **kwargs)  # type: ignore[arg-type]


def account_error(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    """``run --once`` exits 1; the demo account's error is one summary line holding every
    ``expected`` text; the other account drafted its thank-yous."""
    no_traceback(result)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    errors = [line for line in result.stdout.splitlines() if line.startswith("account demo:")]
    assert len(errors) == 1, result.stdout
    for text in expected:
        assert text in errors[0], (text, errors[0])
    drafted = [line for line in result.stdout.splitlines() if line.startswith("drafted")]
    assert len(drafted) >= 2, result.stdout  # Jane's and Raj's, in the other account
    assert not any(line.startswith("account other:") for line in result.stdout.splitlines())
    return errors[0]


def drafts(maildir: Path) -> list[str]:
    return sorted(p.name for p in (maildir / ".Drafts" / "cur").iterdir())


def test_a_maildir_on_a_read_only_file_system_under_systemd(tmp_path: Path) -> None:
    config, maildir = two_accounts(tmp_path)
    with read_only(maildir):
        result = run_once(config, env=SYSTEMD)
    account_error(
        result,
        f"{maildir}/.followupd.lock: cannot create it (Read-only file system); add "
        f"ReadWritePaths={maildir} to the systemd unit (followupd service install writes it "
        "from the config)",
    )
    assert drafts(maildir) == []


def test_a_full_maildir_loses_nothing_and_drafts_once_there_is_room(tmp_path: Path) -> None:
    config, maildir = two_accounts(tmp_path)
    with full_disk(maildir):
        result = run_once(config)
        account_error(
            result,
            f"maildir {maildir}/.Drafts: cannot write the draft (No space left on device); the "
            f"disk is full: free some space (df -h {maildir}/.Drafts); followupd tries again",
        )
        assert drafts(maildir) == []
        assert os.listdir(maildir / ".Drafts" / "tmp") == []  # no half-written draft left
    later = followupd(config, "run", "--once", "--now", (NOW + timedelta(minutes=5)).isoformat())
    no_traceback(later)
    assert later.returncode == 0, later.stdout + later.stderr
    assert "drafted thank-you to Jane Smith (Acme Corp)" in later.stdout
    made = [line for line in later.stdout.splitlines() if line.startswith("drafted ")]
    assert len(drafts(maildir)) == len(made)  # each one once, none before


def test_a_drafts_folder_without_write_permission(tmp_path: Path) -> None:
    config, maildir = two_accounts(tmp_path)
    folder = maildir / ".Drafts" / "tmp"
    try:
        result = run_once(config, wrap=denied(folder))
    finally:
        folder.chmod(0o700)
    account_error(
        result,
        f"maildir {maildir}/.Drafts: cannot write the draft (Permission denied); check the "
        f"owner and mode of {folder} and the folders above it (followupd runs as",
    )
    assert drafts(maildir) == []


def test_a_maildir_behind_a_folder_it_cannot_enter(tmp_path: Path) -> None:
    """An error no connector foresaw (here: the Maildir's parent folder cannot be searched,
    so even asking whether the Maildir exists fails) is still that account's one line, not
    an "internal error" with a traceback."""
    config, maildir = two_accounts(tmp_path)
    box = maildir.parent / "box"
    box.mkdir()
    maildir.rename(box / "Maildir")
    config.write_text(config.read_text().replace(f'"{maildir}"', f'"{box}/Maildir"'))
    try:
        result = run_once(config, wrap=denied(box, 0o600))  # readable, not searchable
    finally:
        box.chmod(0o700)
    account_error(
        result,
        f"{box}/Maildir: Permission denied; check the owner and mode of {box} and the folders "
        "above it (followupd runs as",
    )
    assert "internal error" not in result.stdout + result.stderr


def test_a_read_only_state_folder_under_systemd(tmp_path: Path) -> None:
    config = demo.create(tmp_path / "demo", now=NOW)
    state = config.parent / "state"
    assert followupd(config, "status").returncode == 0  # the state exists
    with read_only(state):
        result = run_once(config, env=SYSTEMD)
    one_line(
        result,
        f"[daemon].state_dir {state}: cannot write there (read-only file system); expected a "
        f"folder followupd can write to; add ReadWritePaths={state} to the systemd unit",
    )


@pytest.mark.parametrize("systemd", [False, True], ids=["shell", "systemd"])
def test_a_database_on_a_read_only_file_system(tmp_path: Path, systemd: bool) -> None:
    """SQLite says "unable to open database file" (it cannot create the -wal file); the line
    says the file system is read-only and, under systemd, which folder to open."""
    config = demo.create(tmp_path / "demo", now=NOW)
    folder = tmp_path / "db"
    folder.mkdir()
    db = folder / "state.db"
    text = config.read_text().replace(
        'state_dir = "state"\n', f'state_dir = "state"\ndatabase = "sqlite:///{db}"\n'
    )
    config.write_text(text)
    assert followupd(config, "status").returncode == 0  # the database exists
    with read_only(folder):
        result = run_once(config, env=SYSTEMD if systemd else None)
    fix = (
        f"add ReadWritePaths={folder} to the systemd unit"
        if systemd
        else "the file system is mounted read-only: remount it read-write"
    )
    one_line(
        result,
        f"followupd: cannot write state database file {db}: read-only file system (SQLite: ",
        fix,
    )


# --------------------------------------------------------------------------------------------
# a lost network
# --------------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


@pytest.mark.parametrize("kind", ["google", "outlook"])
def test_a_lost_network_is_one_line_naming_the_host(tmp_path: Path, kind: str) -> None:
    """The provider's server goes away (nothing listens on its port any more): the account
    backs off with one line naming the host; the local account still gets its drafts. The real
    engine and connectors in-process (tests/fault_world.py), retry waits recorded, not slept."""
    pytest.importorskip("googleapiclient" if kind == "google" else "msal")
    from tests.fault_world import DUE, LOCAL, close_world, make_world

    world = make_world(tmp_path, kind)
    try:
        # The first host asked: Google's API (its token endpoint is the same fake), or for a
        # new Outlook process the Microsoft sign-in service (MSAL reads its endpoints first).
        url = world.google.base_url if world.google else world.ms.authority_host  # type: ignore[union-attr]
        host = url.split("//", 1)[1].split("/", 1)[0]
        (world.google or world.ms).stop()  # type: ignore[union-attr]
        world.tick(DUE)
        state = world.account()
        assert state.status == "backoff", state.last_error
        assert f"cannot reach {host} (connection refused: nothing listens there); check the " in (
            state.last_error or ""
        )
        assert "network connection" in (state.last_error or "")
        assert world.local_drafts() == LOCAL
    finally:
        close_world(world)


# --------------------------------------------------------------------------------------------
# point 12: owner-only whatever the umask
# --------------------------------------------------------------------------------------------


def modes(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (root included) whose mode is not owner-only."""
    wide = {}
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        expected = 0o700 if path.is_dir() else 0o600
        if not path.is_symlink() and mode != expected:
            wide[str(path.relative_to(root.parent))] = oct(mode)
    return wide


def test_the_demo_under_umask_000_is_owner_only_through_and_through(tmp_path: Path) -> None:
    """``followupd demo`` writes a config, a calendar and a Maildir, runs once (state,
    database, lock, drafts): every file 0600 and every folder 0700."""
    folder = tmp_path / "demo"
    result = followupd(tmp_path / "unused.toml", "demo", str(folder), umask=0)
    no_traceback(result)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(drafts(folder / "Maildir")) >= 2
    assert (folder / "state" / "state.db").exists()
    assert modes(folder) == {}


def test_init_and_run_under_umask_000_create_nothing_readable_by_others(tmp_path: Path) -> None:
    """What ``init`` writes, and what ``run --once`` and ``status`` create in the state folder
    and the Maildir (the Drafts folder itself is created by the first draft here)."""
    target = tmp_path / "xdg-config" / "followupd" / "config.toml"
    result = followupd(target, "init", umask=0)
    no_traceback(result)
    assert result.returncode == 0, result.stderr
    assert modes(target.parent.parent) == {}

    config = demo.create(tmp_path / "demo", now=NOW)
    maildir = config.parent / "Maildir"
    shutil.rmtree(maildir / ".Drafts")
    for command in (("run", "--once", "--now", NOW.isoformat()), ("status",)):
        result = followupd(config, *command, umask=0)
        no_traceback(result)
        assert result.returncode == 0, result.stdout + result.stderr
    state = config.parent / "state"
    created = {p.name for p in state.rglob("*")}
    assert {"state.db", "followupd.lock", "accounts", "maildir-drafts.json"} <= created, created
    assert modes(state) == {}
    assert len(drafts(maildir)) == 3  # Jane's and Raj's thank-yous, Maria's inquiry
    assert modes(maildir / ".Drafts") == {}
    assert stat.S_IMODE((maildir / ".followupd.lock").stat().st_mode) == 0o600


@pytest.mark.parametrize("umask", [0o000, 0o077], ids=["umask000", "umask077"])
def test_the_unit_is_0644_like_systemds_own(tmp_path: Path, umask: int) -> None:
    """The unit names paths, never a secret; systemd's tools read it as any user."""
    config = demo.create(tmp_path / "demo", now=NOW)
    xdg = tmp_path / "xdg-config"
    result = followupd(
        config,
        "service",
        "install",
        "--user",
        umask=umask,
        env={"XDG_CONFIG_HOME": str(xdg), "PATH": "/nonexistent"},
    )
    no_traceback(result)
    unit = xdg / "systemd" / "user" / "followupd.service"
    assert unit.exists(), result.stdout + result.stderr
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644


def test_a_lost_network_to_microsoft_graph_names_the_host(tmp_path: Path) -> None:
    pytest.importorskip("msal")
    from tests.fakes.graph_server import running_microsoft
    from tests.outlook_cli import at, make_user

    with running_microsoft(tmp_path / "fakes") as ms:
        user = make_user(tmp_path, ms)
        user.sign_in()  # a valid access token in the cache: the next request goes to Graph
        gone = f"127.0.0.1:{closed_port()}"
        live = ms.graph_root.split("//", 1)[1].split("/", 1)[0]
        user.config.write_text(user.config.read_text().replace(live, gone))
        ran = user.once(at(hours=1), code=1)
    errors = [line for line in ran.splitlines() if line.startswith("account work:")]
    assert len(errors) == 1, ran
    assert (
        f"cannot reach {gone} (connection refused: nothing listens there); check the "
        in (errors[0])
    )
    assert not any(line.startswith("account home:") for line in ran.splitlines()), ran
    assert "drafted thank-you to Gina Grant (Globex)" in ran  # the local account goes on


@contextlib.contextmanager
def hanging_up() -> Iterator[int]:
    """A local server that accepts each connection and closes it at once, unanswered."""
    import threading

    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_a_connection_that_never_opened_is_told_from_one_that_broke() -> None:
    """The real errors of both HTTP stacks in use (requests for Graph, httplib2 for Google):
    nothing listening is the lost network, naming the host; a hang-up is not (the request may
    have arrived, and its own message says so)."""
    import httplib2
    import requests

    from daemon.worlderrors import cannot_connect, unreachable

    def failure(call: object) -> BaseException:
        with pytest.raises(Exception) as raised:
            call()  # type: ignore[operator]
        return raised.value

    gone = closed_port()
    refused = [
        failure(lambda: requests.get(f"http://127.0.0.1:{gone}/", timeout=5)),
        failure(lambda: httplib2.Http(timeout=5).request(f"http://127.0.0.1:{gone}/")),
    ]
    for err in refused:
        assert cannot_connect(err), repr(err)
        assert unreachable(f"127.0.0.1:{gone}", err).startswith(
            f"cannot reach 127.0.0.1:{gone} (connection refused: nothing listens there); "
            "check the network connection (and any proxy)"
        )
    with hanging_up() as port:
        cut = [
            failure(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=5)),
            failure(lambda: httplib2.Http(timeout=5).request(f"http://127.0.0.1:{port}/")),
        ]
    for err in cut:
        assert not cannot_connect(err), repr(err)
