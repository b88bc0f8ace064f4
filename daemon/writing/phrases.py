"""The languages drafts can be written in: one folder each under ``languages/<code>/``.

Why a registry of folders: adding a language must be exactly one folder holding the four
templates (``thank_you.txt.j2``/``.html.j2``, ``status_inquiry.txt.j2``/``.html.j2``) and one
``phrases.toml``, the table of everything language-specific that Python decides rather than
the templates: the greetings per salutation style and how the language writes honorifics
(:func:`daemon.writing.prose.address_parts`), the closing line, the dates (a Babel locale and
CLDR pattern), the headings that open a notes block (:mod:`daemon.writing.notes`), title words
that make an event an interview, and a few common words to tell the language of a note
(:mod:`daemon.writing.notelang`). ``languages/en/phrases.toml`` documents every key.

A folder without a complete set is not a language: :func:`load` says what is missing, so a
half-added language fails ``followupd check`` and the tests rather than a draft.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from daemon.errors import FollowupdError

DEFAULT = "en"
TEMPLATES = ("thank_you.txt.j2", "thank_you.html.j2", "status_inquiry.txt.j2",
             "status_inquiry.html.j2")  # fmt: skip
GREETING_KEYS = ("first_name", "formal", "full", "nobody")


class LanguageError(FollowupdError):
    """A language folder that cannot be used, with what is wrong in which file."""


@dataclass(frozen=True)
class Language:
    """One language's phrase table (``phrases.toml``) and where its templates are."""

    code: str  # the folder name: "de"
    name: str  # "German", for messages to the user
    locale: str  # Babel's locale: "de_DE"
    date_format: str  # CLDR pattern of a long date: "EEEE, d. MMMM"
    short_date_format: str  # without the weekday, for "by March 31", "bis zum 31. März"
    greetings: Mapping[str, str]  # first_name, formal, formal_f/_m/_x, full, nobody
    honorifics: Mapping[str, str]  # meaning (f, m, x, dr, prof, mrs, miss) -> this language's word
    combine: str  # "highest" (one form: "Dr.") or "all" ("Frau Dr.")
    closing: Mapping[str, str]  # per salutation style
    kinds: Mapping[str, str]  # interview kinds (prose.interview_kind) in this language
    note_headings: tuple[str, ...]
    interview_keywords: tuple[str, ...]
    stopwords: frozenset[str]
    letters: str  # characters typical of the language ("äöüß")
    # German capitalises its nouns: a phrase of several words all in lower case is no German
    # (as people type notes: "leading incident reviews" is English, not a German highlight).
    nouns_capitalised: bool
    folder: Traversable

    def template(self, name: str) -> Traversable:
        return self.folder / name

    def short_date(self, day: date) -> str:
        """ "March 31", "31. März": a date in a sentence, without its weekday."""
        from babel.dates import format_date

        return format_date(day, self.short_date_format, locale=self.locale)


def _root() -> Traversable:
    return resources.files("daemon.writing") / "languages"


def load(folder: Traversable, code: str | None = None) -> Language:
    """The language in ``folder``; :class:`LanguageError` naming the file and key at fault."""
    code = code or folder.name
    where = f"daemon/writing/languages/{code}"
    missing = [n for n in (*TEMPLATES, "phrases.toml") if not (folder / n).is_file()]
    if missing:
        raise LanguageError(f"{where}: missing {', '.join(missing)}; a language needs all of "
                            f"{', '.join((*TEMPLATES, 'phrases.toml'))}")  # fmt: skip
    try:
        table: dict[str, Any] = tomllib.loads((folder / "phrases.toml").read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise LanguageError(f"{where}/phrases.toml: {err}") from None

    def need(key: str, kind: type, parent: Mapping[str, Any] = table, label: str = "") -> Any:
        value = parent.get(key)
        if not isinstance(value, kind):
            raise LanguageError(
                f"{where}/phrases.toml: {label}{key}: expected a {kind.__name__}, got {value!r}"
            )
        return value

    greetings = need("greetings", dict)
    for key in GREETING_KEYS:
        need(key, str, greetings, "[greetings].")
    honorifics = dict(need("honorifics", dict))
    combine = honorifics.pop("combine", "highest")
    if combine not in ("highest", "all"):
        raise LanguageError(
            f"{where}/phrases.toml: [honorifics].combine: expected 'highest' or 'all', "
            f"got {combine!r}"
        )
    closing = need("closing", dict)
    for key in ("first_name", "formal"):
        need(key, str, closing, "[closing].")
    locale = need("locale", str)
    from babel import Locale, UnknownLocaleError  # here: config imports this module at start

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError) as err:
        raise LanguageError(f"{where}/phrases.toml: locale: {err}") from None
    return Language(
        code=code,
        name=need("name", str),
        locale=locale,
        date_format=need("date_format", str),
        short_date_format=need("short_date_format", str),
        kinds={str(k): str(v) for k, v in table.get("kinds", {}).items()},
        greetings=dict(greetings),
        honorifics={k: str(v) for k, v in honorifics.items()},
        combine=combine,
        closing=dict(closing),
        note_headings=tuple(h.lower() for h in need("note_headings", list)),
        interview_keywords=tuple(k.lower() for k in table.get("interview_keywords", [])),
        stopwords=frozenset(str(table.get("stopwords", "")).casefold().split()),
        letters=str(table.get("letters", "")),
        nouns_capitalised=bool(table.get("nouns_capitalised", False)),
        folder=folder,
    )


def discover(root: Traversable | Path) -> dict[str, Language]:
    """Every language folder under ``root`` (a folder per code), by code, sorted."""
    root = root if isinstance(root, Traversable) else Path(root)
    found = sorted((f for f in root.iterdir() if f.is_dir() and not f.name.startswith(("_", "."))),
                   key=lambda f: f.name)  # fmt: skip
    return {f.name: load(f) for f in found}


@functools.cache
def shipped() -> dict[str, Language]:
    """The languages this installation ships (read once per process)."""
    return discover(_root())


def codes() -> tuple[str, ...]:
    return tuple(shipped())


def get(code: str | None) -> Language:
    """The shipped language ``code`` (the default one for None)."""
    try:
        return shipped()[code or DEFAULT]
    except KeyError:
        raise LanguageError(
            f"unknown draft language {code!r}; expected one of {', '.join(codes())} "
            "(a folder under daemon/writing/languages/)"
        ) from None


__all__ = ["DEFAULT", "TEMPLATES", "Language", "LanguageError", "codes", "discover", "get",
           "load", "shipped"]  # fmt: skip
