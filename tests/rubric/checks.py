"""RUBRIC.md as code: every item a program can check, on one draft as it lands in the mailbox.

Why a module of its own: issue 10 is done when every draft of a large scenario table meets
``../shared/RUBRIC.md``; that needs an instrument that says, per draft, which items fail and
why, so that a report can count failures per item and a developer can see what to fix. The
checks are deliberately the *floor* (RUBRIC.md says so): they catch the known-bad forms seen on
real output and the missing parts, not every clumsy sentence.

A check gets the draft (the parsed ``EmailMessage``, and its raw bytes where the header encoding
matters) and an :class:`Expectation`: what the scenario knows and the draft should reflect
(who it is to, company, role, the notes the user gave, a noted decision date, language,
salutation style, the sent message an inquiry replies to). Each returns :class:`Failure` values
naming the rubric item and a one-line reason. Items 10 (a panel reads as individual notes)
and 1's "one draft per interviewer" span several drafts: see :func:`check_panel` and
:func:`check_recipients`.

Language-specific words live in one table, :data:`LANGUAGES` (English and German); a new
language is one more :class:`Phrases` entry.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

# ------------------------------------------------------------------------------------------
# What a check returns, and what it is told
# ------------------------------------------------------------------------------------------

ITEMS: dict[int, str] = {
    1: "recipient",
    2: "greeting",
    3: "thanks, role and company",
    4: "something specific",
    5: "interest and fit",
    6: "next steps",
    7: "offer",
    8: "concise",
    9: "clean",
    10: "panel reads as individual notes",
    11: "professional tone",
    12: "well-formed mail",
    13: "inquiry only after a sent message",
    14: "inquiry in the thread",
    15: "inquiry polite and patient",
    16: "in the user's language",
}


@dataclass(frozen=True)
class Failure:
    """One rubric item a draft does not meet, with a one-line reason a developer can act on."""

    item: int
    why: str

    def __str__(self) -> str:
        return f"item {self.item} ({ITEMS.get(self.item, '?')}): {self.why}"


@dataclass(frozen=True)
class Note:
    """A note the user gave, and how to see that it reached the draft.

    ``anchor`` is a word or short phrase of the note that a draft using it must contain
    (case-insensitive): what it is about, not its lead-in ("the billing migration" -> "billing").
    ``about`` is the interviewer's address, or None for a note about the whole interview.
    ``language`` is the note's own language: a note in another language than the draft's must
    be flagged, not pasted (RUBRIC 9 and 16), so it is not required to appear.
    """

    text: str
    anchor: str
    about: str | None = None
    language: str = "en"


@dataclass(frozen=True)
class Decision:
    """A decision date the user noted, and the words they used for it ("end of month")."""

    day: date
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Addressee:
    """Who a draft is to, as a person would address them (not as the calendar wrote it).

    ``first``/``last`` are the given name and surname a correspondent would use ("Jane",
    "Smith"; for 王伟 "Wei" and "Wang"); None when no name is known at all. ``honorific`` only
    when the user really knows it ([contacts] or the display name), never guessed. ``german``
    is "Frau" or "Herr" where known (German formal greetings need it). ``names`` are other
    spellings of the name that may appear in a draft (the display name as written), used to
    mask names when comparing a panel's drafts.
    """

    email: str
    first: str | None
    last: str | None = None
    honorific: str | None = None
    german: str | None = None
    names: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # other given-name forms a greeting may use ("Bob" for Robert)

    @property
    def known(self) -> bool:
        return bool(self.first or self.last)

    def all_names(self) -> list[str]:
        found = [self.first, self.last, *self.names, self.honorific]
        if self.first and self.last:
            found.append(f"{self.first} {self.last}")
        return [n for n in found if n]


@dataclass(frozen=True)
class Expectation:
    """What the scenario knows about one draft; the checks compare the draft with it."""

    kind: str  # "thank_you" or "status_inquiry"
    to: Addressee
    interview_date: date
    company: str | None = None  # as it must be spelled; None: unknown, so must not be guessed
    role: str | None = None  # None: unknown (an interview stage is not a role)
    notes: tuple[Note, ...] = ()  # every note of the interview; the checks pick this person's
    decision: Decision | None = None
    language: str = "en"
    style: str = "first_name"  # or "formal"
    highlights: tuple[str, ...] = ()
    candidate_name: str = "Alex Candidate"
    candidate_phone: str = ""
    candidate_links: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()  # wrong forms seen on real output: "Piedpiper", "Contoso <>"
    own_addresses: tuple[str, ...] = ()
    parent: EmailMessage | None = None  # inquiry: the sent message it must reply to
    earlier: tuple[str, ...] = ()  # inquiry: bodies of the earlier inquiries of the thread


@dataclass(frozen=True)
class Draft:
    """A draft as read back from the mailbox; ``raw`` is its bytes (for the header encoding)."""

    message: EmailMessage
    raw: bytes | None = None

    @property
    def text(self) -> str:
        return plain_text(self.message)


# ------------------------------------------------------------------------------------------
# The language table
# ------------------------------------------------------------------------------------------


def _en_dates(day: date) -> tuple[str, ...]:
    month = EN_MONTHS[day.month - 1]
    return (f"{month} {day.day}", f"{day.day} {month}", day.isoformat())


def _de_dates(day: date) -> tuple[str, ...]:
    month = DE_MONTHS[day.month - 1]
    return (f"{day.day}. {month}", f"{day.day:02d}.{day.month:02d}.", f"{day.day}.{day.month}.")


EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
DE_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
             "September", "Oktober", "November", "Dezember")  # fmt: skip


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Phrases:
    """Everything language-specific the checks need. One entry per language in LANGUAGES.

    Greeting forms are format strings over ``first``, ``last``, ``honorific`` and ``german``
    (the German "Frau"/"Herr"); ``markers`` are common words of this language that are not
    words of the others, so that text of this language inside another language's draft shows.
    """

    thanks: re.Pattern[str]
    interest: re.Pattern[str]
    fit: re.Pattern[str]
    next_steps: re.Pattern[str]
    offer: re.Pattern[str]
    update: re.Pattern[str]
    desperate: re.Pattern[str]
    check_in: re.Pattern[str]
    bad_weaving: tuple[tuple[re.Pattern[str], str], ...]
    greet_first: tuple[str, ...]
    greet_formal: tuple[str, ...]
    greet_full: tuple[str, ...]
    greet_nobody: tuple[str, ...]
    dates: Callable[[date], tuple[str, ...]]
    markers: frozenset[str]
    month_names: tuple[str, ...]
    reply_prefixes: tuple[str, ...] = ("Re:",)


_PRONOUN_CLAUSE = r"(?:she|he|they|we|i|you|it|there)(?:'s|'re)?\s"

LANGUAGES: dict[str, Phrases] = {
    "en": Phrases(
        thanks=_words(r"thank you", r"thanks", r"grateful for (?:your|the) time"),
        interest=_words(
            r"interest(?:ed)?", r"excited", r"enthusias\w*", r"keen", r"eager", r"motivated"
        ),  # fmt: skip
        fit=_words(
            r"experience",
            r"background",
            r"fit",
            r"contribute",
            r"skills?",
            r"bring",
            r"track record",
            r"strengths?",
            r"match(?:es)?",
        ),  # fmt: skip
        next_steps=_words(
            r"next steps?",
            r"timeline",
            r"time ?frame",
            r"process",
            r"hear back",
            r"decision",
            r"schedule",
        ),  # fmt: skip
        offer=_words(
            r"further information",
            r"additional information",
            r"more information",
            r"any information",
            r"other information",
            r"documents?",
            r"references",
            r"work samples?",
            r"happy to (?:provide|share|send)",
            r"glad to (?:provide|share|send)",
            r"anything else (?:you|I)",
        ),  # fmt: skip
        update=_words(r"update", r"news", r"timeline", r"next steps?", r"decision", r"status"),
        desperate=_words(
            r"desperate(?:ly)?",
            r"begging",
            r"beg you",
            r"really need (?:this|the|a) job",
            r"asap",
            r"as soon as possible",
            r"urgent(?:ly)?",
            r"i (?:still )?haven'?t heard",
            r"still (?:haven'?t|waiting)",
            r"why (?:haven'?t|didn'?t)",
            r"sorry to bother",
            r"hate to bother",
            r"bothering you",
            r"pester\w*",
            r"nag(?:ging)?",
            r"please (?:respond|reply|answer)",
            r"i need (?:an|your) answer",
            r"just following up",
            r"just wanted to (?:check|follow)",
        ),  # fmt: skip
        check_in=_words(r"just checking in", r"check(?:ing)?[ -]in", r"touch(?:ing)? base"),
        bad_weaving=(
            (re.compile(r"\babout " + _PRONOUN_CLAUSE, re.I), "a clause pasted after 'about'"),
            (
                re.compile(
                    r"\babout (?:is|are|was|were|has|have|had|will|can|could|would)\b", re.I
                ),
                "a verb right after 'about'",
            ),
            (
                re.compile(r"\babout (?:talked|spoke|discussed|asked|mentioned|chatted)\b", re.I),
                "a lead-in verb pasted after 'about'",
            ),
            (re.compile(r"\babout (?:about\b|on\s|re\s)", re.I), "a doubled 'about'"),
            (
                re.compile(
                    r"\babout (?:(?:really|very|super|such a|a)\s+)?(?:great|good|nice|fun"
                    r"|lovely|awesome|cool|fantastic)\b",
                    re.I,
                ),
                "a fragment ('great chat ...') pasted after 'about'",
            ),
            (
                re.compile(r"\babout (?:very|really|super|so)\s+\w+\b", re.I),
                "an adjective fragment pasted after 'about'",
            ),
            (
                re.compile(
                    r"\b(?:next steps?|decision|follow[- ]?up|to ?do|action items?|re)\s*:", re.I
                ),
                "a label ('next step:') pasted as it was written",
            ),
            (
                re.compile(r"\babout [A-Z][a-z]+ (?:chat|call|talk|conversation)\b"),
                "a capitalised fragment pasted mid-sentence",
            ),
        ),  # fmt: skip
        greet_first=("Dear {first}", "Hi {first}", "Hello {first}"),
        greet_formal=("Dear {honorific} {last}",),
        greet_full=("Dear {first} {last}",),
        greet_nobody=("Hello", "Hi", "Good day"),
        dates=_en_dates,
        markers=_wordset(
            "the and with for about your you thank thanks regards dear would looking "
            "forward our was were this that which"
        ),
        month_names=EN_MONTHS,
    ),
    "de": Phrases(
        thanks=_words(r"vielen dank", r"herzlichen dank", r"danke", r"bedanken"),
        interest=_words(r"interesse", r"freue mich", r"begeistert", r"motiviert", r"reizt"),
        fit=_words(
            r"erfahrung",
            r"hintergrund",
            r"passt",
            r"passen",
            r"einbringen",
            r"beitragen",
            r"kenntnisse",
            r"fähigkeiten",
        ),  # fmt: skip
        next_steps=_words(
            r"nächsten? schritte?n?",
            r"zeitplan",
            r"zeitrahmen",
            r"entscheidung",
            r"weitere[ns]? vorgehen",
            r"ablauf",
        ),  # fmt: skip
        offer=_words(
            r"weitere (?:informationen|unterlagen)",
            r"unterlagen",
            r"zusätzliche",
            r"gerne (?:zur verfügung|nach|zu)",
            r"referenzen",
        ),  # fmt: skip
        update=_words(r"neuigkeiten", r"stand", r"zeitplan", r"entscheidung", r"nächsten?"),
        desperate=_words(
            r"dringend",
            r"so schnell wie möglich",
            r"immer noch nichts",
            r"warte (?:noch )?immer",
            r"bitte antworten sie",
        ),  # fmt: skip
        check_in=_words(r"nachhaken", r"mal nachfragen", r"just checking in", r"check(?:ing)? in"),
        bad_weaving=(
            (
                re.compile(r"\büber (?:sie|er|wir|ich|es) (?:ist|sind|hat|haben)\b", re.I),
                "a clause pasted after 'über'",
            ),
            (
                re.compile(r"\b(?:nächster schritt|entscheidung|notiz)\s*:", re.I),
                "a label pasted as it was written",
            ),
        ),
        greet_first=("Hallo {first}", "Liebe {first}", "Lieber {first}"),
        greet_formal=(
            "Sehr geehrte Frau {honorific} {last}",
            "Sehr geehrter Herr {honorific} {last}",
            "Sehr geehrte {german} {honorific} {last}",
        ),  # fmt: skip
        greet_full=(
            "Guten Tag {first} {last}",
            "Guten Tag {honorific} {first} {last}",  # a title known, the gender not
            "Hallo {first} {last}",
            "Sehr geehrte Frau {last}",
            "Sehr geehrter Herr {last}",
        ),  # fmt: skip
        greet_nobody=("Guten Tag", "Hallo", "Sehr geehrte Damen und Herren"),
        dates=_de_dates,
        markers=_wordset(
            "und der den dem des auf für mit über nicht ist wir ich sie ihnen ihre ihrem "
            "eine einen zum zur vom beim bei noch auch sehr wurde werden haben hat bitte "
            "vielen dank grüße gespräch zeit freundlichen abrechnung"
        ),
        month_names=DE_MONTHS,
        reply_prefixes=("Re:", "AW:"),
    ),
}


def phrases(language: str) -> Phrases:
    return LANGUAGES.get(language, LANGUAGES["en"])


# ------------------------------------------------------------------------------------------
# Reading a draft
# ------------------------------------------------------------------------------------------


def plain_text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def html_as_text(msg: EmailMessage) -> str | None:
    """The HTML alternative as plain words (tags dropped, entities decoded), or None."""
    part = msg.get_body(("html",))
    if part is None or part.get_content_type() != "text/html":
        return None
    markup = part.get_content()
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</?p\b[^>]*>|</?div\b[^>]*>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _normal_words(text: str) -> list[str]:
    return re.findall(r"[\w'’@.+-]+", text.lower().replace("’", "'"))


_CLOSINGS = re.compile(
    r"^(?:best(?: regards| wishes)?|kind regards|warm regards|regards|sincerely|many thanks|"
    r"thanks again|mit freundlichen grüßen|viele grüße|beste grüße|herzliche grüße),?$",
    re.IGNORECASE,
)


def body_and_signature(text: str) -> tuple[str, str]:
    """The letter (greeting to the last paragraph) and what follows the closing line."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if _CLOSINGS.match(line.strip()):
            return "\n".join(lines[:index]), "\n".join(lines[index:])
    return text, ""


