"""Logging for the daemon: one stderr handler, journald-aware, that never lets a secret through.

Why a redaction filter at the handler: OAuth libraries, HTTP clients and our own connectors all
log through the root logger, and any of them may one day put a token, an authorization code or
an ``Authorization:`` header into a message, its arguments or a traceback. Scrubbing the final
text at the one place where everything leaves the process is the only check that covers code we
do not own. What counts as a secret (names, patterns, registered values) is
:mod:`daemon.redaction`'s business, shared with the errors the CLI prints and the engine stores.

Under systemd (``$JOURNAL_STREAM`` names our stderr) each line carries an sd-daemon ``<N>``
priority prefix so ``journalctl -p warning`` works, and no timestamp, since the journal adds
its own.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

from daemon.errors import ConfigError
from daemon.redaction import redact

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
