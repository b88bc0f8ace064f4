"""Recognising secrets in text and replacing them with ``[REDACTED]``.

Why a module of its own: text leaves followupd by three doors (the log, what the CLI prints,
and the state database, which ``status`` prints later), and the same secret must be caught at
all of them the same way. The log handler (:mod:`daemon.logsetup`) scrubs every record; every
error's text is scrubbed where it is made (:class:`daemon.errors.FollowupdError`), which covers
what the CLI prints and what the engine stores. Neither may depend on the other, so the patterns
and the registry of known secret values live here, importing nothing of followupd.

Two kinds of secret are recognised: values under a name that is always secret
(``"access_token": "..."``, ``refresh_token=...``, ``Authorization: ...``, ``Bearer ...``, a
password in a URL), and exact values registered with :func:`register_secret` (a refresh token
just loaded from disk), which are removed wherever they appear, whatever surrounds them.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import quote, quote_plus

REDACTED = "[REDACTED]"

# Parameter names whose values are secret wherever they appear: JSON, dict reprs, form bodies,
# query strings, ``key: value`` text. ``\b`` keeps ``user_code`` (shown to the user on purpose
# in the device flow) and ``status_code`` from matching ``code``.
_SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "client_assertion",
    "assertion",
    "code_verifier",
    "device_code",
    "code",
    "password",
    "app_password",
    "api_key",
    "secret",
)
_KEYS = "|".join(_SECRET_KEYS)
_NOT_YET = rf"(?!{re.escape(REDACTED)})"  # keeps redaction idempotent
# Start of a name: not inside a longer word, except right after a literal "\r\n" as found in
# reprs of raw HTTP traffic (http.client's debug output).
_START = r"(?:(?<!\w)|(?<=\\[nrt]))"
# Quoted keys (JSON, dict reprs, escaped JSON inside a string) take ':' or '='; bare keys only
# '=' (forms, query strings, reprs), so prose and our own "client_secret: expected ..." config
# messages stay readable. A quoted value whose closing quote never comes was cut short (error
# details are bounded to a line, e.g. Graph's at 300 characters): it runs to the end of the text,
# since a token's first half is no less secret than the whole.
_KEY_VALUE = re.compile(
    rf"""(?P<key>(?P<q>["'])?{_START}(?P<name>{_KEYS})\b(?(q)\\?(?P=q)))"""
    r"""(?P<sep>(?(q)\s*[:=]\s*|\s*=\s*))"""
    rf"""{_NOT_YET}(?P<val>\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
    r"""|\\"(?:[^"\\]|\\[^"])*\Z|"(?:[^"\\]|\\.)*\Z|'(?:[^'\\]|\\.)*\Z"""
    r"""|(?:[^\s&,;"'<>(){}\[\]\\]|\\(?![nrt"]))+)""",
    re.IGNORECASE,
)
# ``Authorization: Basic dXNlcjpw`` / ``'Authorization': 'Bearer x'`` / ``authorization=...``
_AUTH_HEADER = re.compile(
    rf"""(?P<key>(?P<q>["'])?(?<!-){_START}(?:proxy-)?authorization\b(?(q)\\?(?P=q)))"""
    r"""(?P<sep>\s*[:=]\s*)"""
    rf"""{_NOT_YET}(?P<val>"[^"]*"|'[^']*'|(?:[A-Za-z-]+[ \t]+)?(?:[^\s"',;\\]|\\(?![nrt]))+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(rf"\b(?P<scheme>Bearer)\s+{_NOT_YET}[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# ``postgresql+psycopg://user:password@host/db``
_URL_PASSWORD = re.compile(rf"(?P<head>[a-z][a-z0-9+.\-]*://[^/\s:@]*:){_NOT_YET}[^@\s/]+@")
# A numeric ``code`` (HTTP status in an API error body) or a CamelCase error name
# (``InvalidAuthenticationToken``) is information, not an authorization code.
_HARMLESS_CODE = re.compile(r"\d{1,5}|[A-Z][a-z]+(?:[A-Z][a-z]+)+")

# Shorter than this a registered value would shred ordinary words; no real token is this short.
_MIN_SECRET_LEN = 6
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
# Registered values by their first _MIN_SECRET_LEN characters, each entry longest first (a
# secret that contains another is removed whole). A text is looked at once for these openings,
# a set lookup per position, not searched once per secret: with a thousand accounts' tokens
# registered (about 8,000 forms), searching for each one cost 0.35 ms on every log line, a
# cost that grew with the number of accounts. Not one regular expression of every secret
# either: re.compile keeps each version of such a pattern in its cache. Entries are replaced,
# never changed in place, so a reader in another thread sees an old or a new tuple, both whole.
_by_opening: dict[str, tuple[str, ...]] = {}
# Openings of so many positions at a time: a long text (an API error's whole body) is looked
# at in pieces, so the set of its openings never holds more than this.
_SPAN = 65_536


def register_secret(value: str | bytes | None) -> None:
    """Scrub ``value`` (and its URL-encoded forms) from every log line from now on."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    # As written, URL-encoded (query strings, form bodies) and JSON with escaped slashes.
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), value.replace("/", "\\/")}
    with _secrets_lock:
        for form in forms - _secrets:
            _secrets.add(form)
            opening = form[:_MIN_SECRET_LEN]
            same = (*_by_opening.get(opening, ()), form)
            _by_opening[opening] = tuple(sorted(same, key=len, reverse=True))


def _registered_in(text: str) -> list[str]:
    """The registered secrets that occur in ``text``, longest first."""
    width, table = _MIN_SECRET_LEN, _by_opening
    last = len(text) - width + 1
    found: list[str] = []
    for begin in range(0, max(last, 0), _SPAN):
        openings = {text[i : i + width] for i in range(begin, min(begin + _SPAN, last))}
        for opening in openings & table.keys():
            found.extend(secret for secret in table.get(opening, ()) if secret in text)
    return sorted(set(found), key=len, reverse=True)


def _quotes(value: str) -> str:
    """The quoting around a matched value (``"``, ``'``, ``\\"`` or none), kept in the output."""
    for mark in ('\\"', '"', "'"):
        if value.startswith(mark) and value.endswith(mark) and len(value) >= 2 * len(mark):
            return mark
    return ""


def _redact_key_value(match: re.Match[str]) -> str:
    value = match["val"]
    mark = _quotes(value)
    bare = value[len(mark) : len(value) - len(mark)]
    if match["name"].lower() == "code" and _HARMLESS_CODE.fullmatch(bare):
        return match[0]
    return f"{match['key']}{match['sep']}{mark}{REDACTED}{mark}"


def _redact_header(match: re.Match[str]) -> str:
    mark = _quotes(match["val"])
    return f"{match['key']}{match['sep']}{mark}{REDACTED}{mark}"


# Each pattern needs a word that most text lacks: looked for first (plain substring searches of
# the lowered text cost about a microsecond), the patterns run only on the lines that have one.
# They had been most of the cost of the log, where nearly no line holds a secret.
_NAMES = tuple({name.split("_")[-1] for name in _SECRET_KEYS})


def redact(text: str) -> str:
    """``text`` with every secret we can recognise replaced by ``[REDACTED]``."""
    if _by_opening:
        for secret in _registered_in(text):
            text = text.replace(secret, REDACTED)
    lowered = text.lower()
    if "authorization" in lowered:
        text = _AUTH_HEADER.sub(_redact_header, text)
    if "bearer" in lowered:
        text = _BEARER.sub(lambda m: f"{m['scheme']} {REDACTED}", text)
    if any(name in lowered for name in _NAMES):
        text = _KEY_VALUE.sub(_redact_key_value, text)
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}@", text)
    return text