def sentences(text: str) -> list[str]:
    """Sentences of a letter: paragraphs split at ., ! or ? followed by a space."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        flat = " ".join(paragraph.split())
        out += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9ÄÖÜ\"'(])", flat) if s]
    return out


def greeting_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _contains(text: str, needle: str) -> bool:
    return needle.casefold() in text.casefold()


# ------------------------------------------------------------------------------------------
# The items
# ------------------------------------------------------------------------------------------


def check_recipient(draft: Draft, exp: Expectation) -> list[Failure]:
    """1: to that person's real address only, with their name when one is known."""
    pairs = getaddresses([str(v) for v in draft.message.get_all("To", [])])
    addresses = [a.lower() for _, a in pairs if a]
    if addresses != [exp.to.email.lower()]:
        return [Failure(1, f"To is {addresses}, expected only {exp.to.email}")]
    if exp.to.email.lower() in {a.lower() for a in exp.own_addresses}:
        return [Failure(1, "addressed to one of the user's own addresses")]
    return []


def expected_greetings(exp: Expectation) -> list[str]:
    """Every greeting (without the comma) that meets item 2 for this addressee and style."""
    lang = phrases(exp.language)
    person = exp.to
    values = {
        "first": person.first or "",
        "last": person.last or "",
        "honorific": person.honorific or "",
        "german": person.german or "",
    }

    def fill(forms: Iterable[str]) -> list[str]:
        return [" ".join(f.format(**values).split()) for f in forms]

    if not person.known:
        return fill(lang.greet_nobody)
    formal = (
        [
            f
            for f in fill(lang.greet_formal)
            if (person.german and f"{person.german} " in f) or exp.language != "de"
        ]
        if person.honorific and person.last
        else []
    )
    full = fill(lang.greet_full) if person.first and person.last else []
    if exp.language == "de":
        full = [
            f
            for f in full
            if not re.search(r"\b(?:Frau|Herr)\b", f) or (person.german and person.german in f)
        ]
    first = fill(lang.greet_first) if person.first else []
    for other in person.also:
        first += [
            " ".join(f.format(**{**values, "first": other}).split()) for f in lang.greet_first
        ]
    if exp.style == "formal":
        # Without a known honorific the formal style cannot be met (never guess one): the
        # full name or the first name are what a careful writer falls back to.
        found = formal or full + first
    else:
        # first_name: the first name; a known honorific is never wrong in English.
        found = first + (formal if exp.language == "en" else []) + (full if not first else [])
    return list(dict.fromkeys(found))


