"""The daemon as a user runs it: ``python -m daemon --config ... run`` in a real subprocess.

HOME and the XDG directories point into the world's folder, proxies are dropped (nothing may
leave 127.0.0.1) and ``FOLLOWUPD_FAULTS`` (see :mod:`daemon.faults`) is set only for the runs
that are to be killed or traced. A killed run is recognised by its exit status, -SIGKILL, and by
the last line of its trace, which names the checkpoint it died at.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.faults import ENV as FAULTS

ROOT = Path(__file__).resolve().parents[2]
# Variables that would point a subprocess at another config, state, systemd or a proxy.
DROP = ("XDG_", "FOLLOWUPD_", "NOTIFY_SOCKET", "WATCHDOG_", "STATE_DIRECTORY", "JOURNAL_STREAM")


@dataclass
class Outcome:
    code: int
    seconds: float
    trace: list[str]  # checkpoint names, in order (index 0 is checkpoint 1)
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.code == -signal.SIGKILL

    @property
    def last(self) -> str:
        return self.trace[-1] if self.trace else "(no checkpoint)"


class Daemon:
    """One user's ``followupd``: config, environment, and the runs made so far."""

    def __init__(self, root: Path, config: Path) -> None:
        self.root = root
        self.config = config
        self._runs = itertools.count(1)
        self.pid = 0  # of the last ``run --once``
        (root / "traces").mkdir(parents=True, exist_ok=True)

    def env(self, faults: str | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and not k.startswith(DROP)
        }
        env.update(
            HOME=str(self.root / "home"),
            XDG_CONFIG_HOME=str(self.root / "home" / ".config"),
            XDG_STATE_HOME=str(self.root / "home" / ".local" / "state"),
            XDG_CACHE_HOME=str(self.root / "home" / ".cache"),
            NO_PROXY="*",
            COLUMNS="200",
            PYTHONPATH=str(ROOT),  # the code of this checkout
        )
        if faults:
            env[FAULTS] = faults
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon", "--config", str(self.config), *args]

    def _faults(self, kill_at: int | str | None, trace: bool) -> tuple[str | None, Path | None]:
        self.last_run = next(self._runs)
        path = self.root / "traces" / f"{self.last_run}.trace" if trace else None
        parts = [f"trace:{path}"] if path else []
        if isinstance(kill_at, str):
            parts.append(f"kill-on:{kill_at}")
        elif kill_at:
            parts.append(f"kill-at:{kill_at}")
        return ",".join(parts) or None, path

    def once(self, now: datetime, kill_at: int | str | None = None, trace: bool = True) -> Outcome:
        """``run --once --now NOW``, killed at checkpoint ``kill_at`` (a number, or the name of
        the checkpoint: the first one so called) when given."""
        faults, path = self._faults(kill_at, trace)
        started = time.monotonic()
        proc = subprocess.Popen(
            self.argv("run", "--once", "--now", now.isoformat()),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.root,
            env=self.env(faults),
        )
        self.pid = proc.pid  # for a fake server that kills the daemon mid-request
        try:
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return Outcome(
            proc.returncode, time.monotonic() - started, read_trace(path), stdout, stderr
        )

    def start(self, kill_at: int | str | None = None, trace: bool = True) -> Running:
        """The long-running ``run`` (real time), killed at ``kill_at`` when given."""
        faults, path = self._faults(kill_at, trace)
        log = self.root / "traces" / f"{self.last_run}.log"
        with log.open("w") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                self.argv("run"),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                env=self.env(faults),
                text=True,
            )
        return Running(proc, path, log, time.monotonic())


@dataclass
class Running:
    proc: subprocess.Popen[str]
    trace_path: Path | None
    log: Path
    started: float

    def trace(self) -> list[str]:
        return read_trace(self.trace_path)

    def wait(self, seconds: float) -> int | None:
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; returns the exit status and how long the daemon took to exit."""
        asked = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        return code, time.monotonic() - asked

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def read_trace(path: Path | None) -> list[str]:
    if path is None or not path.exists():
        return []
    return [line.split(" ", 1)[1] for line in path.read_text().splitlines() if " " in line]
