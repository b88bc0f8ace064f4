"""What every followupd command and group is, beyond click's defaults.

-v and -q wherever a user types them: before the command (``followupd -v run``) or after it
(``followupd run --once -v``), counted together (``-v run -v`` is ``-vv``). click gives a
group's options to the group only; a user who adds ``-v`` at the end of the line they just ran
would get "no such option". So every command and group made through :class:`FollowupdGroup`
carries both flags; each occurrence adds to one count kept in the root context, and logging is
set up again as soon as a command's own flags are read.

A group called with nothing (``followupd``, ``followupd service``) prints its help on stdout
and succeeds, as git and systemctl do, rather than click's usage error (exit 2 on stderr).
"""

from __future__ import annotations

from typing import Any, Protocol

import click

from daemon import logsetup


class Logs(Protocol):
    """The group's context object (:class:`daemon.cli.app.Runtime`), as far as flags go."""

    verbosity: int

    def log(self) -> None: ...


_FLAGS = "followupd.verbosity"  # root context's meta: the -v and -q counts, wherever given


def _count(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """Add one command's -v or -q to what the group got: ``followupd -v run --once`` and
    ``followupd run --once -v`` mean the same, and ``-v run -v`` is ``-vv``."""
    if not value or ctx.resilient_parsing:
        return
    counts = ctx.find_root().meta.setdefault(_FLAGS, {"verbose": 0, "quiet": 0})
    counts[param.name] += value
    runtime: Logs | None = ctx.find_root().obj
    if runtime is not None:  # a subcommand's flags: the group has set up logging already
        runtime.verbosity = verbosity(ctx)
        runtime.log()


def verbosity(ctx: click.Context) -> int:
    """-q, nothing, -v or -vv (logsetup.QUIET ... EVERYTHING), from every flag given so far."""
    counts = ctx.find_root().meta.get(_FLAGS, {"verbose": 0, "quiet": 0})
    return max(logsetup.QUIET, min(counts["verbose"] - counts["quiet"], logsetup.EVERYTHING))


def _verbosity_options() -> list[click.Option]:
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_count,
            help="More log: -v followupd's debug lines, -vv also libraries and tracebacks.",
        ),
        click.Option(
            ["-q", "--quiet"],
            count=True,
            expose_value=False,
            callback=_count,
            help="Log warnings and errors only.",
        ),
    ]


class FollowupdCommand(click.Command):
    """A command that takes -v and -q after its name too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_verbosity_options())


class FollowupdGroup(click.Group):
    """The group (and ``service``'s): -v and -q before or after any command's name; the help
    when called with nothing."""

    command_class = FollowupdCommand
    group_class = type  # subgroups are FollowupdGroups as well

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_verbosity_options())

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and not ctx.resilient_parsing:  # called bare: the help, as a success
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)
