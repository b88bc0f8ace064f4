"""English grammar for the sentences :mod:`daemon.writing.compose_en` composes from notes.

Kept apart from the frames because these are small, pure rules about English words, each easy
to test and to get wrong: which words of a note are shouting ("HUGE"), whether a note is a
clause ("the team uses Go") or a noun phrase ("the hiring plan"), how "she leads her team"
reads in the draft to her ("you lead your team"), when a bare noun phrase wants "the".
"""

from __future__ import annotations

import functools
import re
from typing import Any

from daemon.writing.compose import Names

MAX_WORDS = 22  # a mention longer than this is cut at a list boundary


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


SUBJECTS = {"she": "she", "he": "he", "they": "they", "we": "we", "i": "I", "you": "you",
             "it": "it", "there": "there"}  # fmt: skip
AUX = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|can|could|should|may|might|must|does|do|"
    r"did|wants|plans|needs|uses|runs|leads|owns|manages|builds|works|joined|moved|started|"
    r"built|hopes|expects|thinks|believes|reports|sits|covers|includes|involves|focuses|"
    r"requires|pays|offers|starts|means|looks|seems|sounds|depends|handles|ships|deploys|"
    r"supports|wanted|needed|said|'s|'re|'ll)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(?:that|which|who|where|when)\s+\S+$", re.IGNORECASE)
_LOWER_FIRST = _wordset(
    "she he they it the a an their his her our your my its this that these those some all both each every "
    "how what why whether when where which who lots plenty team teams company product roadmap "
    "culture architecture stack process hiring onboarding pricing migration infrastructure "
    "platform code system systems data design interview role career growth tech technical "
    "engineering management leadership budget remote hybrid office benefits salary tooling "
    "testing security performance scaling reliability monitoring observability their "
    "on-call oncall deployment deployments release releases mentoring mentorship"
)  # fmt: skip
_EMPHASIS = _wordset(
    "really very super so huge great good awesome amazing love loved like liked lots totally "
    "definitely absolutely important cool nice big"
)  # fmt: skip
_ABBREVIATIONS = (
    (r"\bw/o\b", "without"), (r"\bw/", "with "), (r"\bb/c\b", "because"), (r"\s&\s", " and "),
    (r"\bconvo\b", "conversation"), (r"\bre:\s*", "about "), (r"\bppl\b", "people"),
    (r"\bthru\b", "through"), (r"\btmrw\b", "tomorrow"), (r"\binfo\b", "information"),
    (r"\s*(?:->|→|=>|⇒)\s*", " to "), (r"\byrs\b", "years"), (r"\bmos\b", "months"), (r"\beng\b", "engineering"),
)  # fmt: skip


def plain(text: str) -> str:
    """Shouting and shorthand gone: "HUGE kafka migration w/ the team" -> "huge kafka
    migration with the team". A note written wholly in capitals keeps only what is no English
    word (API, SRE) in capitals."""
    for pattern, repl in _ABBREVIATIONS:
        text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    words = text.split()
    letters = [c for c in text if c.isalpha()]
    shouting = letters and all(c.isupper() for c in letters) and len(letters) > 6
    out = []
    for word in words:
        core = word.strip(".,;:!?\"'()")
        if (
            core.isupper()
            and len(core) > 1
            and (core.lower() in _EMPHASIS or (shouting and _is_word(core)))
        ):
            word = word.replace(core, core.lower())
        out.append(word)
    return " ".join(out)


def _is_word(word: str) -> bool:
    """Whether ``word`` is an English word (LAG, KAFKA) rather than an acronym (API, SRE), by
    pyspellchecker's English dictionary; loaded only for notes written in capitals."""
    return _dictionary().word_usage_frequency(word.lower()) > 0


@functools.cache
def _dictionary() -> Any:
    from spellchecker import SpellChecker

    return SpellChecker()


def lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if re.split(r"['’]", first.lower())[0].strip(",") in _LOWER_FIRST and not first.isupper():
        return first.lower() + text[len(first) :]
    return text


