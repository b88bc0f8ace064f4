"""The demo's home at a fixed time, driven through the real CLI in-process.

Tests of what a user does with ``followupd note``, ``skip`` and friends need interviews that
already have follow-ups at a known moment: the demo (``daemon.demo``) writes an ics calendar
and a Maildir around ``now`` and one ``run --once`` plans and drafts what is due. The output is
read at 250 columns so that a status row is one line.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from daemon import demo
from daemon.cli import main


def demo_home(root: Path, now: datetime) -> list[str]:
    """The ``--config`` arguments of a demo home under ``root``, after one run at ``now``."""
    config = demo.create(root / "demo", now=now)
    base = ["--config", str(config)]
    ran = CliRunner().invoke(main, [*base, "run", "--once", "--now", now.isoformat()])
    assert ran.exit_code == 0, ran.output
    return base


def cli(base: list[str], *args: str, code: int = 0) -> str:
    """What ``followupd <args>`` prints in that home; it must exit with ``code`` (0: succeed;
    ``run --once`` exits 1 when an account or a follow-up failed in it)."""
    result = CliRunner(env={"COLUMNS": "250"}).invoke(main, [*base, *args])
    assert result.exit_code == code, result.output
    return result.output


def records(output: str, section: str = "interviews") -> list[dict[str, str]]:
    """The records of one section of ``status`` as a pipe sees it (tab-separated, a header
    line under a ``# <title>`` line), by column name; ``section`` starts the title."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {section}"))
    header = lines[start + 1].split("\t")
    found = []
    for line in lines[start + 2 :]:
        if not line or line.startswith("#"):
            break
        cells = line.split("\t")
        assert len(cells) == len(header), (header, line)
        found.append(dict(zip(header, cells, strict=True)))
    return found
