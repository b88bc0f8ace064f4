"""Company and role from what an invitation says: its title and its attendees' domains.

Split from :mod:`daemon.detection` because it is guesswork of its own kind: small word lists and
patterns for titles like "Acme - Phone Screen", "Interview: Data Scientist at Acme" or
"Phone screen: Acme (Backend Engineer)". Every function prefers None to a wrong answer: a thank-you
that names the wrong company is worse than one that names none.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Second-level labels under a country code that are not the organisation's name
# ("acme.co.uk", "acme.com.au"): a small list instead of the whole Public Suffix List.
_SECOND_LEVEL = _words(
    "ac co com edu gov govt gv ltd mil net nhs nic nom or org plc sch ne go gob gouv"
)

# Words that make a title fragment a job title rather than a company or an interview kind.
_ROLE_WORDS = _words(
    "engineer engineers developer developers scientist designer manager analyst architect lead "
    "director intern internship consultant specialist administrator researcher programmer sre "
    "devops officer coordinator associate owner head vp president accountant editor writer "
    "nurse teacher technician strategist marketer representative executive assistant advisor "
    "counsel attorney paralegal planner producer artist tester qa recruiter physician "
    "economist statistician werkstudent werkstudentin praktikant praktikantin "
    # occupations outside tech: "Interview: Wayne Enterprises (Composer)" names the job too
    "composer musician photographer videographer illustrator animator copywriter journalist "
    "translator interpreter pharmacist librarian electrician plumber carpenter mechanic "
    "machinist welder chef cook baker barista pilot dentist therapist psychologist "
    "veterinarian surgeon paramedic midwife caregiver lawyer solicitor barrister notary "
    "auditor bookkeeper actuary underwriter buyer cashier clerk receptionist secretary "
    "surveyor geologist chemist biologist physicist mathematician curator archivist "
    "librarian lecturer professor tutor instructor trainer coach postdoc"
)
# Abbreviations that are roles only when written in capitals ("Senior PM", never "3 pm").
_ROLE_ABBREVIATIONS = frozenset({"PM", "TPM", "SWE", "SDE", "UX", "UI"})
# German job titles are compounds ("Softwareentwickler", "Projektleiterin"): known endings.
_GERMAN_ROLE_ENDINGS = (
    "entwickler", "entwicklerin", "ingenieur", "ingenieurin", "berater", "beraterin", "leiter",
    "leiterin", "referent", "referentin", "architekt", "architektin", "spezialist",
    "spezialistin", "wissenschaftler", "wissenschaftlerin", "managerin", "analystin",
)  # fmt: skip
# Words that, alone or with stage words only, name whom the candidate meets or how far the
# process is, not the job: "Hiring Manager", "Recruiter screen", "Final round", "Bar raiser".
_STAGE_WORDS = _words(
    "hiring recruiter recruiting recruitment phone screen screening final round onsite on-site "
    "virtual technical tech culture fit values bar raiser team-match matching coding behavioral "
    "behavioural panel loop intro introductory interview interviews call chat first second "
    "third leadership peer skip-level hm with the a an take-home debrief"
)
# Role words too generic to be the job on their own: "Director interview" is whom you meet.
_BARE_ROLES = _words(
    "manager director executive recruiter lead head vp president founder owner officer "
    "associate assistant ceo cto cfo coo"
)

# Title words that describe the meeting, never the company or the role.
_FILLER = re.compile(
    r"\b(?:interviews?|screen(?:ing)?|call|chat|meeting|conversation|round|final|first|second|"
    r"third|\d+(?:st|nd|rd|th)?|virtual|video|zoom|teams|google meet|phone|technical|tech|"
    r"onsite|on-site|in-person|panel|loop|follow-?up|intro(?:duction)?|and|the|a|an|with|"
    r"for|of|min(?:ute)?s?|hours?|hr|recruiter|hiring manager|coding|challenge|review|"
    r"case study|system design|behaviou?ral|culture|fit|debrief|session|part|stage|step|team|"
    r"remote|hybrid|bar raiser|team match(?:ing)?|values|take-home|"
    r"vorstellungsgespräch|bewerbungsgespräch|kennenlerngespräch|gespräch|telefoninterview|"
    r"videointerview|mit|bei|für)\b",
    re.IGNORECASE,
)
_KIND = re.compile(
    r"\b(?:interviews?|screen(?:ing)?|onsite|on-site|round|loop|panel|\w*gespräch|"
    r"\w*interview)\b",
    re.IGNORECASE,
)
# "Globex // Technical", "Acme | Onsite", "Acme – Onsite", "Interview: ...", "Onsite @ Acme".
_SEPARATORS = re.compile(
    r"\s*//\s*|\s+--\s+|\s+[-–—|/]\s+|\s*[:|]\s+|\s*@\s*|\s+[–—]\s*|\s*[–—]\s+"
)
# "Contoso <> Alex", "Alex x Stripe": two parties, one of them usually the candidate.
_PAIR = re.compile(r"\s*(?:<-*>|↔|⇔)\s*|\s+[x×X]\s+")
# German job ads' gender marker: "Softwareentwickler (m/w/d)".
_GENDER = re.compile(r"\(\s*(?:[mwfdx]\s*/\s*){1,3}[mwfdx]\s*\)|\(all genders\)", re.I)
_BRACKETS = re.compile(r"[(\[]([^()\[\]]{1,80})[)\]]")
_WITH = re.compile(r"^(?P<before>.*?)\b(?:with|w/|mit)\s+(?P<target>.+)$", re.IGNORECASE)
_AT = re.compile(r"^(?P<role>.+?)\s+(?:at|bei)\s+(?P<company>.+)$", re.IGNORECASE)
_FOR = re.compile(
    r"^(?:.*?\s)?(?:for|für)\s+(?:the\s+|a\s+|an\s+)?(?P<role>.+?)"
    r"(?:\s+(?:role|position|opening))?$",
    re.IGNORECASE,
)
# A company's department, not its name: "Acme recruiting", "Acme Talent Acquisition".
_DEPARTMENT = re.compile(
    r"(?:\s+(?:recruiting|recruitment|talent(?:\s+acquisition)?|ta|hr|people(?:\s+team)?|"
    r"careers|hiring(?:\s+team)?|team))+$",
    re.IGNORECASE,
)
_ROLE_TAIL = re.compile(
    r"\s+(?:role|position|opening|interview|interviews|screen|call|chat|round|loop|panel|onsite)$",
    re.IGNORECASE,
)
# Words that make a capitalised pair a company rather than a person ("Acme Labs", not "Jane Doe").
_COMPANY_WORDS = _words(
    "inc corp corporation co company ltd llc gmbh ag sa bv plc labs lab bank group systems "
    "kg ohg ug se kgaa eg nv oy ab asa spa srl sarl sas pty kk "
    "technologies technology tech software solutions health capital partners ai consulting media "
    "studio studios games analytics networks energy motors robotics security cloud data digital "
    "financial insurance pharma therapeutics bio ventures industries holdings international "
    "global services foundation university institute"
)
_NAME_TITLES = re.compile(r"^(?:dr|prof|mr|mrs|ms|mx)\.?\s+", re.IGNORECASE)


def registrable(domain: str) -> str:
    """ "eu.mail.acme-corp.co.uk" -> "acme-corp.co.uk" (without the Public Suffix List)."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def company_from_domain(domain: str) -> str:
    """ "acme-corp.co.uk" -> "Acme Corp"; short labels are initials: "ibm.com" -> "IBM".

    The raw guess, right or wrong; :func:`domain_display` decides whether it may be shown.
    """
    words = [w for w in re.split(r"[-_]+", registrable(domain).split(".")[0]) if w]
    if len(words) == 1 and len(words[0]) <= 3:
        return words[0].upper()
    return " ".join(w.upper() if len(w) <= 2 else w[:1].upper() + w[1:] for w in words)