def shorten(text: str) -> str:
    """A long note cut at its list: the first two items, or the first clause."""
    if len(text.split()) <= MAX_WORDS:
        return text
    items = [i.strip() for i in re.split(r",\s*(?:and\s+|then\s+)?|;\s*", text) if i.strip()]
    if len(items) > 1:
        second = re.sub(r"^(?:and|then)\s+", "", items[1])
        two = f"{items[0]} and {second}"
        if len(two.split()) <= MAX_WORDS and not re.match(
            r"^(?:which|who|that|where|when|plus|but|so|because|since|though)\b", second, re.I
        ):
            return two
        if len(items[0].split()) <= MAX_WORDS:
            return items[0]
    return ""


# --- pronouns: the note says "she", the draft is to her ----------------------------------
_TO_YOU = {"she": "you", "he": "you", "her": "your", "his": "your", "him": "you",
           "herself": "yourself", "himself": "yourself", "they": "you", "their": "your",
           "them": "you", "theirs": "yours", "themselves": "yourselves", "she's": "you're",
           "he's": "you're", "they're": "you're", "she'll": "you'll", "he'll": "you'll",
           "they'll": "you'll", "she'd": "you'd", "he'd": "you'd"}  # fmt: skip
_THEY_ONLY = {"they", "their", "them", "theirs", "themselves", "they're", "they'll"}
_VERB_FIX = {"is": "are", "was": "were", "has": "have", "does": "do", "isn't": "aren't",
             "wasn't": "weren't", "hasn't": "haven't", "doesn't": "don't"}  # fmt: skip
_ADVERBS = _wordset("also just now really currently recently still already mostly often "
                     "personally basically actually even")  # fmt: skip
_OBJECT_AFTER = _wordset(
    "to for with about from at by on in of into than like asked told showed gave "
    "thanked helped met and or"
)  # fmt: skip


def _base_form(verb: str) -> str:
    """ "rebuilds" -> "rebuild", "carries" -> "carry", "watches" -> "watch"."""
    low = verb.lower()
    if low in _VERB_FIX:
        return _VERB_FIX[low]
    if low.endswith("ies") and len(low) > 4:
        return verb[:-3] + "y"
    if re.search(r"(?:ch|sh|ss|x|zz|o)es$", low):
        return verb[:-2]
    if low.endswith("s") and not low.endswith(("ss", "us", "is")):
        return verb[:-1]
    return verb


def to_second_person(text: str, names: Names, shift_she: bool) -> str:
    """Third person about the recipient made second person: "she leads her team" -> "you
    lead your team"; "Jane's team" -> "your team". They/their (the company, the team) become
    you/your in every draft; she/he only when the note is about this recipient."""
    for name in sorted(names.words, key=len, reverse=True):
        if shift_she:
            text = re.sub(rf"\b{re.escape(name)}['’]s\b", "your", text)
            text = re.sub(rf"\b{re.escape(name)}\b(?=\s+(?:is|was|has|does)\b)", "she", text)
    words = text.split(" ")
    out: list[str] = []
    subject = False
    shifted = False  # a she/he became "you": "and wants" after it becomes "and want"
    for index, word in enumerate(words):
        core = word.strip(',.;:!?()"')
        low = core.lower()
        new = _TO_YOU.get(low)
        if new and (shift_she or low in _THEY_ONLY):
            if low == "her":
                after = words[index + 1].lower() if index + 1 < len(words) else ""
                before = out[-1].lower() if out else ""
                new = "you" if (not after or after in _OBJECT_AFTER or before in
                                ("asked", "told", "showed", "gave", "thanked", "to", "with",
                                 "for", "about")) else "your"  # fmt: skip
            after = words[index + 1].lower() if index + 1 < len(words) else ""
            if low in ("she's", "he's") and (after == "been" or re.fullmatch(r"\w+ed", after)):
                new = "you've"  # "she's been here" is "she has been here"
            if core[:1].isupper() and index == 0:
                new = new.capitalize()
            out.append(word.replace(core, new))
            subject = low in ("she", "he", "they")
            shifted = shifted or low in ("she", "he")
            continue
        if shifted and out and out[-1].lower() in ("and", "but", "or") and AUX.fullmatch(low):
            subject = True
        if subject and low in _ADVERBS:
            out.append(word)
            continue
        if subject:
            word = word.replace(core, _base_form(core))
        subject = False
        out.append(word)
    return " ".join(out)


