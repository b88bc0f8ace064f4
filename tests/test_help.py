"""Help as the terminal tools give it (issue 12, point 8): ``followupd`` alone is its help (exit
0), ``-V``, a command list readable in 80 columns, examples in every ``--help``, shell
completion for bash, zsh and fish, and a man page made from the CLI (committed, and up to
date).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from daemon import __version__
from daemon.cli import main
from daemon.cli.manpage import render
from tests.conftest import ROOT

MAN_PAGE = ROOT / "docs" / "man" / "followupd.1"


def commands(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand a user can see, as the words that name it."""
    found = [path]
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        if isinstance(command, click.Group):
            found += commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def help_of(*words: str, columns: int = 80) -> str:
    result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
        main, [*words, "--help"], prog_name="followupd"
    )
    assert result.exit_code == 0, result.output
    return result.output


def followupd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", **(env or {})},
    )


@pytest.mark.parametrize("group", [(), ("service",)], ids=["followupd", "service"])
def test_a_group_alone_prints_its_help_and_succeeds(group: tuple[str, ...]) -> None:
    alone = followupd(*group)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout.startswith(f"Usage: followupd {' '.join((*group, ''))}[OPTIONS] COMMAND")
    assert "Commands:" in alone.stdout and "status" in alone.stdout
    assert alone.stdout == followupd(*group, "--help").stdout
    assert alone.stderr == ""


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_short_and_long(flag: str) -> None:
    result = CliRunner().invoke(main, [flag], prog_name="followupd")
    assert result.exit_code == 0
    assert result.output == f"followupd, version {__version__}\n"


@pytest.mark.parametrize("words", commands(), ids=lambda w: " ".join(w) or "followupd")
def test_every_help_fits_80_columns_and_has_examples(words: tuple[str, ...]) -> None:
    text = help_of(*words)
    for line in text.splitlines():
        assert len(line) <= 80, f"{len(line)} columns: {line!r}"
    assert "\nExamples:\n" in text.replace("  Examples:", "Examples:"), text
    examples = text.split("Examples:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples, text
    for before, line in zip(["", *examples], examples, strict=False):
        # each a command line to copy (or the continuation of one)
        assert line.lstrip().startswith(("followupd ", "sudo followupd ")) or before.endswith(
            "\\"
        ), line


@pytest.mark.parametrize("group", [(), ("service",)], ids=["followupd", "service"])
def test_the_command_list_is_never_cut_short(group: tuple[str, ...]) -> None:
    """click shortens a long first sentence to fit and ends it with "...": every command has
    a short help that fits instead, whole, on one line at 80 columns."""
    text = help_of(*group)
    listed = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(listed) >= 3
    for line in listed:
        name, _, summary = line.strip().partition(" ")
        assert summary.strip(), line  # on the same line as its name
        assert "..." not in line, line
        assert summary.strip().endswith("."), line  # a whole sentence


def test_v_and_q_are_offered_on_every_command() -> None:
    for words in commands():
        text = help_of(*words)
        assert "-v, --verbose" in text and "-q, --quiet" in text, words


# --- shell completion (click's protocol: _FOLLOWUPD_COMPLETE, COMP_WORDS, COMP_CWORD) -------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_a_completion_script_for_each_shell(shell: str) -> None:
    script = followupd(env={"_FOLLOWUPD_COMPLETE": f"{shell}_source"})
    assert script.returncode == 0, script.stderr
    assert "_followupd_completion" in script.stdout, script.stdout
    assert "_FOLLOWUPD_COMPLETE" in script.stdout  # it calls followupd back for the words


def complete(shell: str, words: str, cword: str) -> list[str]:
    answer = followupd(
        env={"_FOLLOWUPD_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword}
    )
    assert answer.returncode == 0, answer.stderr
    return answer.stdout.splitlines()


def test_completing_commands_options_and_subcommands() -> None:
    assert complete("bash", "followupd st", "1") == ["plain,status"]
    assert complete("zsh", "followupd st", "1")[:2] == ["plain", "status"]
    assert "plain,--once" in complete("bash", "followupd run --o", "2")
    assert complete("bash", "followupd service ", "2") == [
        "plain,install", "plain,status", "plain,uninstall",
    ]  # fmt: skip
    assert "plain,--verbose" in complete("bash", "followupd status --v", "2")


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_the_bash_script_completes_in_a_real_bash(tmp_path: Path) -> None:
    """The script bash sources, run by bash: ``followupd st<TAB>`` becomes ``status``."""
    launcher = tmp_path / "followupd"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m daemon "$@"\n')
    launcher.chmod(0o755)
    script = followupd(env={"_FOLLOWUPD_COMPLETE": "bash_source"}).stdout
    probe = (
        f"{script}\n"
        "COMP_WORDS=(followupd st); COMP_CWORD=1; _followupd_completion followupd\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["status"], done.stdout + done.stderr


# --- the man page -----------------------------------------------------------------------------


def test_the_committed_man_page_is_the_one_the_cli_makes() -> None:
    """docs/man/followupd.1 is generated; after a change to a command's help, regenerate it
    with: followupd man > docs/man/followupd.1"""
    assert MAN_PAGE.read_text() == render(), "regenerate: followupd man > docs/man/followupd.1"
    assert followupd("man").stdout == render()


def test_the_man_page_has_every_command_option_and_example() -> None:
    page = render()
    assert page.startswith(".TH FOLLOWUPD 1 ")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS",
                    "ENVIRONMENT", "FILES", "SHELL COMPLETION"):  # fmt: skip
        assert f"\n.SH {section}\n" in page, section
    for words in commands()[1:]:
        assert f'.SS "followupd {" ".join(words)}' in page, words
    assert "\\fB\\-\\-fail\\-on\\-attention\\fR" in page
    assert page.count("Examples:") == len(commands())
    assert str(Path.home()) not in page  # the same page whoever makes it
    for line in page.splitlines():
        assert not line.startswith("'"), line  # nothing a roff would take as a request


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_renders_the_man_page_without_a_warning(tmp_path: Path) -> None:
    done = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", str(MAN_PAGE)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MANWIDTH": "80"},
    )
    assert done.returncode == 0
    assert done.stderr == "", done.stderr
    text = done.stdout
    assert "followupd run --once --json" in text.replace("\u2010", "-")
    assert "--fail-on-attention" in text.replace("\u2010", "-").replace("\u2212", "-")
