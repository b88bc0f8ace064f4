"""Logging setup: formats (plain and journald) and that no secret survives in any form."""

from __future__ import annotations

import io
import logging
import os
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pytest
import time_machine

from daemon import logsetup, redaction
from daemon.errors import ConfigError


@pytest.fixture(autouse=True)
def restore_logging(kept_secrets: None) -> Iterator[None]:
    """setup() changes process-wide state; put it back so other tests see what they expect."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in logsetup.NOISY}
    verbosity = logsetup._verbosity
    yield
    logsetup._verbosity = verbosity
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, lvl in noisy.items():
        logging.getLogger(name).setLevel(lvl)
    logging.captureWarnings(False)


@pytest.fixture
def stream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TextIO]:
    """A real file as stderr, so JOURNAL_STREAM can name (or not name) its device:inode."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    with open(tmp_path / "stderr.log", "w+", encoding="utf-8") as fh:
        yield fh


def output(stream: TextIO) -> str:
    stream.flush()
    stream.seek(0)
    return stream.read()


def as_journal(stream: TextIO, monkeypatch: pytest.MonkeyPatch) -> None:
    st = os.fstat(stream.fileno())
    monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")


# --- formats -------------------------------------------------------------------------------


def test_plain_format_has_timestamp_level_and_logger(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        logsetup.setup("info", stream=stream)
        with time_machine.travel(datetime(2026, 11, 25, 17, 30, tzinfo=UTC), tick=False):
            logging.getLogger("daemon.running.engine").info("polled %d accounts", 2)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert output(stream) == "2026-11-25 17:30:00 INFO daemon.running.engine: polled 2 accounts\n"


def test_journal_format_has_priority_prefix_and_no_timestamp(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_journal(stream, monkeypatch)
    logsetup.setup("debug", stream=stream)
    log = logging.getLogger("daemon.running.engine")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    assert output(stream).splitlines() == [
        "<7>daemon.running.engine: d",
        "<6>daemon.running.engine: i",
        "<4>daemon.running.engine: w",
        "<3>daemon.running.engine: e",
        "<2>daemon.running.engine: c",
    ]


def test_journal_format_prefixes_every_traceback_line(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_journal(stream, monkeypatch)
    logsetup.setup("info", stream=stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("daemon.running.engine").exception("poll failed")
    lines = output(stream).splitlines()
    assert lines[0] == "<3>daemon.running.engine: poll failed"
    assert lines[-1] == "<3>RuntimeError: boom"
    assert len(lines) > 3 and all(line.startswith("<3>") for line in lines)


def test_journal_stream_naming_another_file_means_plain(
    stream: TextIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Inherited JOURNAL_STREAM while stderr was redirected elsewhere: no prefixes.
    other = tmp_path / "other"
    other.touch()
    st = os.stat(other)
    monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
    logsetup.setup("info", stream=stream)
    logging.getLogger("x").warning("hello")
    assert output(stream).endswith(" WARNING x: hello\n")
    assert not output(stream).startswith("<")


@pytest.mark.parametrize("value", ["", "garbage", "1:2:3"])
def test_malformed_journal_stream_means_plain(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", value)
    assert logsetup.stream_is_journal(stream) is False


def test_setup_twice_keeps_one_handler(stream: TextIO) -> None:
    logsetup.setup("info", stream=stream)
    logsetup.setup("warning", stream=stream)
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_followupd", False)]
    assert len(ours) == 1
    logging.getLogger("x").info("hidden")
    logging.getLogger("x").warning("shown")
    assert "hidden" not in output(stream)
    assert output(stream).count("shown") == 1


def test_unknown_level_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        logsetup.setup("loud")
    assert str(info.value) == "log level 'loud' is not one of: debug, info, warning, error"


def test_level_names_are_case_insensitive(stream: TextIO) -> None:
    logsetup.setup("WARNING", stream=stream)
    assert logging.getLogger().level == logging.WARNING


def test_noisy_libraries_quiet_unless_verbose(stream: TextIO) -> None:
    logsetup.setup("info", stream=stream)
    logging.getLogger("urllib3.connectionpool").info("Starting new HTTPS connection")
    logging.getLogger("msal.application").info("msal chatter")
    logging.getLogger("googleapiclient.discovery_cache").warning("file_cache unavailable")
    logging.getLogger("googleapiclient.discovery").info("URL being requested")
    logging.getLogger("urllib3.connectionpool").warning("Retrying")
    assert logging.getLogger().level == logging.INFO
    text = output(stream)
    assert "Retrying" in text
    for hidden in ("Starting new", "msal chatter", "file_cache", "URL being requested"):
        assert hidden not in text

    logsetup.setup("info", logsetup.EVERYTHING, stream=stream)  # -vv
    assert logging.getLogger().level == logging.DEBUG
    logging.getLogger("urllib3.connectionpool").debug("Starting new HTTPS connection")
    logging.getLogger("msal.application").info("msal chatter")
    text = output(stream)
    assert "Starting new HTTPS connection" in text
    assert "msal chatter" in text


# --- how much: the config's level, the flags -q, -v, -vv --------------------------------------


def said_at(stream: TextIO, level: str, verbosity: int) -> set[str]:
    """Which of a fixed set of lines (followupd's and a library's, at each level) get out."""
    logsetup.setup(level, verbosity, stream=stream)
    stream.seek(0)
    stream.truncate()
    lines = {
        "own debug": ("daemon.running.engine", logging.DEBUG),
        "own info": ("connectors.maildir.connector", logging.INFO),
        "own warning": ("daemon.planning.interviews", logging.WARNING),
        "lib debug": ("httpx", logging.DEBUG),
        "lib info": ("apscheduler.scheduler", logging.INFO),
        "lib warning": ("urllib3.connectionpool", logging.WARNING),
        "other lib info": ("some_library", logging.INFO),
    }
    for text, (name, lvl) in lines.items():
        logging.getLogger(name).log(lvl, "%s", text)
    return {text for text in lines if text in output(stream)}


def test_the_flags_set_followupds_level_and_only_vv_opens_the_libraries(stream: TextIO) -> None:
    own_and_lib_warnings = {"own warning", "lib warning"}
    assert said_at(stream, "info", logsetup.QUIET) == own_and_lib_warnings
    assert said_at(stream, "info", logsetup.NORMAL) == own_and_lib_warnings | {"own info"}
    assert said_at(stream, "info", logsetup.VERBOSE) == own_and_lib_warnings | {
        "own info",
        "own debug",
    }
    assert not logsetup.tracebacks()
    assert said_at(stream, "info", logsetup.EVERYTHING) == {
        "own debug", "own info", "own warning", "lib debug", "lib info", "lib warning",
        "other lib info",
    }  # fmt: skip
    assert logsetup.tracebacks()


def test_the_configs_level_applies_without_flags_and_flags_win(stream: TextIO) -> None:
    assert said_at(stream, "warning", logsetup.NORMAL) == {"own warning", "lib warning"}
    assert "own debug" in said_at(stream, "debug", logsetup.NORMAL)
    assert "lib info" not in said_at(stream, "debug", logsetup.NORMAL)
    assert "own info" not in said_at(stream, "debug", logsetup.QUIET)  # -q beats debug
    assert "own debug" in said_at(stream, "error", logsetup.VERBOSE)  # -v beats error


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs followupd."""

    def isatty(self) -> bool:
        return True


def said_during_a_summary(stream: TextIO, verbosity: int) -> str:
    log = logging.getLogger("daemon.running.engine")
    logsetup.setup("info", verbosity, stream=stream)
    with logsetup.reported_by_command():
        log.info("drafted thank_you")
        log.error("demo: mailbox gone", extra=logsetup.RECORDED)
        log.warning("demo: skipped event 7: no start")
        logging.getLogger("urllib3").warning("connection pool full")
    log.info("after the summary")
    return stream.getvalue() if isinstance(stream, io.StringIO) else output(stream)


def test_what_a_commands_summary_says_is_not_logged_again_on_a_terminal() -> None:
    """run --once prints a summary of the events: on a terminal, followupd's info lines and
    the errors marked RECORDED (an account or a follow-up failed) would say them twice; what
    the summary does not say is still logged, and -v shows everything."""
    for verbosity in (logsetup.NORMAL, logsetup.VERBOSE):
        text = said_during_a_summary(Terminal(), verbosity)
        assert "skipped event 7" in text
        assert "connection pool full" in text
        assert "after the summary" in text
        shown = verbosity >= logsetup.VERBOSE
        assert ("drafted thank_you" in text) is shown, text
        assert ("mailbox gone" in text) is shown, text


def test_a_log_that_is_not_a_terminal_keeps_every_line(stream: TextIO) -> None:
    """A file, a pipe, the journal: a record kept apart from the summary (cron, a timer)."""
    text = said_during_a_summary(stream, logsetup.NORMAL)
    assert "drafted thank_you" in text and "mailbox gone" in text


def test_warnings_go_to_the_log(stream: TextIO) -> None:
    logsetup.setup("info", stream=stream)
    warnings.warn("old api", DeprecationWarning, stacklevel=1)
    assert "WARNING py.warnings:" in output(stream)
    assert "old api" in output(stream)


# --- the handler scrubs every record ------------------------------------------------------

SECRET = "s3cr3t-V4LUE_9x"


def test_handler_scrubs_message_args_exception_and_stack(stream: TextIO) -> None:
    logsetup.setup("debug", stream=stream)
    plain = "plainSecretValue42"
    redaction.register_secret(plain)
    log = logging.getLogger("connectors.google")
    log.info("token response %s", {"access_token": SECRET, "expires_in": 3599})
    log.info("refresh_token=%s", SECRET)  # secret split between message and argument
    log.debug("loaded %s", plain)
    log.warning("headers %r", {"Authorization": f"Bearer {SECRET}"}, stack_info=True)
    try:
        raise RuntimeError(f'bad answer {{"refresh_token": "{SECRET}"}} with {plain}')
    except RuntimeError:
        log.exception("call failed for %s", plain)
    text = output(stream)
    assert SECRET not in text
    assert plain not in text
    assert "'access_token': '[REDACTED]'" in text
    assert "refresh_token=[REDACTED]" in text
    assert "loaded [REDACTED]" in text
    assert "call failed for [REDACTED]" in text
    assert 'RuntimeError: bad answer {"refresh_token": "[REDACTED]"} with [REDACTED]' in text
    assert "Stack (most recent call last)" in text


def test_handlers_after_ours_see_the_scrubbed_record(stream: TextIO) -> None:
    logsetup.setup("info", stream=stream)
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    collector = Collect()
    logging.getLogger().addHandler(collector)  # removed by restore_logging
    logging.getLogger("daemon.x").info("Bearer %s", SECRET)
    assert [r.getMessage() for r in seen] == ["Bearer [REDACTED]"]
    assert "Bearer [REDACTED]" in output(stream)


def test_broken_format_string_is_kept_and_scrubbed() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "missing %s %s", (f"password={SECRET}",), None
    )
    assert logsetup.RedactingFilter().filter(record) is True
    assert record.args is None
    assert SECRET not in record.getMessage()
    assert record.getMessage() == "missing %s %s ('password=[REDACTED]',)"
