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

How much is said: followupd's own loggers (``daemon``, ``connectors``) at ``[daemon].log_level``
(info by default), every library at WARNING. On the command line ``-q`` means warnings and
errors only, ``-v`` followupd's debug lines, ``-vv`` everything, libraries included (and the
traceback behind an error the CLI reports in one line). The flags win over the config.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from daemon.errors import ConfigError
from daemon.redaction import redact

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}

# How much the command line asked for (-q, nothing, -v, -vv): the flags win over
# [daemon].log_level, which applies when none is given.
QUIET, NORMAL, VERBOSE, EVERYTHING = -1, 0, 1, 2

# followupd's own loggers; every other one is a library's, kept at WARNING unless -vv.
OWN = ("daemon", "connectors")
LIBRARIES = logging.WARNING

# Libraries that are chatty below WARNING (one line per HTTP request or SQL statement, cache
# warnings): their loggers are set so they do not even make the records, unless -vv.
NOISY = {
    "googleapiclient": logging.WARNING,
    "googleapiclient.discovery_cache": logging.ERROR,
    "google_auth_httplib2": logging.WARNING,
    "urllib3": logging.WARNING,
    "msal": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
    "alembic": logging.WARNING,
    "sqlalchemy": logging.WARNING,
}

# ``extra=RECORDED`` marks a line that says what the store also records (an account failed, a
# follow-up failed): a command that reports from the store (``run --once``'s summary) drops it
# so that each event is printed once (:func:`reported_by_command`).
RECORDED = {"recorded": True}

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


class Threshold(logging.Filter):
    """Who gets through the handler: followupd's own records from ``own`` up, the libraries'
    from ``libraries`` up (WARNING, unless -vv).

    A filter at the handler rather than levels on the ``daemon`` and ``connectors`` loggers: the
    root logger stays the one level that tests (pytest's ``caplog``) and embedders adjust.
    """

    def __init__(self, own: int, libraries: int) -> None:
        super().__init__()
        self.own, self.libraries = own, libraries
        self.command_reports = False  # see reported_by_command

    def filter(self, record: logging.LogRecord) -> bool:
        mine = record.name.split(".", 1)[0] in OWN
        if not mine:
            return record.levelno >= self.libraries
        if record.levelno < self.own:
            return False
        if self.command_reports and self.own >= logging.INFO:
            return record.levelno >= logging.WARNING and not getattr(record, "recorded", False)
        return True


_verbosity = NORMAL


def tracebacks() -> bool:
    """Whether an error the user can act on comes with its traceback: only with -vv (the
    one-line message is the answer; the traceback is for a bug report)."""
    return _verbosity >= EVERYTHING


def own_level(level: str, verbosity: int = NORMAL) -> int:
    """followupd's own threshold: the flags (-q warning, -v debug) win over ``level``."""
    if verbosity >= VERBOSE:
        return logging.DEBUG
    if verbosity <= QUIET:
        return logging.WARNING
    try:
        return LEVELS[level.lower()]
    except KeyError:
        raise ConfigError([f"log level {level!r} is not one of: {', '.join(LEVELS)}"]) from None


def setup(level: str, verbosity: int = NORMAL, *, stream: TextIO | None = None) -> None:
    """Send all logging to ``stream`` (stderr): followupd's own at ``level`` or what the flags
    say (``verbosity``: -q, -v), the libraries' at WARNING, everything at DEBUG with -vv.

    Safe to call again (e.g. after the configuration is loaded): the handler installed by the
    previous call is replaced, handlers others installed (pytest's) are left alone.
    """
    global _verbosity
    own = own_level(level, verbosity)
    everything = verbosity >= EVERYTHING
    libraries = logging.DEBUG if everything else max(LIBRARIES, own)
    _verbosity = verbosity
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    if stream_is_journal(stream):
        handler.setFormatter(JournalFormatter(JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT, DATE_FORMAT))
    # Scrub first: the handlers after ours (pytest's) see the record we drop, too.
    handler.addFilter(RedactingFilter())
    handler.addFilter(Threshold(own, libraries))
    handler._followupd = True  # type: ignore[attr-defined]

    root = logging.getLogger()
    for old in _handlers():
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(min(own, libraries))
    for name, quiet in NOISY.items():
        logging.getLogger(name).setLevel(logging.NOTSET if everything else quiet)
    logging.captureWarnings(True)


def _handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_followupd", False)]


@contextmanager
def reported_by_command() -> Iterator[None]:
    """While a command prints its own account of what happened from the store (``run
    --once``'s summary: drafted, planned, skipped, failed, accounts in trouble), the log lines
    telling the same are not printed on a terminal: followupd's info lines and the
    ``RECORDED`` errors. A person reading both would see every event twice.

    Only on a terminal: a log that goes to a file, a pipe or the journal is a record kept apart
    from the summary (cron, a systemd timer, a script reading stdout), and keeps every line.
    What the summary does not say is printed anyway (a skipped calendar item, a bug's
    traceback), and -v (or ``log_level = "debug"``) shows every line again, for a diagnosis.
    """
    thresholds = [
        f for h in _handlers() if _on_terminal(h) for f in h.filters if isinstance(f, Threshold)
    ]
    for threshold in thresholds:
        threshold.command_reports = True
    try:
        yield
    finally:
        for threshold in thresholds:
            threshold.command_reports = False


def _on_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, OSError):  # closed
        return False
