"""What SIGHUP does to ``followupd run``: read the config again and build what runs from it.

Why check before replacing: a config edited in place is often half-done, and a daemon that died
on a typo would draft nothing until someone looked. So the new file is validated the way
``followupd check`` validates config and templates (without asking any server), and only a
config that passes gets its engine built — store opened, accounts set up — while the old one is
still running. Any problem leaves the running config in place; :class:`~daemon.running.service.Service`
logs it and carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from daemon import config as config_mod
from daemon import logsetup
from daemon.clock import Clock
from daemon.config import Config
from daemon.errors import ConfigError
from daemon.notify.fanout import Fanout
from daemon.running.engine import Engine
from daemon.writing.render import Renderer

log = logging.getLogger(__name__)


def renderer_for(config: Config) -> Renderer:
    t, s = config.thank_you, config.status_inquiry
    return Renderer(t.template, t.html_template, s.template, s.html_template)


def build_engine(config: Config, clock: Clock, renderer: Renderer | None = None) -> Engine:
    """The engine for ``config``: its store opened (and migrated), its accounts set up (a
    renamed one taking over its history first), its notifiers (so SIGHUP picks up [notify])."""
    from daemon.running.accounts import connect_all
    from daemon.store.database import open_store

    sessions = open_store(config.daemon.database, config.daemon.concurrency + 4)
    connections = connect_all(config, clock, sessions)
    return Engine(
        config, sessions, connections, clock, renderer or renderer_for(config), notifier_for(config)
    )


def notifier_for(config: Config) -> Fanout:
    """The notifiers of ``[notify]``; the log says once which of them cannot work here."""
    notifier = Fanout.from_settings(config.notify)
    notifier.log_unavailable()
    return notifier


class Reloader:
    """Loads the config file again for a running daemon; remembers which one is in use."""

    def __init__(
        self,
        path: Path | None,
        current: Config,
        clock: Clock,
        verbosity: int = logsetup.NORMAL,
        build: Callable[[Config, Clock, Renderer], Engine] = build_engine,
    ) -> None:
        self.path = path
        self.current = current
        self.clock = clock
        self.verbosity = verbosity  # the command line's -q/-v still win after a reload
        self._build = build

    def load(self) -> Engine:
        """The engine for the config file as it is now, or :class:`ConfigError` with every
        problem of it (a :class:`~daemon.errors.FollowupdError` when the store fails to open)."""
        config = config_mod.load(self.path)
        problems: list[str] = []
        if config.daemon.state_dir != self.current.daemon.state_dir:
            # The instance lock is held in the old folder, and tokens live there: moving the
            # state of a running daemon would let a second one start on the old folder.
            problems.append(
                f"{config.path.name}: [daemon].state_dir: changed from "
                f"{self.current.daemon.state_dir} to {config.daemon.state_dir}; a reload cannot "
                "move the state: restart followupd to use the new folder"
            )
        renderer = renderer_for(config)
        problems += [f"template: {problem}" for problem in renderer.check()]
        if problems:
            raise ConfigError(problems)
        return self._build(config, self.clock, renderer)

    def applied(self, config: Config) -> None:
        """``config`` is the one running now (its log level too)."""
        self.current = config
        logsetup.setup(config.daemon.log_level, self.verbosity)
