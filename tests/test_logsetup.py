"""Logging setup: formats (plain and journald) and that no secret survives in any form."""

from __future__ import annotations

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

from daemon import logsetup
from daemon.errors import ConfigError


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """setup() changes process-wide state; put it back so other tests see what they expect."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in logsetup.NOISY}
    secrets, pattern = set(logsetup._secrets), logsetup._secret_pattern
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for name, lvl in noisy.items():
        logging.getLogger(name).setLevel(lvl)
    logsetup._secrets.clear()
    logsetup._secrets.update(secrets)
    logsetup._secret_pattern = pattern
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
            logging.getLogger("daemon.engine").info("polled %d accounts", 2)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert output(stream) == "2026-11-25 17:30:00 INFO daemon.engine: polled 2 accounts\n"


def test_journal_format_has_priority_prefix_and_no_timestamp(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_journal(stream, monkeypatch)
    logsetup.setup("debug", stream=stream)
    log = logging.getLogger("daemon.engine")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    assert output(stream).splitlines() == [
        "<7>daemon.engine: d",
        "<6>daemon.engine: i",
        "<4>daemon.engine: w",
        "<3>daemon.engine: e",
        "<2>daemon.engine: c",
    ]


def test_journal_format_prefixes_every_traceback_line(
    stream: TextIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_journal(stream, monkeypatch)
    logsetup.setup("info", stream=stream)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("daemon.engine").exception("poll failed")
    lines = output(stream).splitlines()
    assert lines[0] == "<3>daemon.engine: poll failed"
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

    logsetup.setup("info", verbose=True, stream=stream)
    assert logging.getLogger().level == logging.DEBUG
    logging.getLogger("urllib3.connectionpool").debug("Starting new HTTPS connection")
    logging.getLogger("msal.application").info("msal chatter")
    text = output(stream)
    assert "Starting new HTTPS connection" in text
    assert "msal chatter" in text


def test_warnings_go_to_the_log(stream: TextIO) -> None:
    logsetup.setup("info", stream=stream)
    warnings.warn("old api", DeprecationWarning, stacklevel=1)
    assert "WARNING py.warnings:" in output(stream)
    assert "old api" in output(stream)


# --- redaction -----------------------------------------------------------------------------

SECRET = "s3cr3t-V4LUE_9x"

# (form, text containing SECRET, what must still be there afterwards)
FORMS = [
    ("bearer", f"sending Bearer {SECRET} to graph", "Bearer [REDACTED] to graph"),
    ("header", f"Authorization: Bearer {SECRET}", "Authorization: [REDACTED]"),
    ("basic header", f"authorization: Basic {SECRET}==", "authorization: [REDACTED]"),
    ("proxy header", f"Proxy-Authorization: Basic {SECRET}", "Proxy-Authorization: [REDACTED]"),
    ("header dict", f"{{'Authorization': 'Bearer {SECRET}'}}", "{'Authorization': '[REDACTED]'}"),
    (
        "raw http",
        f"send: b'GET / HTTP/1.1\\r\\nAuthorization: Basic {SECRET}\\r\\nHost: x\\r\\n'",
        "\\r\\nAuthorization: [REDACTED]\\r\\nHost: x",
    ),
    ("json access", f'{{"access_token": "{SECRET}", "expires_in": 3599}}', '"expires_in": 3599'),
    ("json refresh", f'{{"refresh_token":"{SECRET}"}}', '{"refresh_token":"[REDACTED]"}'),
    ("json id", f'{{"id_token": "{SECRET}"}}', '{"id_token": "[REDACTED]"}'),
    ("json secret", f'{{"client_secret": "{SECRET}"}}', '{"client_secret": "[REDACTED]"}'),
    ("json device", f'{{"device_code": "{SECRET}", "user_code": "WDJB-MJHT"}}', '"WDJB-MJHT"'),
    ("json code", f'{{"code": "4/0A{SECRET}"}}', '{"code": "[REDACTED]"}'),
    ("json password", f'{{"password": "{SECRET}"}}', '{"password": "[REDACTED]"}'),
    ("google creds", f'{{"token": "{SECRET}", "token_uri": "x"}}', '"token_uri": "x"'),
    ("dict repr", f"{{'refresh_token': '{SECRET}'}}", "{'refresh_token': '[REDACTED]'}"),
    (
        "escaped json",
        f'"{{\\"refresh_token\\": \\"{SECRET}\\", \\"n\\": 1}}"',
        '\\"refresh_token\\": \\"[REDACTED]\\", \\"n\\": 1',
    ),
    (
        "form",
        f"grant_type=refresh_token&refresh_token={SECRET}&client_id=abc",
        "grant_type=refresh_token&refresh_token=[REDACTED]&client_id=abc",
    ),
    ("form secret", f"client_id=abc&client_secret={SECRET}", "client_secret=[REDACTED]"),
    ("query code", f"GET /cb?code={SECRET}&state=xyz", "/cb?code=[REDACTED]&state=xyz"),
    ("device form", f"device_code={SECRET}&grant_type=x", "device_code=[REDACTED]&grant_type=x"),
    ("access form", f"access_token={SECRET}", "access_token=[REDACTED]"),
    ("id form", f"id_token={SECRET}", "id_token=[REDACTED]"),
    ("repr", f"Creds(password='{SECRET}', user='bob')", "user='bob'"),
    ("cli flag", f"--password={SECRET}", "--password=[REDACTED]"),
    ("url", f"postgresql+psycopg://bob:{SECRET}@db/f", "postgresql+psycopg://bob:[REDACTED]@db/f"),
]


@pytest.mark.parametrize(("form", "text", "kept"), FORMS, ids=[f[0] for f in FORMS])
def test_redact_every_form(form: str, text: str, kept: str) -> None:
    result = logsetup.redact(text)
    assert SECRET not in result
    assert "[REDACTED]" in result
    assert kept in result
    assert logsetup.redact(result) == result  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        '{"error": {"code": 401, "message": "Request had invalid credentials"}}',
        '{"error": {"code": "InvalidAuthenticationToken"}}',
        "status_code=200 error_code=E42 token_type=Bearer",
        '{"user_code": "WDJB-MJHT", "verification_uri": "https://microsoft.com/devicelogin"}',
        "config.toml: [[accounts]] 'work'.google.client_secret: expected a string, got a value",
        "account 'work' needs re-authorization: run 'followupd auth work'",
        "https://calendar.example:8443/feed.ics",
    ],
)
def test_redact_leaves_harmless_text_alone(text: str) -> None:
    assert logsetup.redact(text) == text


def test_registered_secret_is_scrubbed_in_every_encoding() -> None:
    token = "1//0gAbc+def/ghi"
    logsetup.register_secret(token)
    text = f"a {token} b 1%2F%2F0gAbc%2Bdef%2Fghi c 1\\/\\/0gAbc+def\\/ghi d"
    assert logsetup.redact(text) == "a [REDACTED] b [REDACTED] c [REDACTED] d"


def test_register_secret_accepts_bytes_and_ignores_short_values() -> None:
    logsetup.register_secret(b"bytes-secret-123")
    logsetup.register_secret("abc")
    logsetup.register_secret("")
    logsetup.register_secret(None)
    assert logsetup.redact("bytes-secret-123 abc") == "[REDACTED] abc"


def test_registered_secret_containing_another_is_removed_whole() -> None:
    logsetup.register_secret("ABCDEFGH")
    logsetup.register_secret("xxABCDEFGHyy")
    assert logsetup.redact("xxABCDEFGHyy") == "[REDACTED]"


def test_handler_scrubs_message_args_exception_and_stack(stream: TextIO) -> None:
    logsetup.setup("debug", stream=stream)
    plain = "plainSecretValue42"
    logsetup.register_secret(plain)
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
    logging.getLogger("x").info("Bearer %s", SECRET)
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
