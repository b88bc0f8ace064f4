"""A digest of every template text a draft may be rendered from, now.

Why: a follow-up that failed on a template is retried once the templates change
(:mod:`daemon.drafting.failures`), and "changed" must mean what the drafts depend on, not any file
that happens to sit beside a template (the demo keeps its state database there, and that
changes at every run). So the digest covers exactly:

- the shipped languages' folders (templates and ``phrases.toml``): an upgrade may fix them;
- the user's own template files, and every template they pull in by name through
  ``{% include %}``, ``{% extends %}``, ``{% import %}`` or ``{% from %}``, followed
  recursively; a name given by an expression (not a string) brings in every ``*.j2`` file of
  the user's template folders, the only ones the loader could reach.

A file that is missing or unreadable is part of the digest as such, so creating it is a change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import jinja2
from jinja2 import meta

from daemon.errors import TemplateError
from daemon.writing import phrases
from daemon.writing.phrases import Language

MAX_LISTED = 500  # *.j2 files per folder read for a name given by an expression


def digest(
    env: jinja2.Environment,
    user: Iterable[str],
    folders: Iterable[str],
    languages: Mapping[str, Language],
) -> str:
    """The hex digest of the templates ``env`` renders for the user's slot names ``user``
    (found through the loader, from the folders ``folders``) and of ``languages``."""
    h = hashlib.sha256()
    for code, language in sorted(languages.items()):
        for name in (*phrases.TEMPLATES, "phrases.toml"):
            h.update(f"\0language {code}/{name}\0".encode())
            try:
                h.update(language.template(name).read_bytes())
            except OSError:
                h.update(b"\0missing")
    todo, seen, dynamic = sorted(user), set(), False
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        h.update(f"\0template {name}\0".encode())
        try:
            source, _filename, _uptodate = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except (jinja2.TemplateNotFound, TemplateError):
            h.update(b"\0missing")
            continue
        h.update(source.encode("utf-8", "surrogatepass"))
        try:
            found = list(meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            continue  # the text itself is in the digest; what it includes is unknown yet
        dynamic = dynamic or None in found
        todo += sorted(n for n in found if n is not None and n not in seen)
    if dynamic:
        for folder in sorted(folders):
            files = sorted(Path(folder).glob("**/*.j2"))[:MAX_LISTED]
            for path in files:
                h.update(f"\0file {path}\0".encode())
                try:
                    h.update(path.read_bytes())
                except OSError:
                    h.update(b"\0unreadable")
    return h.hexdigest()


__all__ = ["digest"]