def check_greeting(draft: Draft, exp: Expectation) -> list[Failure]:
    """2: the name form a person would write, per salutation style; "Hello," only without a
    name."""
    line = greeting_line(draft.text)
    if not line.endswith(","):
        return [Failure(2, f"greeting {line[:60]!r} does not end with a comma")]
    said = line[:-1].strip()
    if said in expected_greetings(exp):
        return []
    words = said.split()[1:]
    name = " ".join(words)
    if "@" in said:
        return [Failure(2, f"greeting {line!r} uses an address for a name")]
    if "(" in said or "/" in said:
        return [Failure(2, f"greeting {line!r} carries brackets or pronouns")]
    if "," in said:
        return [Failure(2, f"greeting {line!r} keeps the calendar's 'Surname, Given' order")]
    if any(len(w) > 2 and w.isalpha() and w.isupper() for w in words):
        return [Failure(2, f"greeting {line!r} shouts the name in capitals")]
    if exp.to.known and said in fill_nobody(exp):
        return [Failure(2, f"greeting {line!r} although the name {exp.to.first} is known")]
    if not exp.to.known and words:
        return [Failure(2, f"greeting {line!r} invents a name where none is known")]
    if name and name[0].islower():
        return [Failure(2, f"greeting {line!r} writes the name in lower case")]
    if exp.to.honorific is None and re.search(r"\b(?:Mr|Ms|Mrs|Mx|Dr|Prof)\.?\s", said):
        return [Failure(2, f"greeting {line!r} uses an honorific nobody gave")]
    if exp.style == "formal" and exp.to.honorific and exp.to.honorific not in said:
        return [Failure(2, f"greeting {line!r} drops the known {exp.to.honorific} in formal style")]
    wanted = " / ".join(repr(g + ",") for g in expected_greetings(exp)[:3])
    return [Failure(2, f"greeting {line!r}; expected {wanted}")]


