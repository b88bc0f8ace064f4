"""German sentences from notes (see :mod:`daemon.writing.compose` for what goes where).

German inflects a noun phrase by case and gender, which a note does not tell; so a topic is
named the way German business mail does anyway, as a quoted theme: "Besonders interessant fand ich
das Thema „Migration der Abrechnung auf Kafka“." A leading article is dropped
("der Umbau der Plattform" -> „Umbau der Plattform“), since it would be in the wrong case.

A clause about the recipient ("sie baut die Datenplattform neu auf") becomes a "dass" clause in
the polite form, verb last, separable prefix joined: "…, dass Sie die Datenplattform neu
aufbauen." A question they asked ("hat gefragt, warum ich von Fintech zu ML gewechselt bin") is
already a subordinate clause and is kept. The drafts address the recipient with "Sie", the
default of German business mail also where the greeting is "Hallo Amelia,".
"""

from __future__ import annotations

import re

from daemon.writing.compose import Names, Piece

MAX_WORDS = 20

# The thank-you's own sentences already say "Gespräch" and "Austausch" (the thanks, the
# interest): a frame that said them again made a German reader count three in four lines.
TOPIC_FRAMES = (
    "Besonders interessant fand ich das Thema „{x}“.",
    "Besonders spannend fand ich, was Sie zum Thema „{x}“ erzählt haben.",
    "In Erinnerung geblieben ist mir vor allem das Thema „{x}“.",
    "Sehr aufschlussreich war für mich das Thema „{x}“.",
    "Gern denke ich an Ihre Ausführungen zum Thema „{x}“ zurück.",
)
CLAUSE_FRAMES = (
    "Besonders spannend fand ich zu hören, dass {x}.",
    "Sehr interessant war für mich, dass {x}.",
    "Gefreut hat mich zu hören, dass {x}.",
    "Besonders in Erinnerung geblieben ist mir, dass {x}.",
    "Spannend fand ich auch, dass {x}.",
)
ASKED_FRAMES = (
    "Ihre Frage, {x}, habe ich sehr gern beantwortet.",
    "Gefreut hat mich Ihre Frage, {x}.",
    "Ihre Frage, {x}, fand ich sehr anregend.",
    "Gern habe ich Ihre Frage beantwortet, {x}.",
    "Ihre Frage, {x}, ist mir in guter Erinnerung geblieben.",
)
INTEREST_FRAMES = (
    "Gefreut hat mich Ihr Interesse {x}.",
    "Ihr Interesse {x} hat mich sehr gefreut.",
    "Sehr gefreut habe ich mich über Ihr Interesse {x}.",
    "Schön fand ich Ihr Interesse {x}.",
    "Ihr Interesse {x} hat mich besonders gefreut.",
)
QUESTIONS_FRAMES = (
    "Gern habe ich Ihre Fragen {x} beantwortet.",
    "Ihre Fragen {x} habe ich sehr gern beantwortet.",
    "Besonders gefallen haben mir Ihre Fragen {x}.",
    "Ihre Fragen {x} fand ich sehr anregend.",
    "Über Ihre Fragen {x} habe ich mich sehr gefreut.",
)
NEXT_FRAMES = (
    "Ich freue mich auf den nächsten Schritt: {x}.",
    "Auf den nächsten Schritt freue ich mich schon: {x}.",
    "Gern gehe ich den nächsten Schritt an: {x}.",
    "Ich freue mich bereits auf den nächsten Schritt: {x}.",
    "Den nächsten Schritt gehe ich gern an: {x}.",
)
FOLLOW_UP_FRAMES = (
    "Wie besprochen reiche ich Folgendes zeitnah nach: {x}.",
    "Wie vereinbart reiche ich Folgendes zeitnah nach: {x}.",
    "Wie angekündigt reiche ich Folgendes zeitnah nach: {x}.",
    "Wie besprochen sende ich Ihnen zeitnah Folgendes: {x}.",
    "Wie vereinbart sende ich Ihnen zeitnah Folgendes: {x}.",
)
QUOTE_FRAMES = (
    "Ein Punkt aus unserem Gespräch ist mir besonders im Gedächtnis geblieben: „{x}“",
    "Ein Gedanke aus unserem Gespräch beschäftigt mich weiter: „{x}“",
    "Notiert habe ich mir vor allem einen Punkt: „{x}“",
    "Besonders hängen geblieben ist mir: „{x}“",
    "Ein Punkt unseres Gesprächs ist mir besonders wichtig: „{x}“",
)

