"""English sentences from notes (see :mod:`daemon.writing.compose` for what goes where).

A topic note is read as one of four forms and put into a frame that fits that form:

* a noun phrase, "the billing migration": "I especially enjoyed our conversation about the
  billing migration.";
* a clause, "she is rebuilding the data platform": "I especially enjoyed hearing how you are
  rebuilding the data platform." (in the draft to her; "she" stays "she" in a colleague's);
* a wh-clause, "why I moved from fintech to ML": "I especially enjoyed discussing why I moved
  from fintech to ML.";
* a question they asked, "asked me about my Rust work": "I appreciated your question about
  my Rust work.".

Lead-ins ("talked about", "we went over"), impressions ("Great chat about", "Loved", ", very
friendly") and shouting are taken off first. What is left that fits none of the forms (a direct
question, a sentence about the candidate) is quoted as the user wrote it, in a frame that says
it is the user's own words.
"""

from __future__ import annotations

import re

from daemon.writing.compose import Names, Piece

MAX_WORDS = 22  # a mention longer than this is cut at a list boundary

# --- frames: five of each, chosen by panel position ---------------------------------------
TOPIC_FRAMES = (
    "I especially enjoyed our conversation about {x}.",
    "I particularly appreciated our discussion of {x}.",
    "Our exchange about {x} was a highlight for me.",
    "I enjoyed hearing your perspective on {x}.",
    "Talking through {x} with you was especially interesting.",
)
ENJOYED_FRAMES = (
    "I especially enjoyed {x}.",
    "I particularly appreciated {x}.",
    "{x} was a highlight for me.",
    "I really valued {x}.",
    "I found {x} especially interesting.",
)
IMPRESSED_FRAMES = (
    "I was particularly impressed by {x}.",
    "I was especially impressed by {x}.",
    "{x} impressed me in particular.",
    "I came away impressed by {x}.",
    "I was genuinely impressed by {x}.",
)
CLAUSE_FRAMES = (
    "I especially enjoyed hearing {how} {x}.",
    "It was great to learn {how} {x}.",
    "I found it particularly interesting to hear {how} {x}.",
    "I was glad to hear {how} {x}.",
    "Hearing {how} {x} was a highlight of our conversation for me.",
)
WH_FRAMES = (
    "I especially enjoyed discussing {x}.",
    "I appreciated the chance to talk about {x}.",
    "Our conversation about {x} was a highlight for me.",
    "I was glad we could talk about {x}.",
    "I enjoyed exploring {x} with you.",
)
ASKED_FRAMES = (
    "I appreciated your question about {x}.",
    "I enjoyed your question about {x}.",
    "Your question about {x} was a highlight of our conversation for me.",
    "I was glad you asked about {x}.",
    "I enjoyed answering your question about {x}.",
)
QUOTE_FRAMES = (
    "One point from our conversation has stayed with me: “{x}”",
    "I keep thinking about one thing we discussed: “{x}”",
    "One moment of our conversation stood out for me: “{x}”",
    "I made a note of one thing in particular: “{x}”",
    "One thing I took away from our conversation: “{x}”",
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- words ---------------------------------------------------------------------------------
_LEAD_IN = re.compile(
    r"^(?:(?:we|i|she|he|they|you)\s+)?(?:(?:also|mostly|mainly|really|briefly|then)\s+)?"
    r"(?:talked|spoke|chatted|discussed|talk|discuss|went\s+over|went\s+through|covered|"
    r"dug\s+into|dove\s+into|touched\s+on|walked\s+(?:me\s+)?through|reviewed|told\s+me|"
    r"explained|described|showed\s+me|presented|shared|mentioned|focused|spent\s+(?:most\s+of\s+)"
    r"?(?:the\s+)?(?:time|hour|call)\s+on|deep[- ]dive)(?:\s+(?:a\s+lot|mostly|mainly|briefly|"
    r"in\s+depth|at\s+length))?(?:\s+(?:about|on|through|into|re|regarding|around))?\s+",
    re.IGNORECASE,
)
_ASKED = re.compile(
    r"^(?:(?:she|he|they|you)\s+)?(?:asked|grilled)\s+(?:me\s+)?(?:a\s+lot\s+)?"
    r"(?:(?:about|on|re)\s+)?(?:(?:lots\s+of\s+|many\s+|some\s+|a\s+few\s+)?questions\s+"
    r"(?:about|on)\s+)?",
    re.IGNORECASE,
)
_ADJ = (r"great|good|nice|fun|lovely|awesome|cool|fantastic|interesting|excellent|amazing|"
        r"productive|pleasant|fascinating|engaging|insightful|solid|fruitful|long|short|quick|"
        r"deep|friendly|relaxed")  # fmt: skip
_IMPRESSION = re.compile(
    r"^(?:(?:really|very|super|so|such\s+an?|an?|quite)\s+)*(?:" + _ADJ + r")\s+"
    r"(?:chat|talk|conversation|convo|discussion|call|interview|session|exchange|meeting|"
    r"deep[- ]dive|q&a)(?:\s+with\s+\w+)?(?:\s+(?:about|on|re|regarding|around|over))?\s*",
    re.IGNORECASE,
)
_ENJOYED = re.compile(
    r"^(?:i\s+)?(?:(?:really|truly|totally|absolutely)\s+)?(?:loved|liked|enjoyed|"
    r"appreciated|love|like|enjoy|dug|(?:i\s+)?was\s+(?:really\s+)?impressed\s+(?:by|with)|"
    r"impressed\s+(?:by|with)|excited\s+about)\s+",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"(?:\s*[,;–—-]|\s+and|\s+but)\s+(?:(?:very|really|super|so|quite|overall|such\s+an?|an?)\s+)*"
    r"(?:" + _ADJ + r"|smart|sharp|helpful|kind|chill|warm|welcoming|engaged|funny|nice)"
    r"(?:\s+(?:guy|person|woman|man|team|vibes?|people|interviewer|convo|chat|overall|"
    r"energy|atmosphere))?(?:\s+(?:overall|too|as\s+well))?\s*$",
    re.IGNORECASE,
)
_ONLY_IMPRESSION = re.compile(
    r"^(?:(?:very|really|super|so|quite|overall|such\s+an?|an?|the)\s+)*(?:"
    + _ADJ
    + r"|smart|sharp|helpful|kind|chill|warm|welcoming|engaged|funny|nice|positive)?"
    r"(?:\s+(?:guy|person|woman|man|team|vibes?|people|interviewer|convo|chat|call|talk|"
    r"conversation|interview|energy|atmosphere|overall|fit|culture fit|feeling))*$",
    re.IGNORECASE,
)
_WH = re.compile(r"^(?:how|why|what|whether|when|where|which|who|if)\b", re.IGNORECASE)
_SUBJECTS = {"she": "she", "he": "he", "they": "they", "we": "we", "i": "I", "you": "you",
             "it": "it", "there": "there"}  # fmt: skip
_AUX = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|can|could|should|may|might|must|does|do|"
    r"did|wants|plans|needs|uses|runs|leads|owns|manages|builds|works|joined|moved|started|"
    r"built|hopes|expects|thinks|believes|'s|'re|'ll)\b",
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
)  # fmt: skip


