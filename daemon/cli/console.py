"""The two consoles of one ``followupd`` invocation: ``out`` for results, ``err`` for errors.

Made by :func:`start` when the command group runs, so their width follows the terminal (or
``$COLUMNS``) of this run; the command modules reach them as ``console.out`` and
``console.err`` so that they always see the current ones.

Two separate questions, answered once here:

- *layout* (``plain``): on a terminal, rich tables; anywhere else (a pipe, a file, a test's
  CliRunner) one record per line, tab-separated, never wrapped, so that ``grep`` and ``cut``
  work on it. Decided by whether stdout is a terminal, like ``ls`` does.
- *colour*: ``--color=auto`` (the default) colours a terminal unless ``NO_COLOR`` is set
  (https://no-color.org); ``always`` and ``never`` override both.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

COLOR_CHOICES = ("auto", "always", "never")

out: Console
err: Console
plain: bool = False  # stdout is not a terminal: tab-separated records, no tables, no wrapping


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def _console(stderr: bool, color: str) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = _is_tty(stream)
    if color == "never" or (color == "auto" and os.environ.get("NO_COLOR", "") != ""):
        # no_color keeps bold/dim off too: rich's NO_COLOR handling only drops colours
        return Console(stderr=stderr, no_color=True, color_system=None, soft_wrap=not tty)
    if color == "always":
        return Console(stderr=stderr, force_terminal=True, no_color=False, soft_wrap=not tty)
    return Console(stderr=stderr, soft_wrap=not tty)


def start(color: str = "auto") -> None:
    """Make the consoles of this run. Off a terminal, ``soft_wrap`` keeps every printed line
    whole whatever its length (rich would otherwise break it at 80 columns)."""
    global out, err, plain
    plain = not _is_tty(sys.stdout)
    out, err = _console(False, color), _console(True, color)


def print_list(title: str, lines: list[str]) -> None:
    """A titled list (``preview``'s "Why:", ...); nothing when it is empty."""
    if lines:
        out.print(f"{title}:", highlight=False)
        for line in lines:
            out.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