_LEAD_IN = re.compile(
    r"^(?:(?:wir|sie|er|ich)\s+)?(?:haben|hat|habe)?\s*(?:(?:viel|lange|ausführlich|kurz)\s+)?"
    r"(?:über|zu|zum\s+thema)\s+(?P<topic>.+?)\s+(?:gesprochen|geredet|diskutiert|"
    r"ausgetauscht|unterhalten|erzählt|berichtet|geplaudert)$"
    r"|^(?:(?:wir|sie|er)\s+)?(?:sprachen|redeten|diskutierten|haben\s+gesprochen)\s+"
    r"(?:über|zu)\s+(?P<topic2>.+)$"
    r"|^(?:gespräch|austausch|diskussion)\s+(?:über|zu|zum\s+thema)\s+(?P<topic3>.+)$",
    re.IGNORECASE,
)
_IMPRESSION = re.compile(
    r"^(?:(?:sehr|super|echt|wirklich)\s+)*(?:tolles|gutes|nettes|spannendes|interessantes|"
    r"angenehmes|super|tolle|gute|nette|spannende|interessante|angenehme|klasse)\s+"
    r"(?:gespräch|austausch|diskussion|interview|call|demo|präsentation)?\s*"
    r"(?:(?:über|zu|zum\s+thema|zur|zum|mit)\s+)?",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"\s*[,;–—-]\s*(?:(?:sehr|super|echt|total|wirklich|insgesamt)\s+)*(?:nett|sympathisch|"
    r"freundlich|angenehm|entspannt|locker|kompetent|klug|offen|herzlich)e?r?\b.*$",
    re.IGNORECASE,
)
_ONLY_IMPRESSION = re.compile(
    r"^(?:(?:sehr|super|echt|total|wirklich|insgesamt)\s+)*(?:nett|sympathisch|freundlich|"
    r"angenehm|entspannt|locker|kompetent|toll|gut|super|klasse)\w*(?:\s+\w+)?$",
    re.IGNORECASE,
)
_ASKED = re.compile(
    r"^(?:(?:sie|er)\s+)?(?:hat\s+)?(?:mich\s+)?(?:gefragt|fragte(?:\s+mich)?)\s*,?\s*"
    r"(?P<x>(?:warum|wie|was|wieso|weshalb|ob|wann|wo|welche\w*)\b.+)$",
    re.IGNORECASE,
)
_UNSURE = re.compile(r"^(?:ich\s+)?(?:glaube|denke|finde|hoffe|vermute|fühlte)\b", re.IGNORECASE)
_INTEREST = re.compile(
    r"^(?:(?:sie|er)\s+(?:war|ist|schien)\s+)?(?:sehr\s+)?(?:interessiert|neugierig)\s+"
    r"(?P<x>(?:an|auf)\s+.+)$",
    re.IGNORECASE,
)
_QUESTIONS = re.compile(
    r"^(?:(?:sie|er)\s+)?(?:hat\s+)?(?:viele\s+|einige\s+)?fragen\s+"
    r"(?P<x>(?:zu|zur|zum|über|nach)\s+.+?)\s+gestellt$",
    re.IGNORECASE,
)
_WENT_WELL = re.compile(
    r"\s+(?:lief|war|ging)\s+(?:sehr\s+|richtig\s+|echt\s+)?(?:gut|super|toll|klasse|spannend|"
    r"interessant|beeindruckend|stark)$|\s+hat\s+(?:viel\s+)?spaß\s+gemacht$",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"^(?:der|die|das|den|dem|des|ein|eine|einen|einem|einer)\s+", re.I)
_SUBJECT = re.compile(r"^(?P<s>sie|er)\s+(?P<verb>\S+)\s*(?P<rest>.*)$", re.IGNORECASE)
_PREFIXES = ("auf", "an", "ab", "aus", "ein", "mit", "vor", "zu", "zurück", "weiter", "um",
             "nach", "fest", "los", "vorbei", "hinzu", "her", "hin")  # fmt: skip
# Third person singular to the polite "Sie" (third person plural), the common irregular ones.
_SIE = {"ist": "sind", "hat": "haben", "wird": "werden", "kann": "können", "will": "wollen",
        "muss": "müssen", "darf": "dürfen", "soll": "sollen", "mag": "mögen", "weiß": "wissen",
        "möchte": "möchten", "fährt": "fahren", "spricht": "sprechen", "liest": "lesen",
        "gibt": "geben", "nimmt": "nehmen", "hält": "halten", "läuft": "laufen",
        "sieht": "sehen", "trifft": "treffen", "hilft": "helfen", "lädt": "laden",
        "trägt": "tragen", "schläft": "schlafen", "wächst": "wachsen", "lässt": "lassen",
        "tut": "tun", "isst": "essen", "vergisst": "vergessen", "misst": "messen"}  # fmt: skip
_POSSESSIVE = {"ihr": "Ihr", "ihre": "Ihre", "ihren": "Ihren", "ihrem": "Ihrem", "ihrer": "Ihrer",
               "ihres": "Ihres", "sein": "Ihr", "seine": "Ihre", "seinen": "Ihren",
               "seinem": "Ihrem", "seiner": "Ihrer", "seines": "Ihres"}  # fmt: skip


def _pick(frames: tuple[str, ...], turn: int) -> str:
    return frames[turn % len(frames)]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _theme(text: str) -> str:
    """A topic as a quoted theme: its article dropped when a noun follows ("die Migration"),
    since the article would be in the wrong case; kept before an adjective ("das neue
    Design-System"), whose ending agrees with it."""
    text = text.strip(" ,;:„“\"'")
    rest = _ARTICLE.sub("", text)
    if rest != text and rest[:1].isupper():
        text = rest
    if re.match(r"^[a-zäöü]+[A-Z]", text):  # "iOS", "eBay": a name as it is written
        return text
    return text[:1].upper() + text[1:]


