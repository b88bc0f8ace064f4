"""The real CLI, in-process, at a simulated moment and in a user's environment.

End-to-end tests drive the daemon through simulated time with ``run --once --now``, in
subprocesses. The commands a user types between two runs (``note``, ``skip``, ``unskip``,
``status``) read the system clock instead: ``note`` releases a thank-you waiting for notes
"now", ``unskip`` drafts what is still within its window "now". :func:`cli_at` runs such a
command in this process with the clock frozen at the simulated moment (time_machine cannot
reach a subprocess), and with exactly the user's environment (HOME, the XDG directories, no
FOLLOWUPD_CONFIG or STATE_DIRECTORY of whoever runs the tests), so it reads and writes the
same state the runs around it do. In-process also spares a second of start-up per command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import time_machine
from click.testing import CliRunner

from daemon.cli import main


def cli_at(when: datetime, config: Path, env: Mapping[str, str], *args: str, code: int = 0) -> str:
    """What ``followupd --config CONFIG <args>`` prints at ``when`` in the environment ``env``
    (every other variable of this process unset while it runs); it must exit with ``code``."""
    environment: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    environment.update(env)
    environment["COLUMNS"] = "1000"  # rich wraps at the terminal width: one row per line
    with time_machine.travel(when, tick=False):
        result = CliRunner(env=environment).invoke(main, ["--config", str(config), *args])
    assert result.exit_code == code, (args, result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output, result.output
    return result.output
