"""Logging for the daemon: one stderr handler, journald-aware, that never lets a secret through.

Why a redaction filter at the handler: OAuth libraries, HTTP clients and our own connectors all
log through the root logger, and any of them may one day put a token, an authorization code or
an ``Authorization:`` header into a message, its arguments or a traceback. Scrubbing the final
text at the one place where everything leaves the process is the only check that covers code we
do not own. Exact values known to be secret (a refresh token just loaded from disk) are
registered with :func:`register_secret` and removed wherever they appear, whatever the form.

Under systemd (``$JOURNAL_STREAM`` names our stderr) each line carries an sd-daemon ``<N>``
priority prefix so ``journalctl -p warning`` works, and no timestamp, since the journal adds
its own.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import TextIO
from urllib.parse import quote, quote_plus

from daemon.errors import ConfigError

REDACTED = "[REDACTED]"

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

# Libraries that are chatty at INFO (one line per HTTP request, cache warnings). Quiet unless -v.
NOISY = {
    "googleapiclient": logging.WARNING,
    "googleapiclient.discovery_cache": logging.ERROR,
    "google_auth_httplib2": logging.WARNING,
    "urllib3": logging.WARNING,
    "msal": logging.WARNING,
    "apscheduler": logging.WARNING,
    "alembic": logging.WARNING,
}

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"

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
# messages stay readable.
_KEY_VALUE = re.compile(
    rf"""(?P<key>(?P<q>["'])?{_START}(?P<name>{_KEYS})\b(?(q)\\?(?P=q)))"""
    r"""(?P<sep>(?(q)\s*[:=]\s*|\s*=\s*))"""
    rf"""{_NOT_YET}(?P<val>\\"(?:[^"\\]|\\[^"])*\\"|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
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
_secret_pattern: re.Pattern[str] | None = None


def register_secret(value: str | bytes | None) -> None:
    """Scrub ``value`` (and its URL-encoded forms) from every log line from now on."""
    global _secret_pattern
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    # As written, URL-encoded (query strings, form bodies) and JSON with escaped slashes.
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), value.replace("/", "\\/")}
    with _secrets_lock:
        if forms <= _secrets:
            return
        _secrets.update(forms)
        # Longest first, so a secret that contains another is removed whole.
        alternatives = sorted(_secrets, key=len, reverse=True)
        _secret_pattern = re.compile("|".join(re.escape(s) for s in alternatives))


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


def redact(text: str) -> str:
    """``text`` with every secret we can recognise replaced by ``[REDACTED]``."""
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _AUTH_HEADER.sub(_redact_header, text)
    text = _BEARER.sub(lambda m: f"{m['scheme']} {REDACTED}", text)
    text = _KEY_VALUE.sub(_redact_key_value, text)
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}@", text)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that message, arguments, traceback and stack hold no secret.

    The message is merged with its arguments first: a secret split between ``"token=%s"`` and
    its argument only becomes recognisable once formatted.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw parts, still scrubbed
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JournalFormatter(logging.Formatter):
    """Prefixes every line with ``<N>``: journald reads each line of a stream as its own entry,
    so a traceback's lines would otherwise be logged at the default priority."""

    @staticmethod
    def priority(levelno: int) -> int:
        if levelno >= logging.CRITICAL:
            return 2
        if levelno >= logging.ERROR:
            return 3
        if levelno >= logging.WARNING:
            return 4
        if levelno >= logging.INFO:
            return 6
        return 7

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{self.priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines() or [""])


def stream_is_journal(stream: TextIO) -> bool:
    """True when ``stream`` is the journald stream systemd connected (``$JOURNAL_STREAM``).

    systemd sets ``JOURNAL_STREAM=device:inode`` of that stream; comparing it with the actual
    stream avoids prefixing lines when stderr was redirected or the variable was inherited.
    """
    value = os.environ.get("JOURNAL_STREAM", "")
    try:
        dev, ino = (int(part) for part in value.split(":"))
        st = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError):
        return False
    return (st.st_dev, st.st_ino) == (dev, ino)


def setup(level: str, verbose: bool = False, *, stream: TextIO | None = None) -> None:
    """Send all logging to ``stream`` (stderr) at ``level``; ``verbose`` means debug, libraries too.

    Safe to call again (e.g. after the configuration is loaded): the handler installed by the
    previous call is replaced, handlers others installed (pytest's) are left alone.
    """
    try:
        threshold = logging.DEBUG if verbose else LEVELS[level.lower()]
    except KeyError:
        raise ConfigError([f"log level {level!r} is not one of: {', '.join(LEVELS)}"]) from None
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    if stream_is_journal(stream):
        handler.setFormatter(JournalFormatter(JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT, DATE_FORMAT))
    handler.addFilter(RedactingFilter())
    handler._followupd = True  # type: ignore[attr-defined]

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_followupd", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(threshold)
    for name, quiet in NOISY.items():
        logging.getLogger(name).setLevel(logging.NOTSET if verbose else quiet)
    logging.captureWarnings(True)
