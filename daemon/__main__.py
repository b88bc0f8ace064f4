"""``python -m daemon`` is ``followupd``."""

from daemon.cli import main

main()
