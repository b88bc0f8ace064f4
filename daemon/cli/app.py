"""The ``followupd`` command group and what every command shares.

Every command loads the config first; a broken config is reported (all problems at once) and
exits with status 2 before anything else happens. Errors the user can act on are printed as
one clear line, never as a traceback (``-vv`` adds the traceback for bug reports).

The commands live beside this module by what they are for: :mod:`daemon.cli.setup` (init,
demo, check, auth), :mod:`daemon.cli.service` (run, status, preview),
:mod:`daemon.cli.corrections` (note, skip, unskip, redraft: what the user says about an
interview), :mod:`daemon.cli.noteform` (the note form) and :mod:`daemon.cli.repair` (retry:
failed follow-ups tried again).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from daemon import __version__, logsetup, paths
from daemon.cli import console
from daemon.cli.group import FollowupdGroup, verbosity
from daemon.clock import Clock
from daemon.errors import ConfigError, FollowupdError

# The rest (SQLAlchemy, Alembic, Jinja2, rich, APScheduler, the providers' libraries) is
# imported by the commands that use it: start-up time is paid by every command, including
# ``--version`` and ``--help``, and by every start of the daemon.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from daemon import config as config_mod
    from daemon.running.engine import Engine
    from daemon.store.models import Interview
    from daemon.writing.render import Renderer

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Turn followupd's own errors into one clear message and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as err:
            console.err.print("[bold red]Configuration problems:[/]", highlight=False)
            for problem in err.problems:
                console.err.print(f"  - {problem}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(2)
        except FollowupdError as err:
            if logsetup.tracebacks():
                log.debug("details", exc_info=True)
            console.err.print(f"followupd: {err}", markup=False, highlight=False, soft_wrap=True)
            sys.exit(1)
        except OSError as err:  # the world's (permissions, read-only, full disk): one line
            from daemon.worlderrors import world_error

            if isinstance(err, BrokenPipeError):
                raise  # `followupd status | head -1`: click ends quietly, as a pipe expects
            if logsetup.tracebacks():
                log.debug("details", exc_info=True)
            line = f"followupd: {world_error(err)}"
            console.err.print(line, markup=False, highlight=False, soft_wrap=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class Runtime:
    """What the commands need, built lazily from the config file."""

    def __init__(self, config_path: Path | None, verbosity: int = logsetup.NORMAL) -> None:
        self.config_path = config_path
        self.verbosity = verbosity  # -q, nothing, -v, -vv (logsetup.QUIET ... EVERYTHING)
        self._config: config_mod.Config | None = None
        self._renderer: Renderer | None = None

    @property
    def config(self) -> config_mod.Config:
        if self._config is None:
            from daemon import config as config_mod

            self._config = config_mod.load(self.config_path)
            self.log()
        return self._config

    def log(self) -> None:
        """Logging as the flags say, else as the config (once it is loaded) says."""
        level = self._config.daemon.log_level if self._config is not None else "info"
        logsetup.setup(level, self.verbosity)

    def sessions(self) -> sessionmaker[Session]:
        from daemon.store.database import open_store

        return open_store(self.config.daemon.database, self.config.daemon.concurrency + 4)

    def renderer(self) -> Renderer:
        from daemon.running.reload import renderer_for

        if self._renderer is None:
            self._renderer = renderer_for(self.config)
        return self._renderer

    def checked_renderer(self, record: bool = True) -> Renderer:
        """The renderer, once its templates render with sample data: ``run`` refuses to
        start on a template ``check`` rejects (a ConfigError naming file and line, exit 2),
        rather than fail every draft that falls due. A check that passed before with the same
        templates and code is not repeated (:mod:`daemon.writing.checkstamp`); ``record``:
        stamp a pass."""
        from daemon.writing.checkstamp import check_unless_stamped

        renderer = self.renderer()
        state_dir = self.config.daemon.state_dir
        problems = [
            f"template: {problem}"
            for problem in check_unless_stamped(renderer, state_dir, record=record)
        ]
        if problems:
            raise ConfigError(problems)
        return renderer

    def engine(self, clock: Clock) -> Engine:
        from daemon.running.reload import build_engine

        return build_engine(self.config, clock, self.renderer())


pass_runtime = click.make_pass_decorator(Runtime)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(
    cls=FollowupdGroup,
    context_settings=CONTEXT,
    epilog=(
        "Run 'followupd COMMAND --help' for a command's options and examples; "
        "'man followupd' for all of it."
    ),
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="FOLLOWUPD_CONFIG",
    help=f"Config file (default: {paths.default_config_file()}).",
)
@click.option(
    "--color",
    type=click.Choice(console.COLOR_CHOICES),
    default="auto",
    show_default=True,
    help="Colour the output: auto = on a terminal, unless NO_COLOR is set.",
)
@click.version_option(__version__, "-V", "--version", prog_name="followupd")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, color: str) -> None:
    """followupd drafts interview thank-you notes and polite status inquiries in your own
    mailbox. It never sends anything: you review, edit and send the drafts yourself.

    \b
    Examples:
      followupd demo                 try it on a demo calendar and Maildir
      followupd init                 write a starter config, then edit it
      followupd check                config, templates, accounts: all right?
      followupd run --once           one poll, the drafts that are due, a summary
      followupd status               interviews, follow-ups and when they are due
      followupd service install      run it in the background (systemd)
    """
    paths.owner_only_umask()  # whatever the shell's umask or systemd's UMask= say
    console.start(color)
    ctx.obj = Runtime(config_path, verbosity(ctx))
    ctx.obj.log()


def interview_or_fail(session: Any, interview_id: int) -> Interview:
    from daemon.store.models import Interview

    interview = session.get(Interview, interview_id)
    if interview is None:
        raise FollowupdError(f"no interview with id {interview_id} (see 'followupd status')")
    return interview