# Endings that make a one-label domain a brand compound whose spelling cannot be guessed:
# "openai" is "OpenAI", "github" is "GitHub", never "Openai" or "Github".
_COMPOUND_ENDINGS = (
    "ai", "hq", "hub", "labs", "lab", "app", "apps", "soft", "data", "cloud", "pay", "works",
    "io", "box", "base", "force", "desk", "ware",
)  # fmt: skip
# Longer single labels are as likely two words run together ("piedpiper", "northwindtraders").
_MAX_SINGLE_WORD = 8


def _clearly_a_word(part: str, *, hyphenated: bool) -> bool:
    """True when ``part`` can only be written one way: "acme" -> "Acme", not "piedpiper"."""
    if not part.isalpha() or not part.isascii():
        return False
    if len(part) <= 3:
        return True  # initials: "ibm" -> "IBM"
    if not hyphenated and len(part) > _MAX_SINGLE_WORD:
        return False
    return not any(part.endswith(e) and len(part) - len(e) >= 3 for e in _COMPOUND_ENDINGS)


def domain_display(domain: str) -> str | None:
    """The company name from a domain, or None when its spelling would be a guess.

    "acme.com" -> "Acme", "acme-corp.co.uk" -> "Acme Corp", but "piedpiper.example" -> None:
    "Piedpiper" is wrong for "Pied Piper", and a wrong name is worse than no name.
    """
    label = registrable(domain).split(".")[0]
    parts = [w for w in re.split(r"[-_]+", label) if w]
    hyphenated = len(parts) > 1
    if not parts or not all(_clearly_a_word(w, hyphenated=hyphenated) for w in parts):
        return None
    return company_from_domain(domain)