def _pick(frames: tuple[str, ...], turn: int) -> str:
    return frames[turn % len(frames)]


def _sentence(text: str) -> str:
    """A composed sentence, capitalised, spaces and doubled punctuation tidied."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([.!?])\.$", r"\1", text)
    return text[:1].upper() + text[1:]


def _plain(text: str) -> str:
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
    from spellchecker import SpellChecker

    global _DICTIONARY
    if _DICTIONARY is None:
        _DICTIONARY = SpellChecker()
    return _DICTIONARY.word_usage_frequency(word.lower()) > 0


_DICTIONARY = None


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if re.split(r"['’]", first.lower())[0].strip(",") in _LOWER_FIRST and not first.isupper():
        return first.lower() + text[len(first) :]
    return text


def _shorten(text: str) -> str:
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
            if core[:1].isupper() and index == 0:
                new = new.capitalize()
            out.append(word.replace(core, new))
            subject = low in ("she", "he", "they")
            shifted = shifted or low in ("she", "he")
            continue
        if shifted and out and out[-1].lower() in ("and", "but", "or") and _AUX.fullmatch(low):
            subject = True
        if subject and low in _ADVERBS:
            out.append(word)
            continue
        if subject:
            word = word.replace(core, _base_form(core))
        subject = False
        out.append(word)
    return " ".join(out)


# --- what the note is ------------------------------------------------------------------------
def _without_impressions(text: str) -> str:
    before = None
    while before != text:
        before = text
        text = _TAIL.sub("", text).strip(" ,;-–—")
        text = _IMPRESSION.sub("", text, count=1)
        text = _ENJOYED.sub("", text, count=1)
    return text.strip(" ,;:-–—")


def _is_clause(text: str) -> bool:
    """A sentence with its own subject and verb: "she is rebuilding X", "the team uses Go"."""
    first = text.split(" ", 1)[0].lower()
    if first in _SUBJECTS or re.match(r"^(?:she|he|they|we|i|you|it)['’](?:s|re|ll|d|ve)\b",
                                      first):  # fmt: skip
        return True
    head = text.split()[:6]
    for index, word in enumerate(head[1:], 1):
        before = " ".join(head[:index])
        if _AUX.fullmatch(word.lower()) and not _RELATIVE.search(before):
            # "the way he runs retros" is a noun phrase with a clause inside, not a clause
            return index <= 4 and not re.search(r"\b(?:she|he|they|we|i|you)$", before, re.I)
    return False


def mention(part: Piece, turn: int, about: bool, names: Names) -> tuple[str | None, str | None]:
    """(the note woven into a sentence, or None; the note quoted, or None)."""
    raw = _plain(part.text)
    quoted = _quote(raw, part.end, turn)
    text = raw
    asked = _ASKED.match(text)
    if asked and asked.end() > 0 and re.match(r"^(?:(?:she|he|they|you)\s+)?(?:asked|grilled)",
                                              text, re.I):  # fmt: skip
        rest = _without_impressions(text[asked.end() :])
        rest = _shorten(_lower_first(rest)) if rest else ""
        if (
            rest
            and not re.match(r"^(?:me\s+)?to\b", rest)
            and (_WH.match(rest) or not _is_clause(rest))
        ):
            rest = to_second_person(rest, names, about)
            if about:
                return _sentence(_pick(ASKED_FRAMES, turn).format(x=rest)), quoted
            return _sentence(_pick(WH_FRAMES if _WH.match(rest) else TOPIC_FRAMES,
                                   turn).format(x=rest)), quoted  # fmt: skip
        return None, quoted
    bare = _IMPRESSION.sub("", _TAIL.sub("", text), count=1)
    enjoyed = _ENJOYED.match(bare) is not None
    impressed = re.match(r"^(?:i\s+was\s+|was\s+)?(?:really\s+)?impressed\s+(?:by|with)\s",
                         bare, re.I) is not None  # fmt: skip
    text = _PARENTHETICAL.sub("", text)
    text = _without_impressions(text)
    text = _LEAD_IN.sub("", text, count=1).strip()
    text = _without_impressions(text)
    if not text or _ONLY_IMPRESSION.fullmatch(text):
        return None, None  # an impression, not a topic: nothing to mention
    if _PREPOSITION.match(text):
        return None, None  # what is left of a sentence whose link was taken out
    text = _lower_first(_undo_question(text, about))
    if part.end == "?" and not _WH.match(text) or _DIRECT_QUESTION.match(text):
        return None, quoted  # a direct question: the user's own words
    short = _shorten(text)
    if not short:
        return None, quoted
    first = short.split(" ", 1)[0].lower()
    if _WH.match(short):
        shifted = to_second_person(short, names, about)
        return _sentence(_pick(WH_FRAMES, turn).format(x=shifted)), quoted
    if _is_clause(short):
        if first in ("it", "it's", "there", "there's"):
            return None, None  # "it was a long interview": an impression, not a topic
        if first in ("i", "i'm", "i've", "we", "we're"):
            return None, quoted  # about the candidate: their own words, quoted
        if first in ("she", "he", "she's", "he's") and not about:
            return None, None  # about someone of the panel, who is not this recipient
        shifted = to_second_person(short, names, about)
        how = "how" if re.search(r"\b\w+ing\b", " ".join(shifted.split()[1:4])) else "that"
        return _sentence(_pick(CLAUSE_FRAMES, turn).format(how=how, x=shifted)), quoted
    shifted = to_second_person(_article(short), names, about)
    frames = IMPRESSED_FRAMES if impressed else ENJOYED_FRAMES if enjoyed else TOPIC_FRAMES
    return _sentence(_pick(frames, turn).format(x=shifted)), quoted


# "(she's the lead)": an aside about a person reads badly inside a sentence; "(Snowflake +
# dbt)" is kept.
_PARENTHETICAL = re.compile(r"\s*\((?:[^()]*\b(?:she|he|they|i|we)\b[^()]*)\)", re.I)
_PREPOSITION = re.compile(r"^(?:for|to|with|at|by|from|of|in|on|and|or|but)\s", re.IGNORECASE)
_DIRECT_QUESTION = re.compile(
    r"^(?:how|what|why|where|when|who|which)\s+(?:do|does|did|is|are|was|were|can|could|will|"
    r"would|should|has|have)\b",
    re.IGNORECASE,
)
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


def _undo_question(text: str, about: bool) -> str:
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


def _article(np: str) -> str:
    """ "on-call rotation" -> "the on-call rotation": a bare singular noun phrase reads as
    notes do, not as prose. Plurals, mass nouns, names and phrases with a determiner stay."""
    words = np.split()
    if len(words) < 2 or _DETERMINERS.match(np) or re.match(r"^\d", np):
        return np
    head = next(
        (w for w, nxt in zip(words, [*words[1:], ""], strict=True)
         if nxt.lower() in ("", "for", "of", "in", "at", "on", "with", "to", "from", "and")),
        words[-1],
    )  # fmt: skip
    head = head.strip("\"'“”,").lower()
    if head.endswith(("s", "ing")) or head in _MASS:
        return np
    return "the " + np


def _quote(text: str, end: str, turn: int) -> str | None:
    """The note quoted as the user wrote it, or None when it is too long to quote."""
    text = " ".join(text.split()).strip(" ,;:")
    if not text or len(text.split()) > MAX_WORDS:
        return None
    inner = text[:1].upper() + text[1:] + (end or ".")
    return _pick(QUOTE_FRAMES, turn).format(x=inner)


# --- next steps ------------------------------------------------------------------------------
_NAMED_STEPS = {
    r"take[- ]?home(?:\s+(?:test|task|exercise|challenge))?": "the take-home assignment",
    r"on[- ]?site(?:\s+interview)?": "the onsite interview",
    r"final(?:\s+round)?": "the final round",
    r"system\s+design(?:\s+(?:round|interview))?": "the system design interview",
    r"tech(?:nical)?\s+(?:screen|round|interview)": "the technical interview",
    r"(?:a\s+|the\s+)?coding\s+(?:test|challenge|exercise|round)": "the coding exercise",
    r"references?(?:\s+check)?": "the reference check",
}
_VERBS_ING = {"meet": "meeting", "talk": "talking", "speak": "speaking", "chat": "chatting",
              "have": "having", "do": "doing", "get": "getting", "run": "running",
              "present": "presenting", "pair": "pairing", "discuss": "discussing",
              "interview": "interviewing", "visit": "visiting", "see": "seeing",
              "hear": "hearing", "go": "going", "work": "working", "review": "reviewing",
              "walk": "walking", "join": "joining"}  # fmt: skip
_SENDING = re.compile(r"^(?:send|share|email|e-mail|forward|mail|submit|provide|upload)\b", re.I)
_DETERMINERS = re.compile(r"^(?:the|a|an|my|our|your|their|his|her|this|that|some|any|"
                          r"them|you|him|it|over|\d+)\b", re.IGNORECASE)  # fmt: skip
_FOLLOW_UP_FRAMES = ("As discussed, I will {x} shortly.", "As promised, I will {x} shortly.")
_NEXT_FRAMES = ("I look forward to {x}.", "I am looking forward to {x}.")


def _with_article(np: str) -> str:
    low = np.lower()
    for pattern, named in _NAMED_STEPS.items():
        if re.fullmatch(pattern, low):
            return named
    if _DETERMINERS.match(np) or np[:1].isupper() and _lower_first(np) == np:
        return np
    return "the " + np


def next_step(part: Piece, turn: int, about: bool, names: Names) -> str | None:
    """The sentence for the next-steps paragraph, or None."""
    text = _without_impressions(_lower_first(_plain(part.text)))
    text = re.sub(r"^(?:is|are|will be|=)\s+", "", text, flags=re.I)
    text = re.sub(r"^(?:an?|the)\s+(?=take|on|final|system|tech|coding)", "", text, flags=re.I)
    if not text or len(text.split()) > MAX_WORDS or part.end == "?":
        return None
    first = text.split(" ", 1)[0].lower()
    if _SENDING.match(text):
        verb, _, obj = text.partition(" ")
        obj = obj.strip()
        if obj and not _DETERMINERS.match(obj):
            obj = "my " + obj
        action = f"{verb.lower()} {obj}".strip()
        action = to_second_person(action, names, about)
        return _sentence(_pick(_FOLLOW_UP_FRAMES, turn).format(x=action))
    if first in _VERBS_ING:
        rest = text.split(" ", 1)[1] if " " in text else ""
        doing = f"{_VERBS_ING[first]} {to_second_person(rest, names, about)}".strip()
        return _sentence(_pick(_NEXT_FRAMES, turn).format(x=doing))
    if _is_clause(text):
        shifted = to_second_person(text, names, about)
        if shifted.split(" ", 1)[0].lower() in ("i", "we", "it", "there"):
            return None
        return _sentence(f"As for the next steps, I understand that {shifted}.")
    return _sentence(_pick(_NEXT_FRAMES, turn).format(x=_with_article(
        to_second_person(text, names, about))))  # fmt: skip
