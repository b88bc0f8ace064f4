"""The ``followupd`` command line: the group in :mod:`daemon.cli.app`, the commands in the
modules beside it (importing them registers them)."""

from daemon.cli import corrections, repair, service, setup, unit  # noqa: F401  (registers the commands)
from daemon.cli.app import main

__all__ = ["main"]