def _polite(verb: str) -> str:
    """ "baut" -> "bauen", "arbeitet" -> "arbeiten", "ist" -> "sind"."""
    low = verb.lower()
    if low in _SIE:
        return _SIE[low]
    if re.search(r"(?:d|t)et$", low):
        return verb[:-2] + "en"
    if low.endswith("t"):
        stem = verb[:-1]
        return stem + ("n" if stem.endswith(("el", "er")) else "en")
    return verb


def _verb_last(subject: str, verb: str, rest: str) -> str:
    """Main-clause order to "dass" order: "Sie bauen X neu auf" -> "Sie X neu aufbauen"."""
    words = rest.split()
    if words and words[-1].lower() in _PREFIXES:
        verb = words.pop().lower() + verb
    return " ".join([subject, *words, verb])


def _possessives(text: str) -> str:
    return " ".join(_POSSESSIVE.get(w.lower(), w) if w.islower() else w for w in text.split())


def mention(part: Piece, turn: int, about: bool, names: Names) -> tuple[str | None, str | None]:
    """(the note woven into a German sentence, or None; the note quoted, or None)."""
    text = " ".join(part.text.split())
    head = re.match(r"^(?P<who>[A-ZÄÖÜ][\w-]+):\s+(?P<rest>.+)$", text)
    if head and (head["who"] in names.words or not re.search(r"[-A-Z].*[A-Z]|stack", head["who"])):
        text = head["rest"]  # "Anna: sie ist die Teamleiterin"
    if _UNSURE.match(text):
        return None, None  # "ich glaube, es lief gut": the user's feelings, not a topic
    quoted = _quote(text, part.end, turn)
    interest = _INTEREST.match(text)
    if interest and about:
        return _sentence(_pick(INTEREST_FRAMES, turn).format(x=interest["x"])), quoted
    questions = _QUESTIONS.match(text)
    if questions and about:
        return _sentence(_pick(QUESTIONS_FRAMES, turn).format(x=questions["x"])), quoted
    asked = _ASKED.match(text)
    if asked:
        x = asked["x"].strip(" ?")
        if len(x.split()) <= MAX_WORDS and about:
            return _sentence(_pick(ASKED_FRAMES, turn).format(x=x)), quoted
        return None, quoted
    text = _TAIL.sub("", text).strip(" ,;-–—")
    text = _IMPRESSION.sub("", text, count=1).strip(" ,;:-–—")
    text = _WENT_WELL.sub("", text).strip(" ,;:-–—")
    text = re.sub(r"^(?:thema|themen)\s*:?\s+", "", text, flags=re.IGNORECASE)
    if not text or _ONLY_IMPRESSION.fullmatch(text):
        return None, None
    lead = _LEAD_IN.match(text)
    if lead:
        text = (lead["topic"] or lead["topic2"] or lead["topic3"]).strip()
    if len(text.split()) > MAX_WORDS:
        text = re.split(r",\s*|\s+und\s+", text)[0]
        if len(text.split()) > MAX_WORDS:
            return None, None
    if part.end == "?":
        return None, quoted
    clause = _SUBJECT.match(text)
    if clause:
        if not about:
            return None, quoted
        verb, rest = clause["verb"], _possessives(clause["rest"])
        body = _verb_last("Sie", _polite(verb), rest)
        return _sentence(_pick(CLAUSE_FRAMES, turn).format(x=body)), quoted
    if re.match(r"^(?:ich|wir|es|man)\s", text, re.I) or re.search(
        r"\s(?:ist|sind|war|hat|haben|wird|werden)\b", text
    ):
        return None, quoted  # a sentence of its own: the user's words, quoted
    return _sentence(_pick(TOPIC_FRAMES, turn).format(x=_theme(_possessives(text)))), quoted


def _quote(text: str, end: str, turn: int) -> str | None:
    text = text.strip(" ,;:")
    if not text or len(text.split()) > MAX_WORDS:
        return None
    return _pick(QUOTE_FRAMES, turn).format(x=text[:1].upper() + text[1:] + (end or "."))


_SEND = re.compile(r"\b(?:schicken|senden|zusenden|nachreichen|schicke|sende|teilen)$", re.I)


def next_step(part: Piece, turn: int, about: bool, names: Names) -> str | None:
    """The sentence for the next-steps paragraph, in German, or None."""
    text = _TAIL.sub("", " ".join(part.text.split())).strip(" ,;:-–—")
    if not text or len(text.split()) > MAX_WORDS or part.end == "?":
        return None
    if _SEND.search(text):
        thing = _SEND.sub("", text).strip()
        thing = _ARTICLE.sub("", thing)
        if not thing:
            return None
        return _sentence(_pick(FOLLOW_UP_FRAMES, turn).format(x=_theme(thing)))
    if _SUBJECT.match(text) or re.match(r"^(?:ich|wir)\s", text, re.I):
        return None
    return _sentence(_pick(NEXT_FRAMES, turn).format(x=_theme(_possessives(text))))
