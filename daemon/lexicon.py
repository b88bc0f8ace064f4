"""Which words a language knows: the offline dictionaries of pyspellchecker, loaded once.

Why a module of its own: two unrelated decisions need to know whether a word is a word.
Detection asks it of a display name that equals its address ("marco" <marco@...> is a
name; "jsmith" <jsmith@...> is a login the mail client filled in), and proofreading
(:mod:`daemon.writing.proofread`) asks it of the user's notes. Loading a dictionary takes
about half a second and some megabytes, so each language is loaded on first use and kept.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spellchecker import SpellChecker

# The dictionaries pyspellchecker ships, by the language codes drafts use.
LANGUAGES = frozenset({"en", "de", "es", "fr", "it", "pt", "nl", "ru", "ar", "eu", "lv", "fa"})


@lru_cache(maxsize=4)
def dictionary(language: str) -> SpellChecker | None:
    """The spell checker for ``language`` ("en", "de"), or None when none is shipped."""
    if language not in LANGUAGES:
        return None
    from spellchecker import SpellChecker

    return SpellChecker(language=language, case_sensitive=False)


def knows(word: str, language: str = "en") -> bool:
    """``word`` is in ``language``'s dictionary (case ignored); False without a dictionary."""
    checker = dictionary(language)
    return checker is not None and word.lower() in checker


def frequency(word: str, language: str = "en") -> float:
    """How often ``word`` occurs in ``language``'s corpus (0.0 when unknown)."""
    checker = dictionary(language)
    if checker is None or word.lower() not in checker:
        return 0.0
    return float(checker.word_usage_frequency(word.lower()))


__all__ = ["LANGUAGES", "dictionary", "frequency", "knows"]
