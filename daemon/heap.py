"""The garbage collector and the daemon's start-up objects.

Python's full collections walk every object that can hold references, and a first sync of a
big calendar runs several of them while it parses events and builds the store's rows. About a
third of the objects they walked were the start-up's: the modules, SQLAlchemy's mappers and
compiled statements, the config. None of them ever becomes garbage, so once the daemon is
ready they are moved out of the collector's way (:func:`gc.freeze`); a 10,000-event first
``run --once`` spent 1.1 s of its 6.6 s CPU in full collections, and half as much after.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup() -> None:
    """Leave the objects that exist now out of every later collection; once per process.

    Once, because what a long-lived process (a test run calling the CLI again and again)
    made since its start-up includes garbage, which a frozen object would never be."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
