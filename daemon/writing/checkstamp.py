"""Whether a start must check the templates again, or they passed with everything as it is now.

``run`` refuses to start on a template that ``check`` rejects (:meth:`Renderer.check` compiles
every template of every language and renders each with sample data), rather than fail every
draft that falls due. That costs about 0.2 s of CPU, a fifth of an unchanged ``run --once``
started from a timer, and its outcome can only change with what goes into it:

- the template texts (:meth:`Renderer.fingerprint`: the user's files, what they include, the
  shipped languages);
- followupd's own code (the sample data, the filters, the bounded compiler), known by each
  module's size and modification time: an upgrade or a checkout changes them;
- Python and the libraries that compile and format (jinja2, babel).

So a passing check leaves a stamp of all three in the state folder, and a start whose stamp is
the same skips the check. A failing check leaves none: the next start checks again and says
the same. The stamp is a cache and nothing else: deleting it costs one check.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from pathlib import Path

import babel
import jinja2

import daemon
from daemon.paths import write_private
from daemon.writing.render import Renderer

log = logging.getLogger(__name__)

STAMP = "templates-checked"
CODE = Path(daemon.__file__).resolve().parent


def stamp(renderer: Renderer, code: Path = CODE) -> str:
    """The digest a passing check of ``renderer`` is recorded under."""
    h = hashlib.sha256()
    h.update(f"{renderer.fingerprint()}\0{sys.version}\0{jinja2.__version__}\0".encode())
    h.update(f"{babel.__version__}\0".encode())
    for folder, subfolders, files in os.walk(code):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(folder, name)
            try:
                status = os.stat(path)
            except OSError:  # gone while an upgrade replaces it: a stamp of its own
                h.update(f"{path}\0gone\0".encode())
                continue
            h.update(f"{path}\0{status.st_mtime_ns}\0{status.st_size}\0".encode())
    return h.hexdigest()


def check_unless_stamped(renderer: Renderer, state_dir: Path, record: bool = True) -> list[str]:
    """:meth:`Renderer.check`'s problems, or none without checking when the stamp in
    ``state_dir`` says these templates passed under this code. A pass is stamped when
    ``record`` (a dry run writes nothing)."""
    path = state_dir / STAMP
    now = stamp(renderer)
    try:
        if path.read_text(encoding="ascii") == now:
            return []
    except (OSError, UnicodeDecodeError):
        pass  # no stamp yet, or one we cannot read: check
    problems = renderer.check()
    if not problems and record:
        try:
            write_private(path, now.encode("ascii"))
        except OSError as err:  # a read-only state folder: the next start checks again
            log.debug("could not record the templates' check in %s: %s", path, err)
    return problems


__all__ = ["STAMP", "check_unless_stamped", "stamp"]