def is_clause(text: str) -> bool:
    """A sentence with its own subject and verb: "she is rebuilding X", "the team uses Go"."""
    first = text.split(" ", 1)[0].lower()
    if first in SUBJECTS or re.match(r"^(?:she|he|they|we|i|you|it)['’](?:s|re|ll|d|ve)\b",
                                      first):  # fmt: skip
        return True
    head = text.split()[:6]
    for index, word in enumerate(head[1:], 1):
        before = " ".join(head[:index])
        if AUX.fullmatch(word.lower()) and not _RELATIVE.search(before):
            # "the way he runs retros" is a noun phrase with a clause inside, not a clause
            return index <= 4 and not re.search(r"\b(?:she|he|they|we|i|you)$", before, re.I)
    return False


_DO_QUESTION = re.compile(
    r"^(?P<wh>how|why|what|where|when|which\s+\w+)\s+(?P<do>do|does)\s+"
    r"(?P<subject>they|you|we|she|he|the\s+team|your\s+team)\s+(?P<verb>[a-z]+)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
_MASS = _wordset(
    "work data code feedback research software hardware equity pay compensation culture "
    "growth leadership management ownership security performance documentation infrastructure "
    "tooling stuff time experience burnout travel governance compliance observability "
    "reliability architecture python go rust java kotlin scala typescript javascript"
)  # fmt: skip


def undo_question(text: str, about: bool) -> str:
    """ "how do they handle on-call" -> "how they handle on-call"; "how does she scale it" ->
    "how she scales it" (the draft then makes it "how you scale it" where it is to her)."""
    m = _DO_QUESTION.match(text)
    if not m:
        return text
    verb = m["verb"]
    if m["do"].lower() == "does":
        verb = verb + ("es" if re.search(r"(?:ch|sh|ss|x|o)$", verb) else "s")
        verb = re.sub(r"([^aeiou])ys$", r"\1ies", verb)
    return f"{m['wh']} {m['subject']} {verb}{m['rest']}"


def article(np: str) -> str:
    """ "on-call rotation" -> "the on-call rotation": a bare singular noun phrase reads as
    notes do, not as prose. Plurals, mass nouns, names and phrases with a determiner stay."""
    words = np.split()
    if len(words) < 2 or DETERMINERS.match(np) or re.match(r"^\d", np):
        return np
    if _GERUND_PHRASE.match(np):  # "moving the billing system ...": an activity, no article
        return np
    if re.search(r"['’]s$", words[0]) or words[0][:1].isupper() and words[1][:1].isupper():
        return np
    head = next(
        (w for w, nxt in zip(words, [*words[1:], ""], strict=True)
         if nxt.lower() in ("", "for", "of", "in", "at", "on", "with", "to", "from", "and")),
        words[-1],
    )  # fmt: skip
    head = head.strip("\"'“”,").lower()
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is"))  # not "process"
    if plural or head.endswith("ing") or head in _MASS:
        return np
    return "the " + np


# A verb in -ing followed by its object or a preposition ("moving the billing system to event
# sourcing", "scaling our API", "working with legacy code"), unlike a noun in -ing that heads a
# compound ("onboarding process", "billing migration"), which takes an article.
_GERUND_PHRASE = re.compile(
    r"^[a-z]+ing\s+(?:the|a|an|my|our|your|their|his|her|its|this|that|these|those|it|them|"
    r"to|with|from|into|on|across|between|through|for|up|out|off|away|over)\b",
    re.IGNORECASE,
)
DETERMINERS = re.compile(r"^(?:the|a|an|my|our|your|their|his|her|this|that|some|any|"
                          r"them|you|him|it|over|\d+)\b", re.IGNORECASE)  # fmt: skip