# How domains write letters they cannot hold: "Müller" is at mueller.example (or muller.example).
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae",
                                  "ø": "oe", "å": "aa", "œ": "oe"})  # fmt: skip


# The readings below are pure functions of their strings, and a calendar repeats its titles
# (a recurring interview, the same company's invitations): memoised, a calendar of thousands of
# events reads each recent title once. Small: 4,096 entries held about 3 MB more at a first
# run's peak (10,000 events) for no measurable gain over 512.
_CACHE = 512


@lru_cache(maxsize=_CACHE)
def _key(text: str) -> str:
    """Spaces, case and punctuation ignored: "Pied Piper" and "piedpiper" are one key."""
    return re.sub(r"[\W_]+", "", text).lower()


@lru_cache(maxsize=_CACHE)
def _keys(text: str) -> frozenset[str]:
    """Every key a domain may spell ``text`` with: "Müller" -> {"müller", "mueller", "muller"};
    "Société" -> {"société", "societe"}."""
    lowered = text.lower()
    transliterated = lowered.translate(_TRANSLITERATION)
    variants = (lowered, transliterated, lowered.replace("ß", "ss"))
    stripped = (
        "".join(c for c in unicodedata.normalize("NFKD", v) if not unicodedata.combining(c))
        for v in variants
    )
    return frozenset(_key(v) for v in (*variants, *stripped))


def _agrees(text: str, key: str) -> bool:
    """``text`` spells the domain label ``key``: "OpenAI", "Acme Corp" (acme), "Goldman Sachs"
    (gs), "Müller GmbH" (mueller)."""
    if key in _keys(text):
        return True
    words = text.split()
    for cut in range(1, len(words)):
        rest = words[cut:]
        if key in _keys(" ".join(words[:cut])) and all(_is_company_word(w) for w in rest):
            return True
    return len(words) >= 2 and "".join(w[:1] for w in words).lower() == key


