"""A command of the user's: run with the event in FOLLOWUPD_* environment variables.

Never through a shell (the message holds names from calendar invitations: a stranger's text),
in a session of its own so that a timeout stops the program and whatever it started, with its
output kept only for the log's one-line reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import timedelta

from daemon.notify.events import Event
from daemon.notify.notifiers import NotifyError

STDERR_SHOWN = 200  # characters of the last line of the command's error output


class CommandNotifier:
    name = "command"

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)

    def problem(self) -> str | None:
        program = self.argv[0]
        if "/" in program:
            if not os.path.isfile(program):
                return f"{program}: no such file"
            if not os.access(program, os.X_OK):
                return f"{program}: not executable (chmod +x it)"
        elif shutil.which(program) is None:
            return f"{program}: not found on PATH ({os.environ.get('PATH', '')})"
        return None

    def check(self, timeout: timedelta) -> str:
        problem = self.problem()
        if problem:
            raise NotifyError(problem)
        # The program only: its arguments may hold a token (a curl to a webhook).
        return f"OK ({self.argv[0]}; followupd notify --test runs it)"

    def send(self, event: Event, timeout: timedelta) -> None:
        program = self.argv[0]
        env = {**os.environ, **event.environment()}
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(
                    self.argv,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=errors,
                    start_new_session=True,
                )
            except OSError as err:
                raise NotifyError(f"{program}: cannot run ({err.strerror})") from None
            try:
                code = process.wait(timeout=timeout.total_seconds())
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise NotifyError(
                    f"{program} did not finish within {timeout.total_seconds():g}s; stopped"
                ) from None
            if code != 0:
                errors.seek(0)
                lines = errors.read().decode("utf-8", "replace").strip().splitlines()
                said = f": {lines[-1][:STDERR_SHOWN]}" if lines else ""
                raise NotifyError(f"{program} exited with status {code}{said}")
