"""Company and role from what an invitation says: its title and its attendees' domains.

Split from :mod:`daemon.detection` because it is guesswork of its own kind: small word lists and
patterns for titles like "Acme - Phone Screen", "Interview: Data Scientist at Acme" or
"Phone screen: Acme (Backend Engineer)". Every function prefers None to a wrong answer: a thank-you
that names the wrong company is worse than one that names none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


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
    "economist statistician"
)

# Title words that describe the meeting, never the company or the role.
_FILLER = re.compile(
    r"\b(?:interviews?|screen(?:ing)?|call|chat|meeting|conversation|round|final|first|second|"
    r"third|\d+(?:st|nd|rd|th)?|virtual|video|zoom|teams|google meet|phone|technical|tech|"
    r"onsite|on-site|in-person|panel|loop|follow-?up|intro(?:duction)?|and|the|a|an|with|"
    r"for|of|min(?:ute)?s?|hours?|hr|recruiter|hiring manager|coding|challenge|review|"
    r"case study|system design|behaviou?ral|culture|fit|debrief|session|part|stage|step|team|"
    r"remote|hybrid)\b",
    re.IGNORECASE,
)
_KIND = re.compile(r"\b(?:interviews?|screen(?:ing)?|onsite|on-site|round|loop|panel)\b", re.I)
_SEPARATORS = re.compile(r"\s+[-–—|/]\s+|\s*[:|]\s+|\s*@\s*|\s+[–—]\s*|\s*[–—]\s+")
_BRACKETS = re.compile(r"[(\[]([^()\[\]]{1,80})[)\]]")
_WITH = re.compile(r"^(?P<before>.*?)\b(?:with|w/)\s+(?P<target>.+)$", re.IGNORECASE)
_AT = re.compile(r"^(?P<role>.+?)\s+at\s+(?P<company>.+)$", re.IGNORECASE)
_FOR = re.compile(
    r"^(?:.*?\s)?for\s+(?:the\s+|a\s+|an\s+)?(?P<role>.+?)(?:\s+(?:role|position|opening))?$",
    re.IGNORECASE,
)
_ROLE_TAIL = re.compile(
    r"\s+(?:role|position|opening|interview|interviews|screen|call|chat)$", re.IGNORECASE
)
# Words that make a capitalised pair a company rather than a person ("Acme Labs", not "Jane Doe").
_COMPANY_WORDS = _words(
    "inc corp corporation co company ltd llc gmbh ag sa bv plc labs lab bank group systems "
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
    """ "acme-corp.co.uk" -> "Acme Corp"; short labels are initials: "ibm.com" -> "IBM"."""
    words = [w for w in re.split(r"[-_]+", registrable(domain).split(".")[0]) if w]
    if len(words) == 1 and len(words[0]) <= 3:
        return words[0].upper()
    return " ".join(w.upper() if len(w) <= 2 else w[:1].upper() + w[1:] for w in words)


def is_role(text: str) -> bool:
    return any(w.lower() in _ROLE_WORDS for w in re.findall(r"[\w-]+", text))


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


def _plausible_company(text: str, names: Sequence[str]) -> str | None:
    """``text`` if it can only be a company name, else None (people and phrases are not)."""
    text = " ".join(text.split()).strip(" ,.-–—:;!?\"'")
    text = re.sub(r"^the\s+", "", text, flags=re.IGNORECASE)
    if not text or not _strip_filler(text) or is_role(text) or not text[0].isupper():
        return None
    words = text.split()
    if len(words) > 4:
        return None
    lowered = _NAME_TITLES.sub("", text.lower())
    for name in names:
        full = name.lower()
        if full.split() and lowered in (full, full.split()[0], full.split()[-1]):
            return None  # "Interview with Jane" names a person, not a company
    # Two or three capitalised words are as likely a person ("Alex Morgan") as a company
    # ("Goldman Sachs"); only a company word ("Labs", "Inc") settles it.
    looks_like_name = 2 <= len(words) <= 3 and all(
        w[:1].isupper() and w[1:].islower() and w.isalpha() for w in words
    )
    if looks_like_name and not any(w.lower().strip(".") in _COMPANY_WORDS for w in words):
        return None
    return text


def _clean_role(text: str) -> str | None:
    text = " ".join(text.split()).strip(" ,.-–—:;!?\"'")
    text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.IGNORECASE)
    while (stripped := _ROLE_TAIL.sub("", text)) != text:
        text = stripped
    text = re.sub(r"^(?:interview|phone screen|screen|call)\s+(?:for\s+)?", "", text, flags=re.I)
    if not text or len(text) > 60 or not is_role(text) or len(text.split()) > 6:
        return None
    return text


def title_parts(title: str, names: Sequence[str] = ()) -> tuple[str | None, str | None]:
    """(company, role) as far as the title tells them, else None each.

    ``names`` are the attendees' names: "Interview with Jane" must not make "Jane" a company.

    A bare fragment counts as a company only beside a fragment that says what kind of meeting
    it is ("Acme - Phone Screen", "Acme Interview"); "Interview prep" or "Coffee chat" alone
    name no company.
    """
    title = " ".join(title.split())[:300]  # titles are short; bound the regex work anyway
    inners = _BRACKETS.findall(title)
    segments = [s.strip() for s in _SEPARATORS.split(_BRACKETS.sub(" ", title)) if s.strip()]
    has_kind = any(_KIND.search(s) or is_role(s) for s in segments)
    company: str | None = None
    role = next((r for inner in inners if (r := _clean_role(inner))), None)
    for segment in segments:
        kind_before = False
        if with_match := _WITH.match(segment):
            segment, kind_before = with_match["target"], bool(_KIND.search(with_match["before"]))
        if at_match := _AT.match(segment):
            role = role or _clean_role(at_match["role"])
            company = company or _plausible_company(at_match["company"], names)
        elif (for_match := _FOR.match(segment)) and is_role(for_match["role"]):
            role = role or _clean_role(for_match["role"])
        elif is_role(_strip_filler(segment)):
            role = role or _clean_role(segment)
        elif company is None:
            others = has_kind if len(segments) > 1 or inners else False
            company = _company_fragment(segment, others or kind_before, names)
    for inner in inners:
        if company is None and not is_role(inner):
            company = _company_fragment(inner, has_kind, names)
    return company, role


def _company_fragment(segment: str, beside_kind: bool, names: Sequence[str]) -> str | None:
    words = segment.split()
    trailing = False
    while words and _FILLER.fullmatch(words[-1]):
        trailing = bool(_KIND.fullmatch(words.pop())) or trailing
    head = words[1:] if words and words[0].lower() == "the" else words
    if not (trailing or beside_kind) or any(_FILLER.fullmatch(w) for w in head):
        return None
    return _plausible_company(" ".join(words), names)