def fill_nobody(exp: Expectation) -> list[str]:
    return list(phrases(exp.language).greet_nobody)


def check_thanks(draft: Draft, exp: Expectation) -> list[Failure]:
    """3: thanks for their time, with role and company spelled right, or less, never wrong."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    subject = str(draft.message.get("Subject", ""))
    out: list[Failure] = []
    if not lang.thanks.search(letter):
        out.append(Failure(3, "no thanks for their time"))
    both = f"{subject}\n{letter}"
    if exp.company and exp.company not in both:
        squashed = re.escape(exp.company.replace(" ", "")).replace(r"\ ", " ")
        wrong = re.search(squashed, both.replace(" ", ""), re.IGNORECASE)
        out.append(
            Failure(3, f"company spelled otherwise than {exp.company!r}")
            if wrong
            else Failure(3, f"company {exp.company!r} not named")
        )
    if exp.role and exp.role.casefold() not in both.casefold():
        out.append(Failure(3, f"role {exp.role!r} not named"))
    for bad in exp.forbidden:
        if bad in both:
            out.append(Failure(3, f"says {bad!r}, which is wrong"))
    stage = re.search(
        r"\bthe (?:final[- ]round|hiring manager|recruiter(?: phone)? screen|phone screen|onsite"
        r"|on-site|technical screen|panel)(?: interview)? (?:role|position)\b",
        both,
        re.IGNORECASE,
    )
    if stage:
        out.append(Failure(3, f"takes an interview stage for the role: {stage[0]!r}"))
    return out


def _my_notes(exp: Expectation) -> tuple[list[Note], list[Note]]:
    """(notes for the draft's language, notes in another language) about this person, with
    general notes after the person's own."""
    own = [n for n in exp.notes if n.about and n.about.lower() == exp.to.email.lower()]
    general = [n for n in exp.notes if n.about is None]
    mine = own + general
    return (
        [n for n in mine if n.language == exp.language],
        [n for n in mine if n.language != exp.language],
    )


def check_specific(draft: Draft, exp: Expectation) -> list[Failure]:
    """4: a note the user gave is present and woven in grammatically; without notes, no
    empty slot."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    out: list[Failure] = []
    usable, _foreign = _my_notes(exp)
    own = [n for n in usable if n.about]
    wanted = own or usable
    if wanted and not any(_contains(letter, n.anchor) for n in wanted):
        which = "this interviewer's note" if own else "the interview's notes"
        out.append(Failure(4, f"{which} ({wanted[0].text[:50]!r}) not in the draft"))
    for pattern, why in lang.bad_weaving:
        found = pattern.search(letter)
        if found:
            out.append(Failure(4, f"{why}: {_around(letter, found)!r}"))
            break
    if not usable and re.search(r"\b(?:about|regarding|on)\s*[.,;:]", letter):
        out.append(Failure(4, "an empty slot where a note would go"))
    return out


def _around(text: str, match: re.Match[str], width: int = 30) -> str:
    start = text.rfind(" ", 0, max(0, match.start() - width)) + 1
    end = text.find(" ", match.end() + width)
    return " ".join(text[start : end if end >= 0 else len(text)].split())


def check_fit(draft: Draft, exp: Expectation) -> list[Failure]:
    """5: reaffirms interest, and says in one readable sentence (<= 35 words) how the
    candidate's experience fits."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    said = sentences(letter)[1:]  # the greeting is no sentence of its own
    out: list[Failure] = []
    if not any(lang.interest.search(s) for s in said):
        out.append(Failure(5, "no sentence reaffirming interest in the role"))
    fits = [s for s in said if lang.fit.search(s)]
    if not fits:
        out.append(Failure(5, "no sentence on how the candidate's experience fits"))
        return out
    longest = max(fits, key=lambda s: len(s.split()))
    if len(longest.split()) > 35:
        out.append(Failure(5, f"the fit sentence has {len(longest.split())} words (over 35)"))
    for first, second in zip(exp.highlights, exp.highlights[1:], strict=False):
        if (" and " in first or " and " in second) and f"{first} and {second}" in letter:
            out.append(Failure(5, "two highlights joined by 'and' read as one ambiguous list"))
            break
    return out


def _decision_forms(exp: Expectation) -> list[str]:
    if exp.decision is None:
        return []
    lang = phrases(exp.language)
    return [*lang.dates(exp.decision.day), *exp.decision.phrases]


def check_next_steps(draft: Draft, exp: Expectation) -> list[Failure]:
    """6: an explicit question about next steps or the timeline; a noted decision date is
    used."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    out: list[Failure] = []
    questions = [s for s in sentences(letter) if s.rstrip().endswith("?")]
    if not any(lang.next_steps.search(q) for q in questions):
        out.append(Failure(6, "no question about next steps or the timeline"))
    forms = _decision_forms(exp)
    if forms and not any(_contains(letter, f) for f in forms):
        out.append(Failure(6, f"the noted decision date ({exp.decision.day}) is not used"))  # type: ignore[union-attr]
    return out


def check_offer(draft: Draft, exp: Expectation, item: int = 7) -> list[Failure]:
    """7 (and part of 15): offers further information or documents."""
    letter, _ = body_and_signature(draft.text)
    if not phrases(exp.language).offer.search(letter):
        return [Failure(item, "no offer of further information or documents")]
    return []


def check_concise(draft: Draft, exp: Expectation) -> list[Failure]:
    """8: at most 200 words in the body, a few short paragraphs."""
    words = len(draft.text.split())
    out: list[Failure] = []
    if words > 200:
        out.append(Failure(8, f"{words} words in the body (over 200)"))
    letter, _ = body_and_signature(draft.text)
    paragraphs = [p for p in re.split(r"\n\s*\n", letter) if p.strip()]
    if len(paragraphs) > 7:
        out.append(Failure(8, f"{len(paragraphs)} paragraphs (over 7)"))
    long = max((len(p.split()) for p in paragraphs), default=0)
    if long > 90:
        out.append(Failure(8, f"a paragraph of {long} words (over 90)"))
    return out


_ARTEFACTS = (
    (re.compile(r"\bNone\b"), "the word 'None'"),
    (re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}"), "template syntax"),
    (
        re.compile(
            r"\[(?:[A-Z][A-Za-z]*(?: [A-Za-z]+)*)\]|<[A-Z_]{3,}>|\$\{?[a-z_]+\}?|\bTODO\b|"
            r"\bXXX\b|\bundefined\b|\bnull\b|\bnan\b"
        ),
        "an unresolved placeholder",
    ),  # fmt: skip
    (
        re.compile(
            r"\b(?:zoom\.us|meet\.google\.com|teams\.microsoft\.com|webex\.com|"
            r"teams\.live\.com)\S*",
            re.I,
        ),
        "a meeting link",
    ),  # fmt: skip
    (
        re.compile(r"\b(?:meeting id|passcode|dial[- ]in|conference id|pin)\s*[:#]", re.I),
        "a dial-in",
    ),
    (
        re.compile(
            r"(?<![.…])\.\.(?!\.)|,,|;;|::|!!|\?\?|[,;:]\s*[.,;:!?]|[.!?]\s*[,;:]|"
            r"\?\s*\.|!\s*\.|\.\s*\?|…\s*[.,]"
        ),
        "doubled punctuation",
    ),  # fmt: skip
    (re.compile(r"\S {2,}\S"), "doubled spaces"),
    (re.compile(r"\w \s*[,.;:!?](?=\s|$)"), "a space before punctuation"),
)
_DOUBLED_WORD = re.compile(r"\b(\w{2,})\s+\1\b", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_PHONE = re.compile(r"\+?\d[\d ()./-]{7,}\d")


def check_clean(draft: Draft, exp: Expectation) -> list[Failure]:
    """9: no placeholders, template artefacts, 'None', meeting links or dial-ins, doubled
    punctuation or spaces, and no text in another language than the draft's."""
    text = draft.text
    subject = str(draft.message.get("Subject", ""))
    out: list[Failure] = []
    for pattern, why in _ARTEFACTS:
        found = pattern.search(f"{subject}\n{text}")
        if found:
            out.append(Failure(9, f"{why}: {_around(text, found, 15) if found.start() >= len(subject) else subject!r}"))  # fmt: skip
    doubled = _DOUBLED_WORD.search(text)
    if doubled and doubled[1].lower() not in {"that", "had"}:
        out.append(Failure(9, f"a doubled word: {doubled[0]!r}"))
    for url in _URL.findall(text):
        if url.rstrip(".,") not in exp.candidate_links:
            out.append(Failure(9, f"a link that is not the user's: {url!r}"))
            break
    phone = exp.candidate_phone.replace(" ", "")
    for number in _PHONE.findall(text):
        if number.replace(" ", "") != phone and not re.fullmatch(r"[\d.]+", number):
            out.append(Failure(9, f"a phone number that is not the user's: {number!r}"))
            break
    foreign = foreign_words(text, exp)
    if foreign:
        out.append(Failure(9, f"text in another language: {', '.join(foreign[:4])}"))
    return out


def foreign_words(text: str, exp: Expectation) -> list[str]:
    """Words typical of another shipped language in the letter (names, company and role are
    left out): two or more different ones mean foreign text was pasted in."""
    letter, _ = body_and_signature(text)
    for value in (exp.company, exp.role, *exp.to.all_names()):
        if value:
            letter = letter.replace(value, " ")
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", letter)}
    own = phrases(exp.language).markers
    for language, other in LANGUAGES.items():
        if language == exp.language:
            continue
        hits = sorted((words & other.markers) - own)
        if len(hits) > len(words & own):
            return []  # mostly in another language: item 16 says so, once
        if len(hits) >= 2:
            return hits
    return []


def check_tone(draft: Draft, exp: Expectation) -> list[Failure]:
    """11 (and 15): never desperate or impatient; no "checking in" in a thank-you either."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    out: list[Failure] = []
    found = lang.desperate.search(letter)
    if found:
        out.append(Failure(11, f"desperate or impatient: {found[0]!r}"))
    if exp.kind == "thank_you":
        found = lang.check_in.search(letter)
        if found:
            out.append(Failure(11, f"filler phrase {found[0]!r}"))
    return out


_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
# Headers that name people by their address by design; anywhere else, an address is a leak.
_ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender"}
_TOOL = re.compile(r"followupd", re.I)


def check_machine_trace(draft: Draft, exp: Expectation) -> list[Failure]:
    """12: nothing the recipient receives names the tool that drafted it (a header such as
    ``X-Followupd-Key``, a Message-ID ``@followupd.invalid``, a word in the body), and no
    header but the address fields carries the recipient's address (a machine key such as
    ``followupd:acct:event:jane@acme.example:thank_you:1`` would)."""
    msg = draft.message
    out: list[Failure] = []
    raw_head = (draft.raw or b"").split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    named = [n for n, v in msg.items() if _TOOL.search(n) or _TOOL.search(str(v))]
    if named or _TOOL.search(raw_head.decode("ascii", "replace")):
        out.append(Failure(12, f"a header names the tool that drafted it: {named or 'raw'}"))
    bodies = [draft.text, html_as_text(msg) or ""]
    if any(_TOOL.search(b) for b in bodies):
        out.append(Failure(12, "the body names the tool that drafted it"))
    address = exp.to.email.lower()
    leaks = [
        n
        for n, v in msg.items()
        if n.lower() not in _ADDRESS_HEADERS and address and address in str(v).lower()
    ]
    if leaks:
        out.append(Failure(12, f"{', '.join(leaks)} carries the recipient's address"))
    return out


def check_headers(draft: Draft, exp: Expectation) -> list[Failure]:
    """12: From, To with the name, Subject, Date, Message-ID; headers in ASCII (RFC 2047 for
    non-ASCII); the HTML part says what the text part says."""
    msg = draft.message
    out: list[Failure] = []
    sender = getaddresses([str(v) for v in msg.get_all("From", [])])
    if len(sender) != 1 or "@" not in sender[0][1]:
        out.append(Failure(12, "no single From address"))
    elif not sender[0][0].strip():
        out.append(Failure(12, "From has no name"))
    to = getaddresses([str(v) for v in msg.get_all("To", [])])
    if not to:
        out.append(Failure(12, "no To header"))
    elif exp.to.known and not to[0][0].strip():
        out.append(Failure(12, "To has no display name although the name is known"))
    elif "@" in to[0][0] or (to[0][0].isupper() and len(to[0][0]) > 3):
        out.append(Failure(12, f"To display name {to[0][0]!r} is not a name as people write it"))
    if not str(msg.get("Subject", "")).strip():
        out.append(Failure(12, "no Subject"))
    elif "=?" in str(msg["Subject"]):
        out.append(Failure(12, "the Subject reads back with an encoded-word in it"))
    try:
        if parsedate_to_datetime(str(msg["Date"])) is None:
            raise ValueError
    except (TypeError, ValueError, IndexError):
        out.append(Failure(12, "no valid Date"))
    if not _MESSAGE_ID.match(str(msg.get("Message-ID", "")).strip()):
        out.append(Failure(12, f"Message-ID {msg.get('Message-ID')!r} is not <id@domain>"))
    if draft.raw is not None:
        head = draft.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        if not head.isascii():
            out.append(Failure(12, "raw non-ASCII in the headers (expected RFC 2047)"))
    if msg.get_body(("plain",)) is None:
        out.append(Failure(12, "no text/plain part"))
    shown = html_as_text(msg)
    if shown is not None:
        plain, rich = _normal_words(draft.text), _normal_words(shown)
        if plain != rich:
            at = next((i for i, (a, b) in enumerate(zip(plain, rich, strict=False)) if a != b),
                      min(len(plain), len(rich)))  # fmt: skip
            out.append(
                Failure(
                    12,
                    "the HTML part says something else than the text part near "
                    f"{' '.join(plain[max(0, at - 3) : at + 3])!r}",
                )
            )
    return out + check_machine_trace(draft, exp)


def check_thread(draft: Draft, exp: Expectation) -> list[Failure]:
    """13 and 14: an inquiry replies to what the user sent: Re: subject, In-Reply-To and
    References naming the sent message's own Message-ID."""
    msg = draft.message
    if exp.parent is None:
        return [Failure(13, "an inquiry although nothing was sent to reply to")]
    out: list[Failure] = []
    parent_id = str(exp.parent["Message-ID"]).strip()
    subject = str(msg.get("Subject", ""))
    prefixes = phrases(exp.language).reply_prefixes
    if not subject.startswith(prefixes):
        out.append(Failure(14, f"subject {subject!r} is not a reply ('Re: ...')"))
    else:
        parent_subject = re.sub(r"^(?:(?:re|aw):\s*)+", "", str(exp.parent["Subject"]), flags=re.I)
        if re.sub(r"^(?:(?:re|aw):\s*)+", "", subject, flags=re.I) != parent_subject:
            out.append(Failure(14, f"subject {subject!r} is not the sent message's subject"))
    if str(msg.get("In-Reply-To", "")).strip() != parent_id:
        out.append(Failure(14, f"In-Reply-To is {msg.get('In-Reply-To')!r}, not {parent_id}"))
    if parent_id not in str(msg.get("References", "")).split():
        out.append(Failure(14, "References does not name the sent message"))
    return out