def _starts_with(text: str, key: str) -> bool:
    """``text``'s first word(s) spell the domain label ``key``, and what follows is
    capitalised: "Wayne Enterprises" and "Massive Dynamic" at wayne.example and
    massive.example, where the domain kept only the first word of the name."""
    words = text.split()
    for cut in range(1, len(words)):
        rest = words[cut:]
        capitalised = all(w[:1].isupper() and not any(c.isdigit() for c in w) for w in rest)
        if key in _keys(" ".join(words[:cut])) and capitalised:
            return not any(is_role(w) or _DEPARTMENT.fullmatch(" " + w) for w in rest)
    return False


def _is_company_word(word: str) -> bool:
    return word.lower().strip(".,") in _COMPANY_WORDS


def spelled_in_title(
    title: str, domain: str, company: str | None, people: Sequence[str] = ()
) -> str | None:
    """The title's spelling of the company at ``domain``, when the title has one, else None.

    ``company`` is what :func:`parse_title` read; it counts when it spells the domain label
    or starts with it ("Wayne Enterprises" at wayne.example). Failing that, any run of the
    title's words that spells the domain label counts ("Interview with Pied Piper" on
    piedpiper.example), except a person's name, together with the capitalised words that
    follow it in the same part of the title ("Massive Dynamic" in "Senior SRE interview -
    Massive Dynamic"), unless a role word follows them ("Acme Data Engineer" is Acme's data
    engineer). An all-lowercase spelling says nothing the domain does not.
    """
    return _spelled_in_title(title, domain, company, tuple(people))


@lru_cache(maxsize=_CACHE)
def _spelled_in_title(
    title: str, domain: str, company: str | None, people: tuple[str, ...]
) -> str | None:
    key = _key(registrable(domain).split(".")[0])
    if len(key) < 2:
        return None
    if company and not company.islower() and (_agrees(company, key) or _starts_with(company, key)):
        return company
    for segment in _segments(title):
        tokens = [t.rstrip(".'’-") for t in re.findall(r"[^\W_][\w&.'’-]*", segment)]
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + 4, len(tokens)) + 1):
                run = tokens[start:end]
                text = " ".join(run)
                capitalised = all(w[:1].isupper() for w in run)
                if key not in _keys(text) and not (capitalised and _agrees(text, key)):
                    continue
                text = " ".join(tokens[start : _name_end(tokens, end, people)])
                if not text.islower() and not _is_person(text, people):
                    return text
    return None


def _segments(title: str) -> list[str]:
    """The parts of a title between separators, brackets and "<>"/" x " pairs."""
    parts = [*_BRACKETS.findall(title), _BRACKETS.sub(" | ", title)]
    pieces = [p for part in parts for p in _SEPARATORS.split(part)]
    return [side for piece in pieces for side in _PAIR.split(piece) if side.strip()]


def _name_end(tokens: Sequence[str], end: int, people: Sequence[str]) -> int:
    """Where a company's name that spells the domain up to ``end`` really ends.

    Company words always belong to it ("Acme Corp"); other capitalised words do when they
    close the title's part ("Massive Dynamic"), not when a role word, a person or a word of
    the meeting's kind follows ("Acme Data Engineer", "Acme Interview", "Acme Jane Doe").
    """
    first = end
    while end < len(tokens) and _is_company_word(tokens[end]) and tokens[end][:1].isupper():
        end += 1
    if end < len(tokens) and is_role(tokens[end]):
        return first  # "Acme Data Engineer": "Data" belongs to the role
    stop = end
    while stop < len(tokens) and stop - end < 2:
        word = tokens[stop]
        if not (word[:1].isupper() and word.isalpha()) or _FILLER.fullmatch(word):
            return end
        if _KIND.fullmatch(word):
            return end
        if is_role(word) or _is_person(word, people) or _DEPARTMENT.fullmatch(" " + word):
            return end
        stop += 1
    return stop if stop == len(tokens) else end


def is_role(text: str) -> bool:
    """A job title's word is in ``text``: "engineer", "Senior PM", "Softwareentwickler"."""
    for word in re.findall(r"[\w-]+", text):
        lowered = word.lower()
        if lowered in _ROLE_WORDS or word in _ROLE_ABBREVIATIONS:
            return True
        if lowered.endswith(_GERMAN_ROLE_ENDINGS):
            return True
    return False


