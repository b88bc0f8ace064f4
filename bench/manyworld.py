"""The world bench/many.py measures in: the fakes' process, and followupd instances on it.

:class:`World` starts ``python3 -m tests.fakes.serve`` (many users on one fake Google and one
fake Microsoft, see tests/fakes/serve.py) and asks it questions over its control address.
:class:`Instance` is one followupd (the real CLI in a subprocess) on the world's shared config:
its own HOME and ``XDG_STATE_HOME`` under ``WORLD/instances/N``, so several instances can run
on one config (with ``[daemon].database`` pointing at one PostgreSQL) — the multi-instance
benchmark adds instances, nothing else.

A process's CPU time and peak RSS come from ``os.wait4`` on it: exactly that child's
``rusage`` (``getrusage(RUSAGE_CHILDREN)`` would mix in every other child reaped so far).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
# The service's line after each poll cycle (daemon/running/service.py).
CYCLE = re.compile(r"poll cycle: \d+ account\(s\) in ([0-9.]+) s")
# Variables that would point followupd at another config, state, keyring, bus or systemd.
DROP = ("FOLLOWUPD_", "XDG_", "NOTIFY_SOCKET", "WATCHDOG_", "JOURNAL_STREAM", "DBUS_")
DROP += ("STATE_DIRECTORY", "SSL_CERT", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def clean_env(home: Path | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(DROP) and not k.lower().endswith("_proxy")
    }
    env.update(NO_PROXY="*", no_proxy="*", PYTHONPATH=str(ROOT), COLUMNS="200")
    if home is not None:
        env.update(
            HOME=str(home),
            XDG_STATE_HOME=str(home / "state"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_CACHE_HOME=str(home / "cache"),
            XDG_DATA_HOME=str(home / "data"),
        )
    return env


@dataclass
class Usage:
    """What one followupd process cost."""

    wall: float  # seconds
    cpu: float  # user + system seconds
    rss_mb: float  # peak resident set
    code: int  # exit status


def reap(proc: subprocess.Popen[Any], started: float) -> Usage:
    """Wait for ``proc``; its own CPU and peak RSS (``os.wait4``)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Usage(
        wall=time.monotonic() - started,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        code=proc.returncode,
    )


def process_cpu(pid: int) -> float:
    """CPU seconds a running process used so far (/proc/PID/stat), 0.0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


class World:
    """The fakes' process and its control address (see tests/fakes/serve.py)."""

    def __init__(
        self,
        folder: Path,
        accounts: int,
        *,
        provider: str = "mixed",
        events: int = 50,
        latency: float = 0.1,
        poll_interval: str = "2m",
        database: str | None = None,
        lease_period: str | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "tests.fakes.serve", "--dir", str(folder)]
        argv += ["--users", str(accounts), "--provider", provider, "--events", str(events)]
        argv += ["--latency", str(latency), "--poll-interval", poll_interval]
        argv += ["--database", database] if database else []
        argv += ["--lease-period", lease_period] if lease_period else []
        argv += ["--concurrency", str(concurrency)] if concurrency else []
        started = time.monotonic()
        self._log: IO[str] = (folder / "fakes.log").open("w")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self._log, text=True, env=clean_env(), cwd=ROOT
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"the fakes did not start: {(folder / 'fakes.log').read_text()}")
        self.ready: dict[str, Any] = json.loads(line)
        self.build_seconds = time.monotonic() - started
        self.config = Path(self.ready["config"])
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy

    def ask(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None and path != "/reset" else json.dumps(body or {}).encode()
        request = urllib.request.Request(self.ready["control"] + path, data=data)
        with self._opener.open(request, timeout=300) as answer:
            return json.load(answer)

    def cpu(self) -> float:
        """CPU seconds the fakes have used so far."""
        return process_cpu(self.proc.pid)

    def instance(self, number: int = 0) -> Instance:
        return Instance(self, number)

    def stop(self) -> list[str]:
        """Stop the fakes; the problems they saw (send calls, requests Google would reject)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        text = (self.folder / "fakes.log").read_text()
        return [line for line in text.splitlines() if line.startswith("fake: ")]


class Instance:
    """One followupd on the world's config, with its own home and state folder."""

    def __init__(self, world: World, number: int) -> None:
        self.world = world
        self.home = world.folder / "instances" / str(number)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.env = clean_env(self.home)
        # Numbered on from the logs already there: the same instance again (phase (c) after
        # (a) and (b)) must not overwrite them.
        self.logs = len(list(self.home.glob("[0-9][0-9]-*.log")))

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon", "--config", str(self.world.config), *args]

    def start(self, *args: str) -> tuple[subprocess.Popen[Any], float]:
        """``followupd ARGS`` in the background, its log in the instance's folder."""
        self.logs += 1
        self.log = self.home / f"{self.logs:02d}-{args[0]}.log"
        log = self.log.open("w")
        proc = subprocess.Popen(
            self.argv(*args), stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=ROOT
        )
        log.close()
        return proc, time.monotonic()

    def cycles(self) -> list[float]:
        """The seconds of each poll cycle the last ``followupd run`` logged so far."""
        try:
            text = self.log.read_text(errors="replace")
        except (AttributeError, OSError):
            return []
        return [float(m.group(1)) for m in CYCLE.finditer(text)]

    def run(self, *args: str) -> Usage:
        """``followupd ARGS`` to the end: what it cost."""
        proc, started = self.start(*args)
        return reap(proc, started)

    def stop(self, proc: subprocess.Popen[Any], started: float) -> Usage:
        """SIGTERM (as systemd stops it), then what the whole run cost."""
        proc.send_signal(signal.SIGTERM)
        return reap(proc, started)

    def status(self) -> dict[str, Any]:
        """``followupd status --json --all``."""
        done = subprocess.run(
            self.argv("status", "--json", "--all"),
            capture_output=True,
            text=True,
            env=self.env,
            cwd=ROOT,
            timeout=600,
            check=False,
        )
        return json.loads(done.stdout) if done.stdout.strip() else {}


def lateness(
    created: dict[tuple[str, str], float], expected: dict[tuple[str, str], float], ended: float
) -> dict[str, Any]:
    """The punctuality figures of arranged drafts: ``created`` and ``expected`` (due) times by
    (account, recipient); one still missing at ``ended`` counts as late as that, and makes the
    worst lateness "at least"."""
    late = [created[k] - expected[k] for k in created]
    late_missing = [ended - due for key, due in expected.items() if key not in created]
    return {
        "due": len(expected),
        "drafted": len(created),
        "missing": len(expected) - len(created),
        "worst_late": max(late + late_missing, default=None),
        "worst_late_at_least": bool(late_missing),
        "earliest": min(late, default=None),
        "over_60s": sum(1 for x in late if x > 60),
    }