def check_inquiry(draft: Draft, exp: Expectation) -> list[Failure]:
    """15: polite and patient, names role and interview date, asks for an update on the
    timeline, offers information; a second inquiry says something new."""
    lang = phrases(exp.language)
    letter, _ = body_and_signature(draft.text)
    out: list[Failure] = []
    found = lang.check_in.search(letter)
    if found:
        out.append(Failure(15, f"says {found[0]!r}"))
    if exp.role and exp.role.casefold() not in letter.casefold():
        out.append(Failure(15, f"does not name the role {exp.role!r}"))
    if not any(_contains(letter, d) for d in lang.dates(exp.interview_date)):
        out.append(Failure(15, f"does not name the interview date {exp.interview_date}"))
    asks = [
        s
        for s in sentences(letter)
        if lang.update.search(s)
        and (s.rstrip().endswith("?") or re.search(r"\b(?:whether|if there|ob)\b", s, re.I))
    ]
    if not asks:
        out.append(Failure(15, "does not ask whether there is an update on the timeline"))
    forms = _decision_forms(exp)
    if forms and not any(_contains(letter, f) for f in forms):
        out.append(Failure(15, f"the noted decision date ({exp.decision.day}) is not used"))  # type: ignore[union-attr]
    out += check_offer(draft, exp, item=15)
    mine = {_sentence_key(s) for s in sentences(letter)[1:]}
    for earlier in exp.earlier:
        before = {_sentence_key(s) for s in sentences(body_and_signature(earlier)[0])[1:]}
        if mine and len(mine & before) * 2 >= len(mine):
            out.append(Failure(15, "repeats most of the earlier inquiry"))
            break
    return out