def is_stage(text: str) -> bool:
    """ "Hiring Manager", "Recruiter screen", "Director": whom you meet or how far, not the job.

    A role-like text is a stage when every word is a stage word or one role word too generic
    to be the job alone; "Engineering Manager" keeps "Engineering" and stays a role, and two
    generic words ("Executive Assistant") make a job.
    """
    words = [w.lower() for w in re.findall(r"[\w-]+", text)]
    bare = [w for w in words if w in _BARE_ROLES and w not in _STAGE_WORDS]
    if len(bare) > 1:
        return False  # "Executive Assistant" is a job
    return bool(words) and all(w in _STAGE_WORDS or w in _BARE_ROLES or w.isdigit() for w in words)


def looks_like_job_title(text: str) -> bool:
    """ "Engineering Manager" or "Senior Data Scientist": a short, title-cased job title."""
    words = text.split()
    return (
        0 < len(words) <= 5
        and all(w[:1].isupper() or w.lower() in ("of", "and", "&", "-") for w in words)
        and is_role(text)
    )


def _strip_filler(text: str) -> str:
    return " ".join(_FILLER.sub(" ", text).replace("&", " ").split()).strip(" ,.-–—#")


def _is_person(text: str, names: Sequence[str]) -> bool:
    """``text`` is one of ``names``, in full, by first name or by surname ("Dr. Jane Doe")."""
    lowered = " ".join(_NAME_TITLES.sub("", text.strip().lower()).split())
    if not lowered:
        return False
    for name in names:
        full = " ".join(_NAME_TITLES.sub("", name.lower()).split())
        if full and lowered in (full, full.split()[0], full.split()[-1]):
            return True
    return False


def _plausible_company(text: str, names: Sequence[str]) -> str | None:
    """``text`` if it can only be a company name, else None (people and phrases are not)."""
    text = " ".join(text.split()).strip(" ,.-–—:;!?\"'")
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    text = _DEPARTMENT.sub("", text)  # "Acme recruiting" is Acme
    if not text or not _strip_filler(text) or is_role(text) or not text[0].isupper():
        return None
    words = text.split()
    if len(words) > 4 or _is_person(text, names):
        return None  # "Interview with Jane" names a person, not a company
    # Two or three capitalised words are as likely a person ("Alex Morgan") as a company
    # ("Goldman Sachs"); only a company word ("Labs", "Inc") settles it.
    looks_like_name = 2 <= len(words) <= 3 and all(
        w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words
    )
    if looks_like_name and not any(_is_company_word(w) for w in words):
        return None
    return text


def _clean_role(text: str) -> str | None:
    text = " ".join(text.split()).strip(" ,.-–—:;!?\"'")
    text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)
    while (stripped := _ROLE_TAIL.sub("", text)) != text:
        text = stripped
    text = re.sub(r"^(?:interview|phone screen|screen|call)\s+(?:for\s+)?", "", text, flags=re.I)
    if not text or not text[0].isalpha() or len(text) > 60 or len(text.split()) > 6:
        return None
    return text if is_role(text) else None


@dataclass(frozen=True)
class TitleReading:
    """What a title says about company and role, and what it seemed to say but does not."""

    company: str | None
    role: str | None
    # Role-like fragments not taken because they name an interview stage ("Hiring Manager").
    stages: tuple[str, ...] = ()


@dataclass
class _Reader:
    """The state of reading one title: the first role found, and the stages passed over."""

    roles: list[str]
    stages: list[str]

    def offer(self, text: str) -> None:
        role = _clean_role(text)
        if role is None:
            return
        (self.stages if is_stage(role) else self.roles).append(role)


