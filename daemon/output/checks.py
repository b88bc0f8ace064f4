"""What ``followupd check`` found, as findings: one source for its lines and its ``--json``.

Each finding is one thing checked (the config, the templates, one side of an account, the
database, a notifier) at one level: ``ok``, ``warning`` (followupd works, but something is
worth knowing: a notifier without a session bus, highlights in another language) or ``error``
(``run`` would fail or write wrong drafts). The exit status follows the worst level: errors
exit 1, warnings only with ``--strict``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape

OK, WARNING, ERROR = "ok", "warning", "error"

# "run followupd auth work" inside a message: the command that fixes it.
_COMMAND = re.compile(r"\brun:? (followupd [a-z-]+(?: [^\s;,()]+)?)")


@dataclass(frozen=True)
class Finding:
    check: str  # what kind of thing: config, template, highlights, state_dir, account, ...
    subject: str  # which one: the config file, "demo calendar", a notifier's name
    level: str  # ok, warning, error
    message: str  # the line as check prints it, without "warning:" or "problem:"
    fix: str | None = None  # a command or setting that fixes it, when one is known

    @classmethod
    def said(cls, check: str, subject: str, level: str, message: str) -> Finding:
        """A finding whose fix, if any, is the ``followupd ...`` command its message names."""
        found = _COMMAND.search(message) if level != OK else None
        return cls(check, subject, level, message, found.group(1) if found else None)


def failed(findings: Sequence[Finding], strict: bool = False) -> bool:
    """Whether ``check`` exits 1: any error; with ``strict``, any warning too."""
    worst = {f.level for f in findings}
    return ERROR in worst or (strict and WARNING in worst)


def print_findings(
    out: Console, err: Console, findings: Sequence[Finding], strict: bool = False
) -> None:
    """The lines a person reads: what is fine and the warnings on stdout as they come, the
    problems on stderr after them, and "all good" when there is none."""
    say = {"markup": False, "highlight": False, "soft_wrap": True}
    for finding in findings:
        if finding.level == OK:
            out.print(finding.message, **say)
        elif finding.level == WARNING:
            out.print(f"[yellow]warning:[/] {escape(finding.message)}", highlight=False,
                      soft_wrap=True)  # fmt: skip
    for finding in findings:
        if finding.level == ERROR:
            err.print(f"problem: {finding.message}", **say)
    if not failed(findings, strict):
        out.print("[green]all good[/]")
    elif not any(f.level == ERROR for f in findings):
        err.print("problem: warnings count as problems with --strict", **say)


def finding(row: Finding) -> dict[str, Any]:
    """One finding in ``check --json`` (docs/json.md)."""
    return {
        "check": row.check,
        "subject": row.subject,
        "level": row.level,
        "message": row.message,
        "fix": row.fix,
    }