def _sentence_key(sentence: str) -> str:
    return " ".join(_normal_words(sentence))


def check_language(draft: Draft, exp: Expectation) -> list[Failure]:
    """16: a draft in another language than English follows that language's conventions:
    its own words around the notes, its date forms, no English template phrases."""
    if exp.language == "en":
        return []
    lang = phrases(exp.language)
    letter, signature = body_and_signature(draft.text)
    out: list[Failure] = []
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", letter)}
    if len(words & lang.markers) < 3:
        out.append(Failure(16, f"not written in {exp.language!r}"))
    for month in EN_MONTHS:
        if month not in lang.month_names and re.search(rf"\b{month}\b", letter):
            out.append(Failure(16, f"an English month name {month!r}"))
            break
    if signature and not _CLOSINGS.match(signature.splitlines()[0].strip()):
        out.append(Failure(16, "closing line in another language"))
    elif signature and re.match(r"(?i)best|kind|warm|regards|sincerely", signature):
        out.append(Failure(16, f"English closing {signature.splitlines()[0]!r}"))
    return out


# ------------------------------------------------------------------------------------------
# One draft, a panel, an interview's recipients
# ------------------------------------------------------------------------------------------

THANK_YOU_CHECKS = (check_recipient, check_greeting, check_thanks, check_specific, check_fit,
                    check_next_steps, check_offer, check_concise, check_clean, check_tone,
                    check_headers, check_language)  # fmt: skip
