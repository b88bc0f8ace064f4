"""sd_notify over a real datagram unix socket, both a path in tmp_path and an abstract name."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.running import sdnotify


@pytest.fixture
def listener(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A bound datagram socket standing in for systemd, advertised via NOTIFY_SOCKET."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    yield sock
    sock.close()


def test_notify_sends_all_states_in_one_datagram(listener: socket.socket) -> None:
    assert sdnotify.notify("READY=1", "STATUS=polling 2 accounts") is True
    assert listener.recv(4096) == b"READY=1\nSTATUS=polling 2 accounts"


def test_notify_each_call_is_its_own_message(listener: socket.socket) -> None:
    assert sdnotify.notify("WATCHDOG=1")
    assert sdnotify.notify("STOPPING=1")
    assert listener.recv(4096) == b"WATCHDOG=1"
    assert listener.recv(4096) == b"STOPPING=1"


def test_notify_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"followupd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.notify("READY=1") is True
        assert sock.recv(4096) == b"READY=1"


def test_notify_is_noop_outside_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False


def test_notify_without_states_sends_nothing(listener: socket.socket) -> None:
    assert sdnotify.notify() is False
    listener.settimeout(0.05)
    with pytest.raises(TimeoutError):
        listener.recv(4096)


def test_notify_to_missing_socket_logs_and_returns_false(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone.sock"))
    with caplog.at_level(logging.WARNING, logger="daemon.running.sdnotify"):
        assert sdnotify.notify("READY=1") is False
    assert f"could not notify systemd at {tmp_path / 'gone.sock'}" in caplog.text


def test_notify_ignores_non_unix_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", "vsock:2:1234")
    assert sdnotify.notify("READY=1") is False


@pytest.mark.parametrize("bad", ["READY=1\nWATCHDOG=1", "READY"])
def test_notify_rejects_malformed_state(listener: socket.socket, bad: str) -> None:
    with pytest.raises(ValueError, match="sd_notify state must be one KEY=VALUE line"):
        sdnotify.notify(bad)


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        ("300000000", None, 150.0),  # 5 min timeout -> ping every 2.5 min
        ("300000000", "self", 150.0),
        ("300000000", "other", None),  # inherited by a child: not ours to ping
        ("300000000", "junk", None),
        (None, None, None),
        ("0", None, None),
        ("abc", None, None),
        ("1", None, 0.0000005),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    if usec is not None:
        monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid == "self":
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    elif pid == "other":
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    elif pid is not None:
        monkeypatch.setenv("WATCHDOG_PID", pid)
    assert sdnotify.watchdog_interval() == expected
