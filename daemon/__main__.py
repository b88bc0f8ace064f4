"""``python -m daemon`` is ``followupd``."""

from daemon.cli import main

main(prog_name="followupd")  # not "python -m daemon": help, completion (_FOLLOWUPD_COMPLETE)
