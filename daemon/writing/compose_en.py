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
from daemon.writing.english import (
    AUX,
    DETERMINERS,
    MAX_WORDS,
    article,
    is_clause,
    lower_first,
    plain,
    shorten,
    to_second_person,
    undo_question,
)

# --- frames: five of each, chosen by panel position ---------------------------------------
TOPIC_FRAMES = (
    "I especially enjoyed our conversation about {x}.",
    "I particularly valued our discussion of {x}.",
    "Our exchange about {x} was a highlight for me.",
    "I enjoyed hearing your perspective on {x}.",
    "Talking through {x} with you was especially interesting.",
)
ENJOYED_FRAMES = (
    "I especially enjoyed {x}.",
    "I particularly liked {x}.",
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
MOMENT_FRAMES = (
    "I especially enjoyed the part of our conversation where {x}.",
    "I particularly enjoyed the moment when {x}.",
    "A highlight for me was when {x}.",
    "I was glad of the moment when {x}.",
    "I especially appreciated the part where {x}.",
)
INTEREST_FRAMES = (
    "I appreciated your interest in {x}.",
    "I was glad you were interested in {x}.",
    "Thank you for your interest in {x}.",
    "I enjoyed your questions about {x}.",
    "It was good to see your interest in {x}.",
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
    "I valued the chance to talk about {x}.",
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


def _pick(frames: tuple[str, ...], turn: int) -> str:
    return frames[turn % len(frames)]


def _sentence(text: str) -> str:
    """A composed sentence, capitalised, spaces and doubled punctuation tidied."""
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([.!?])\.$", r"\1", text)
    return text[:1].upper() + text[1:]


# --- what the note is ------------------------------------------------------------------------
def _without_impressions(text: str) -> str:
    before = None
    while before != text:
        before = text
        text = _TAIL.sub("", text).strip(" ,;-–—")
        text = _IMPRESSION.sub("", text, count=1)
        text = _ENJOYED.sub("", text, count=1)
    return text.strip(" ,;:-–—")


def _asked(text: str, turn: int, about: bool, names: Names) -> str | None:
    """ "asked me why I moved to ML", "Q: how do you handle conflict?": a question the
    interviewer asked the candidate, as a sentence; None when it cannot be one."""
    q = _Q_LABEL.match(text)
    if q:
        rest = undo_question(text[q.end() :], about)
        rest = re.sub(r"\byou\b", "I", re.sub(r"\byour\b", "my", rest))  # asked of the candidate
    else:
        rest = text[_ASKED.match(text).end() :]  # type: ignore[union-attr]
    rest = _without_impressions(rest)
    rest = shorten(lower_first(rest)) if rest else ""
    if (
        not rest
        or re.match(r"^(?:me\s+)?to\b", rest)
        or not (_WH.match(rest) or not is_clause(rest))
    ):
        return None
    rest = to_second_person(rest, names, about)
    if about:
        return _sentence(_pick(ASKED_FRAMES, turn).format(x=rest))
    return _sentence(_pick(WH_FRAMES if _WH.match(rest) else TOPIC_FRAMES, turn).format(x=rest))


def _clause(short: str, turn: int, about: bool, names: Names) -> tuple[str | None, bool]:
    """A clause as a sentence: (the sentence or None, whether quoting it is still fitting)."""
    first = short.split(" ", 1)[0].lower()
    if first in ("it", "it's", "there", "there's"):
        return None, False  # "it was a long interview": an impression, not a topic
    if first in ("i", "we"):
        verb = short.split()[1].lower() if len(short.split()) > 1 else ""
        if verb in _UNSURE:
            return None, False  # "I think it went well": the user's feelings, not a topic
        if verb.endswith("ed") or verb in _PAST:
            moment = to_second_person(short, names, True)  # "showed them" -> "showed you"
            return _sentence(_pick(MOMENT_FRAMES, turn).format(x=moment)), True
        if first == "we":
            return _sentence(_pick(CLAUSE_FRAMES, turn).format(how="that", x=short)), True
        return None, True
    if first in ("i'm", "i've", "we're", "we've"):
        return None, True
    if first in ("she", "he", "she's", "he's") and not about:
        return None, False  # about someone of the panel, who is not this recipient
    shifted = to_second_person(short, names, about)
    how = "how" if _PROGRESSIVE.match(shifted) else "that"
    return _sentence(_pick(CLAUSE_FRAMES, turn).format(how=how, x=shifted)), True


def mention(part: Piece, turn: int, about: bool, names: Names) -> tuple[str | None, str | None]:
    """(the note woven into a sentence, or None; the note quoted, or None)."""
    text = plain(part.text)
    text = _drop_label(text, names)
    quoted = _quote(text, part.end, turn)
    if _Q_LABEL.match(text) or (
        _ASKED.match(text)
        and re.match(r"^(?:(?:she|he|they|you)\s+)?(?:asked|grilled)", text, re.I)
    ):
        return _asked(text, turn, about, names), quoted
    loved = _LOVED_TAIL.search(text)
    if loved:  # '"We ship every day" - loved that'
        text = text[: loved.start()].strip()
        if text[:1] in "\"'“‘":
            return None, _quote(text.strip("\"'“”‘’"), part.end, turn)
    bare = _IMPRESSION.sub("", _TAIL.sub("", text), count=1)
    enjoyed = loved is not None or _ENJOYED.match(bare) is not None
    impressed = re.match(r"^(?:i\s+was\s+|was\s+)?(?:really\s+)?impressed\s+(?:by|with)\s",
                         bare, re.I) is not None  # fmt: skip
    went_well = _WENT_WELL.match(text)
    if went_well:  # "pair programming exercise went well"
        text, enjoyed = went_well["what"], True
    interest = _INTEREST.match(text)
    if interest:  # "interested in my k8s experience"
        x = to_second_person(lower_first(interest["what"]), names, about)
        frames = INTEREST_FRAMES if about else TOPIC_FRAMES
        return _sentence(_pick(frames, turn).format(x=x)), quoted
    text = _PARENTHETICAL.sub("", text)
    text = _without_impressions(text)
    text = _LEAD_IN.sub("", text, count=1).strip()
    text = re.sub(r"^that\s+", "", _without_impressions(text), flags=re.I)
    if not text or _ONLY_IMPRESSION.fullmatch(text):
        return None, None  # an impression, not a topic: nothing to mention
    if _PREPOSITION.match(text):
        return None, None  # what is left of a sentence whose link was taken out
    text = lower_first(undo_question(text, about))
    if part.end == "?" and not _WH.match(text) or _DIRECT_QUESTION.match(text):
        return None, quoted  # a direct question: the user's own words
    verb = text.split(" ", 1)[0].lower()
    if AUX.fullmatch(verb) and re.fullmatch(r"is|was|has|\w+s", verb):  # "wants someone senior"
        text = ("she " if about else "the team ") + text
    short = shorten(text)
    if not short:
        return None, quoted
    if _WH.match(short):
        shifted = to_second_person(short, names, about)
        return _sentence(_pick(WH_FRAMES, turn).format(x=shifted)), quoted
    if is_clause(short):
        sentence, quotable = _clause(short, turn, about, names)
        return sentence, quoted if quotable else None
    shifted = to_second_person(article(short), names, about)
    frames = IMPRESSED_FRAMES if impressed else ENJOYED_FRAMES if enjoyed else TOPIC_FRAMES
    return _sentence(_pick(frames, turn).format(x=shifted)), quoted


def _drop_label(text: str, names: Names) -> str:
    """ "Jane: she's the hiring manager" -> "she's the hiring manager"; "Their stack: Python,
    Go" -> "their stack (Python, Go)"."""
    m = re.match(r"^(?P<head>[^:]{1,40}):\s+(?P<rest>.+)$", text)
    if not m or _Q_LABEL.match(text):
        return text
    head = m["head"].strip()
    if head in names.words or re.fullmatch(r"[A-Z][a-z]+", head) and len(head.split()) == 1:
        return m["rest"]
    if len(head.split()) <= 4 and not is_clause(m["rest"]):
        return f"{head} ({m['rest']})"
    return text


_Q_LABEL = re.compile(r"^(?:q|question|they asked|asked me)\s*:\s*", re.IGNORECASE)
_LOVED_TAIL = re.compile(
    r"\s*[-–—,:]\s*(?:really\s+|totally\s+)?(?:loved|liked|enjoyed|love|like)\s+(?:that|it|this)"
    r"(?:\s+(?:a\s+lot|very\s+much))?\s*$",
    re.IGNORECASE,
)
_WENT_WELL = re.compile(
    r"^(?P<what>.+?)\s+(?:went|was|felt|seemed)\s+(?:really\s+|very\s+|super\s+|quite\s+)?"
    r"(?:well|great|good|smoothly|fine|fun|ok|okay)$",
    re.IGNORECASE,
)
_INTEREST = re.compile(
    r"^(?:(?:she|he|they)\s+(?:was|were|is|are|seemed)\s+)?(?:very\s+|really\s+|quite\s+)?"
    r"(?:interested\s+in|curious\s+about|keen\s+on)\s+(?P<what>.+)$",
    re.IGNORECASE,
)
# "you are rebuilding", "you're leading", "the team is quickly growing": heard "how"
_PROGRESSIVE = re.compile(
    r"^\S+(?:\s+\S+)?(?:\s+(?:are|were|is|was|have been|has been|been))?\s+(?:\w+ly\s+)?"
    r"\w+ing\b(?!\s+(?:manager|lead|plan|team|process|committee|budget|data))",
    re.IGNORECASE,
)
_UNSURE = frozenset(["think", "feel", "felt", "guess", "hope", "believe", "thought", "wonder"])
_PAST = frozenset(["showed", "told", "pitched", "gave", "built", "drew", "wrote", "did", "had",
                   "made", "ran", "shared", "went", "got", "brought", "took", "spoke", "sketched",
                   "whiteboarded", "demoed", "explained", "presented", "mentioned"])  # fmt: skip

# "(she's the lead)": an aside about a person reads badly inside a sentence; "(Snowflake +
# dbt)" is kept.
_PARENTHETICAL = re.compile(r"\s*\((?:[^()]*\b(?:she|he|they|i|we)\b[^()]*)\)", re.I)
_PREPOSITION = re.compile(r"^(?:for|to|with|at|by|from|of|in|on|and|or|but)\s", re.IGNORECASE)
_DIRECT_QUESTION = re.compile(
    r"^(?:how|what|why|where|when|who|which)\s+(?:do|does|did|is|are|was|were|can|could|will|"
    r"would|should|has|have)\b",
    re.IGNORECASE,
)


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
# Five each, like the mention frames: a next step in the general notes reaches every panel
# member, and each of them gets it in other words.
_FOLLOW_UP_FRAMES = (
    "As discussed, I will {x} shortly.",
    "As promised, I will {x} shortly.",
    "As agreed, I will {x} shortly.",
    "I will {x} shortly, as we discussed.",
    "As mentioned, I will {x} shortly.",
)
_NEXT_FRAMES = (
    "I look forward to {x}.",
    "I am looking forward to {x}.",
    "I look forward to {x} as the next step.",
    "I am glad to be moving on to {x}.",
    "I am already looking forward to {x}.",
)
_UNDERSTOOD_FRAMES = (
    "As for the next steps, I understand that {x}.",
    "Regarding the next steps, I understand that {x}.",
    "As I understand it, {x} as the next step.",
    "On the next steps, I understand that {x}.",
    "For the next steps, I understand that {x}.",
)


def _with_article(np: str) -> str:
    low = np.lower()
    for pattern, named in _NAMED_STEPS.items():
        if re.fullmatch(pattern, low):
            return named
    if DETERMINERS.match(np) or np[:1].isupper() and lower_first(np) == np:
        return np
    return "the " + np


def next_step(part: Piece, turn: int, about: bool, names: Names) -> str | None:
    """The sentence for the next-steps paragraph, or None."""
    text = _without_impressions(lower_first(plain(part.text)))
    text = re.sub(r"^(?:is|are|will be|=)\s+", "", text, flags=re.I)
    text = re.sub(r"^(?:an?|the)\s+(?=take|on|final|system|tech|coding)", "", text, flags=re.I)
    if not text or len(text.split()) > MAX_WORDS or part.end == "?":
        return None
    first = text.split(" ", 1)[0].lower()
    if _SENDING.match(text):
        verb, _, obj = text.partition(" ")
        obj = obj.strip()
        if obj and not DETERMINERS.match(obj):
            obj = "my " + obj
        action = f"{verb.lower()} {obj}".strip()
        action = to_second_person(action, names, about)
        return _sentence(_pick(_FOLLOW_UP_FRAMES, turn).format(x=action))
    if first in _VERBS_ING:
        rest = text.split(" ", 1)[1] if " " in text else ""
        doing = f"{_VERBS_ING[first]} {to_second_person(rest, names, about)}".strip()
        return _sentence(_pick(_NEXT_FRAMES, turn).format(x=doing))
    if is_clause(text):
        shifted = to_second_person(text, names, about)
        if shifted.split(" ", 1)[0].lower() in ("i", "we", "it", "there"):
            return None
        return _sentence(_pick(_UNDERSTOOD_FRAMES, turn).format(x=shifted))
    return _sentence(_pick(_NEXT_FRAMES, turn).format(x=_with_article(
        to_second_person(text, names, about))))  # fmt: skip
