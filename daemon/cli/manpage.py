"""``followupd man``: the manual page, rendered from the command tree itself.

Why from the CLI and not written by hand: a hand-written page drifts from the options the
moment one is added. Every command's help, options and examples come from click, so the page
says what ``--help`` says, on one page (``man followupd``, like git's or systemctl's overview).
``docs/man/followupd.1`` is this output, committed so that packagers need not run followupd to
get it; tests/test_help.py fails when it is out of date (regenerate with
``followupd man > docs/man/followupd.1``).

click-man exists, but writes one page per command and passes help text to roff unescaped
(a line starting with "." or a backslash breaks the page, and click's ``\\b`` blocks are
re-filled): the examples would be unreadable. What a page needs here is small.

The page is reproducible: no date, and the default config path is written as the XDG rule
rather than the home folder of whoever generated it.
"""

from __future__ import annotations

from inspect import cleandoc

import click

from daemon import __version__, paths
from daemon.cli.app import main

NAME = "draft interview thank-you notes and status inquiries in your mailbox, never send them"

# Said once for every command (the options every command takes after its name too).
SHARED_OPTIONS = {"help", "verbose", "quiet"}

EXTRA_SECTIONS = """\
.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
followupd could not do what was asked (one line on standard error says why);
.B run \\-\\-once:
an account or a follow-up failed in that run;
.B check:
a problem was found (warnings do not count);
.B status \\-\\-fail\\-on\\-attention:
an account needs attention.
.TP
.B 2
A configuration or template error, or bad usage (an unknown option, a missing argument).
.SH ENVIRONMENT
.TP
.B FOLLOWUPD_CONFIG
The config file, as
.BR \\-\\-config .
.TP
.B NO_COLOR
When set, no colour on a terminal either (see
.BR \\-\\-color ).
.TP
.BR VISUAL ", " EDITOR
The editor of the note form
.RB ( "followupd note ID" ).
.TP
.BR XDG_CONFIG_HOME ", " XDG_STATE_HOME
Where the config file and the state (database, tokens) are looked for.
.SH FILES
.TP
.I $XDG_CONFIG_HOME/followupd/config.toml
The config (default
.IR ~/.config/followupd/config.toml ).
.TP
.I $XDG_STATE_HOME/followupd/
The state: the database and the accounts' tokens (default
.IR ~/.local/state/followupd/ ).
.SH SHELL COMPLETION
Bash, zsh and fish complete commands and options once the script click writes is loaded:
.PP
.nf
.RS
eval "$(_FOLLOWUPD_COMPLETE=bash_source followupd)"   # ~/.bashrc
eval "$(_FOLLOWUPD_COMPLETE=zsh_source followupd)"    # ~/.zshrc
_FOLLOWUPD_COMPLETE=fish_source followupd | source    # ~/.config/fish/config.fish
.RE
.fi
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.BR mbsync (1).
followupd's README.md, and
.I docs/json.md
for the shape of the JSON output.
"""


def escape(text: str) -> str:
    """Text as roff reads it literally: backslashes, hyphens (so options copy as typed) and a
    line that would otherwise start with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n")
    )


def paragraphs(help_text: str) -> list[str]:
    """click's help text as roff: a ``\\b`` paragraph verbatim (.nf), the others filled."""
    text = help_text.split("\f")[0]
    lines: list[str] = []
    for block in cleandoc(text).split("\n\n"):
        if block.startswith("\b"):
            body = block.split("\n", 1)[1] if "\n" in block else ""
            lines += [".PP", ".nf", escape(body), ".fi"]
        elif block.strip():
            lines += [".PP", escape(" ".join(line.strip() for line in block.splitlines()))]
    return lines


def options(ctx: click.Context, shared: bool) -> list[str]:
    """Each option as a tagged paragraph; ``shared``: -v, -q and --help as well."""
    lines: list[str] = []
    help_option = ctx.command.get_help_option(ctx)  # its name differs between click releases
    for param in ctx.command.get_params(ctx):
        if not isinstance(param, click.Option) or param.hidden:
            continue
        if not shared and (param is help_option or param.name in SHARED_OPTIONS):
            continue
        record = param.get_help_record(ctx)
        if record is None:
            continue
        names, help_text = record
        help_text = help_text.replace(str(paths.default_config_file()), "see FILES")
        lines += [".TP", f"\\fB{escape(names)}\\fR", escape(help_text)]
    return lines


def command_sections(ctx: click.Context) -> list[str]:
    """A subsection for every command under ``ctx``'s group, depth first, in name order."""
    group = ctx.command
    assert isinstance(group, click.Group)
    lines: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = click.Context(command, info_name=name, parent=ctx)
        usage = " ".join(command.collect_usage_pieces(sub))
        lines += [f'.SS "{escape(sub.command_path)} {escape(usage)}"']
        lines += paragraphs(command.help or "")
        lines += options(sub, shared=False)
        if isinstance(command, click.Group):
            lines += command_sections(sub)
    return lines


def render(main: click.Group = main) -> str:
    """The whole page, in roff (man(7) macros)."""
    # As click makes it for a command line: the group's context_settings (-h) apply.
    ctx = click.Context(main, info_name="followupd", **main.context_settings)
    lines = [
        f'.TH FOLLOWUPD 1 "" "followupd {__version__}" "User Commands"',
        ".nh",  # option names and paths are not to be hyphenated
        ".SH NAME",
        f"followupd \\- {escape(NAME)}",
        ".SH SYNOPSIS",
        ".B followupd",
        "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        *paragraphs(main.help or ""),
        ".SH OPTIONS",
        ".PP",
        "\\fB\\-v\\fR, \\fB\\-q\\fR and \\fB\\-h\\fR are taken after a command's name too.",
        *options(ctx, shared=True),
        ".SH COMMANDS",
        *command_sections(ctx),
    ]
    return "\n".join(lines) + "\n" + EXTRA_SECTIONS


@main.command("man", hidden=True)
def man() -> None:
    """Print the manual page (roff) made from these commands' help.

    \b
    Examples:
      followupd man > docs/man/followupd.1
      followupd man | man -l -
    """
    click.echo(render(), nl=False)
