"""The garbage collector while the engine works.

Python's full collections walk every object that can hold references, and a first sync of a
big calendar ran nine of them while it parsed events and built the store's rows: 1.1 s of the
6.6 s CPU of a 10,000-event first ``run --once``. Two things made them costly, and both are
changed for as long as the engine works (:func:`for_work`):

* about a third of the objects they walked were the start-up's (the modules, SQLAlchemy's
  mappers and compiled statements, the config), none of which becomes garbage: they are
  frozen out of the collector's way (:func:`gc.freeze`), which halved the cost;
* a full collection came after every ten collections of the middle generation, that is
  every few thousand surviving objects while rows are built by the thousand: it now comes
  after a hundred (the collector's own rule still waits until the long-lived objects grew by
  a quarter). Cycles die young, in the two younger generations, which run as before; a
  10,000-event first run then makes no full collection, 0.3 to 0.6 s less CPU;
* the youngest generation was collected every 700 allocations, which a thousand accounts'
  first cycle did 7,500 times (and the middle generation 680 times): 4.7 s of its CPU for
  objects that mostly die young anyway. It is collected every 10,000 now: 620 and 55 times,
  3.1 s, and the cycle's peak memory was no higher (248 MB against 278).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Collections of the middle generation between two full collections (Python's default: 10).
FULL_EVERY = 100
# Allocations (less deallocations) between two collections of the youngest generation
# (Python's default: 700).
YOUNG_EVERY = 10_000


@contextmanager
def for_work() -> Iterator[None]:
    """Freeze the objects that exist now and space out collections until the block ends.

    Both are handed back when it ends, so that what the start-up left in reference cycles
    (the database's connections among them: closing one is what checkpoints SQLite's
    write-ahead log into the file) is finalised at exit as before, and a process that runs
    again (a test calling the CLI) freezes no garbage for good."""
    young, middle, full = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(young, YOUNG_EVERY), middle, max(full, FULL_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(young, middle, full)
        gc.unfreeze()