INQUIRY_CHECKS = (check_recipient, check_greeting, check_concise, check_clean, check_tone,
                  check_headers, check_thread, check_inquiry, check_language)  # fmt: skip


def check_draft(draft: Draft, exp: Expectation) -> list[Failure]:
    """Every applicable item on one draft (items 10 and 1's one-per-person are per
    interview)."""
    checks = THANK_YOU_CHECKS if exp.kind == "thank_you" else INQUIRY_CHECKS
    failures: list[Failure] = []
    for check in checks:
        failures += check(draft, exp)
    return failures


def masked(text: str, people: Iterable[Addressee]) -> str:
    """``text`` with every name and address of ``people`` replaced by one token, and the
    greeting dropped: what is left is what the interviewer reads as written for them."""
    letter, signature = body_and_signature(text)
    names = sorted({n for p in people for n in (*p.all_names(), p.email)}, key=len, reverse=True)
    for name in names:
        letter = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "<NAME>", letter, flags=re.I)
    lines = letter.strip().splitlines()[1:]
    return " ".join(" ".join(lines).split()) + "\n" + " ".join(signature.split())


def check_panel(drafts: Sequence[tuple[Draft, Addressee]]) -> list[list[Failure]]:
    """10: the thank-yous of one interview, in order; a failure list per draft. Two drafts
    whose texts are equal once the names are masked fail, both."""
    people = [who for _, who in drafts]
    texts = [masked(d.text, people) for d, _ in drafts]
    out: list[list[Failure]] = [[] for _ in drafts]
    for i, mine in enumerate(texts):
        twins = [people[j].email for j, other in enumerate(texts) if j != i and other == mine]
        if twins:
            out[i].append(Failure(10, f"same text as the draft to {twins[0]} but the name"))
    return out


def check_recipients(
    drafted: Iterable[str], expected: Iterable[str], kind: str = "thank_you"
) -> list[Failure]:
    """1: one thank-you per interviewer, and none to anybody else (room, group, bot, declined,
    own address)."""
    got = [a.lower() for a in drafted]
    want = {a.lower() for a in expected}
    out = [Failure(1, f"no {kind} to {a}") for a in sorted(want - set(got))]
    out += [Failure(1, f"a {kind} to {a}, who is no interviewer") for a in sorted(set(got) - want)]
    out += [
        Failure(1, f"{got.count(a)} {kind}s to {a}") for a in sorted(set(got)) if got.count(a) > 1
    ]
    return out


__all__ = [
    "ITEMS", "LANGUAGES", "Addressee", "Decision", "Draft", "Expectation", "Failure", "Note",
    "Phrases", "check_draft", "check_panel", "check_recipients", "expected_greetings",
]  # fmt: skip