def _unpair(segments: Sequence[str], people: Sequence[str]) -> tuple[list[str], set[str], set[str]]:
    """Split "Contoso <> Alex" into its sides and drop the side that is a person.

    Returns the segments, those that stood opposite a person (so they name the other party,
    the company), and those whose pair had two sides that could each be the company (so
    neither may be taken: "Sam <> Contoso" with nobody called Sam known).
    """
    out: list[str] = []
    opposite: set[str] = set()
    ambiguous: set[str] = set()
    for segment in segments:
        sides = [s.strip() for s in _PAIR.split(segment) if s.strip()]
        if len(sides) == 1:
            out.append(segment)
            continue
        left = [s for s in sides if not _is_person(s, people)]
        plausible = [s for s in left if _plausible_company(s, people)]
        out.extend(left)
        if len(plausible) == 1:
            opposite.add(plausible[0])
        elif len(plausible) > 1:
            ambiguous.update(plausible)
    return [s for s in out if not _is_person(s, people)], opposite, ambiguous


def parse_title(
    title: str, names: Sequence[str] = (), own_names: Sequence[str] = ()
) -> TitleReading:
    """Company and role as far as the title tells them, else None each.

    ``names`` are the interviewers' names and ``own_names`` the candidate's: "Interview with
    Jane" must not make "Jane" a company, nor "Contoso <> Alex" make "Alex" one.

    A bare fragment counts as a company only beside a fragment that says what kind of meeting
    it is ("Acme - Phone Screen", "Acme Interview") or opposite a person ("Alex x Stripe");
    "Interview prep" or "Coffee chat" alone name no company.
    """
    return _parse_title(title, (*names, *own_names))


@lru_cache(maxsize=_CACHE)
def _parse_title(title: str, people: tuple[str, ...]) -> TitleReading:
    """:func:`parse_title` of one title and the names it must not take for a company."""
    title = _GENDER.sub(" ", " ".join(title.split())[:300])  # bound the regex work
    inners = _BRACKETS.findall(title)
    split = [s.strip() for s in _SEPARATORS.split(_BRACKETS.sub(" ", title)) if s.strip()]
    segments, opposite, ambiguous = _unpair(split, people)
    has_kind = any(_KIND.search(s) or is_role(s) for s in [*split, *inners])
    reader = _Reader([], [])
    for inner in inners:
        reader.offer(inner)
    company: str | None = None
    for segment in segments:
        kind_before = segment in opposite
        if with_match := _WITH.match(segment):
            segment = with_match["target"]
            kind_before = kind_before or bool(_KIND.search(with_match["before"]))
        if at_match := _AT.match(segment):
            reader.offer(at_match["role"])
            company = company or _plausible_company(at_match["company"], people)
        elif (for_match := _FOR.match(segment)) and is_role(for_match["role"]):
            reader.offer(for_match["role"])
        elif is_role(_strip_filler(segment)):
            reader.offer(segment)
        elif company is None and segment not in ambiguous:
            others = has_kind if len(segments) > 1 or inners else False
            company = _company_fragment(segment, others or kind_before, people)
    for inner in inners:
        if company is None and not is_role(inner):
            company = _company_fragment(inner, has_kind, people)
    role = reader.roles[0] if reader.roles else None
    return TitleReading(company, role, tuple(reader.stages))


def title_parts(
    title: str, names: Sequence[str] = (), own_names: Sequence[str] = ()
) -> tuple[str | None, str | None]:
    """(company, role) of :func:`parse_title`, for callers that need no reasons."""
    reading = parse_title(title, names, own_names)
    return reading.company, reading.role


def _company_fragment(segment: str, beside_kind: bool, names: Sequence[str]) -> str | None:
    words = segment.split()
    trailing = False
    while words and _FILLER.fullmatch(words[-1]):
        trailing = bool(_KIND.fullmatch(words.pop())) or trailing
    head = words[1:] if words and words[0].lower() == "the" else words
    if not (trailing or beside_kind) or any(_FILLER.fullmatch(w) for w in head):
        return None
    return _plausible_company(" ".join(words), names)
