"""The ``followupd`` command line: the group in :mod:`daemon.cli.app`, the commands in the
modules beside it (importing them registers them)."""

from daemon.cli import (  # noqa: F401  (registers the commands)
    checking,
    corrections,
    manpage,
    repair,
    service,
    setup,
    unit,
)
from daemon.cli.app import main

__all__ = ["main"]
