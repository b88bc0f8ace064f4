"""The two consoles of one ``followupd`` invocation: ``out`` for results, ``err`` for errors.

Made by :func:`start` when the command group runs, so their width follows the terminal (or
``$COLUMNS``) of this run; the command modules reach them as ``console.out`` and
``console.err`` so that they always see the current ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

out: Console
err: Console


def start() -> None:
    from rich.console import Console

    global out, err
    out, err = Console(), Console(stderr=True)


def print_list(title: str, lines: list[str]) -> None:
    """A titled list (``preview``'s "Why:", ...); nothing when it is empty."""
    if lines:
        out.print(f"{title}:", highlight=False)
        for line in lines:
            out.print(f"  - {line}", markup=False, highlight=False, soft_wrap=True)
