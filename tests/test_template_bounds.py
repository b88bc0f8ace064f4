"""A runaway user template is an error naming the file and line, never a hang (issue 9, point 12).

Before, ``{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}`` kept
``check`` and ``run`` busy for hours (Jinja's sandbox caps one ``range()``, not nesting), and
``{{ 'x' * 10**9 }}`` took a gigabyte. The timeouts below are the proof: they fail the test
instead of waiting for the old behaviour to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from daemon import demo
from daemon.errors import TemplateError
from daemon.writing.context import sample_context
from daemon.writing.render import Renderer
from tests.conftest import ROOT

NESTED = (
    "Subject: Thank you\n"
    "\n"
    "{% for i in range(100000) %}\n"
    "{% for j in range(100000) %}x{% endfor %}\n"
    "{% endfor %}\n"
)

RUNAWAY = {
    "nested loops printing": (
        NESTED,
        "rendering stopped after 64 KiB of output; expected a draft of a few paragraphs; "
        "check the loops near line 4",
    ),
    "nested loops printing nothing": (
        "Subject: x\n\nHello\n{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}\n",
        "rendering stopped after 1,000,000 loop iterations; expected a draft of a few "
        "paragraphs; check the loops near line 4",
    ),
    "a huge range": ("Subject: x\n\n{% for i in range(10**9) %}x{% endfor %}\n", "line 3"),
    "string repetition": (
        "Subject: x\n\n{{ 'x' * 10**9 }}\n",
        "rendering stopped at a value of more than 64 KiB; expected a draft of a few "
        "paragraphs; check the expressions near line 3",
    ),
    "doubling by ~": (
        "Subject: x\n\n{% set ns = namespace(s='x') %}\n"
        "{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}\n",
        "rendering stopped at a value of more than 64 KiB",
    ),
    "padding method": ("Subject: x\n\n{{ 'x'.ljust(10**9) }}\n", "str.ljust with the number"),
    "padding filter": ("Subject: x\n\n{{ 'x'|center(10**9) }}\n", "the filter 'center'"),
    "%-format width": ("Subject: x\n\n{{ '%999999999d' % 1 }}\n", "%-format width above"),
    "huge power": ("Subject: x\n\n{% set n = 10 %}{{ 7 ** (n ** 9) }}\n", "too large to print"),
    "macro recursing twice": (
        "Subject: x\n\n{% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}"
        "{% endmacro %}{{ m(60) }}\n",
        "rendering stopped after 2 s; expected a draft of a few paragraphs; check the loops "
        "and macros near line 3",
    ),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", RUNAWAY)
def test_a_runaway_template_stops_with_a_message_naming_it(tmp_path: Path, name: str) -> None:
    source, expected = RUNAWAY[name]
    template = tmp_path / "mine.txt.j2"
    template.write_text(source)
    started = time.monotonic()
    with pytest.raises(TemplateError) as info:
        Renderer(template).render("thank_you", sample_context())
    took = time.monotonic() - started
    assert str(info.value).startswith(f"thank_you template {template}"), info.value
    assert expected in str(info.value)
    assert took < 10, f"{name}: {took:.1f} s"


def test_a_long_but_reasonable_template_still_renders(tmp_path: Path) -> None:
    """The bounds are far above what a draft needs: loops over notes, filters, arithmetic."""
    template = tmp_path / "mine.txt.j2"
    template.write_text(
        "Subject: Thank you, {{ recipient.name }}\n\n"
        "{% for i in range(200) %}{% for note in notes %}{{ loop.index }}. {{ note|topic }}\n"
        "{% endfor %}{% endfor %}"
        "{{ '%05d' % 42 }} {{ 'a' ~ 'b' }} {{ 2 ** 64 }} {{ '-' * 70 }} {{ 'x'|center(20) }}\n"
    )
    draft = Renderer(template).render("thank_you", sample_context())
    assert draft.subject == "Thank you, Jane Smith"
    assert draft.text.count("2. the team's on-call rotation") == 200
    assert "00042 ab 18446744073709551616" in draft.text


def followupd(config: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "daemon", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)},
    )
    return result, time.monotonic() - started


@pytest.fixture
def runaway_config(tmp_path: Path) -> tuple[Path, Path]:
    config = demo.create(tmp_path / "demo", now=datetime.now(UTC))
    template = config.parent / "mine.txt.j2"
    template.write_text(NESTED)
    config.write_text(f'[thank_you]\ntemplate = "{template.name}"\n\n' + config.read_text())
    return config, template


MESSAGE = (
    "thank_you template {template}: rendering stopped after 64 KiB of output; expected a "
    "draft of a few paragraphs; check the loops near line 4"
)


@pytest.mark.timeout(60)
def test_check_reports_a_runaway_template_and_returns(runaway_config: tuple[Path, Path]) -> None:
    config, template = runaway_config
    result, took = followupd(config, "check")
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert f"problem: template: {MESSAGE.format(template=template)}" in result.stderr
    print(f"check with a runaway template: {took:.1f} s")


@pytest.mark.timeout(60)
def test_run_once_refuses_a_runaway_template_and_returns(
    runaway_config: tuple[Path, Path],
) -> None:
    """``check`` rejects it, so ``run`` does not start (issue 11): status 2, file and line."""
    config, template = runaway_config
    result, took = followupd(config, "run", "--once")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert MESSAGE.format(template=template) in result.stderr
    print(f"run --once refusing a runaway template: {took:.1f} s")


@pytest.mark.timeout(60)
def test_run_once_fails_the_follow_up_and_returns(runaway_config: tuple[Path, Path]) -> None:
    """A template that runs away only on one interviewer's data passes ``check``: that
    follow-up fails with the reason (the failure path); the run goes on."""
    config, template = runaway_config
    template.write_text(NESTED.replace("\n\n", "\n\nHello\n{% if 'raj' in recipient.email %}\n", 1)
                        + "{% endif %}\n")  # fmt: skip
    result, took = followupd(config, "run", "--once")
    assert result.returncode == 1, result.stderr  # a follow-up failed: a script hears of it
    assert "Traceback" not in result.stderr, result.stderr
    message = f"thank_you template {template}: rendering stopped after 64 KiB of output"
    assert message in result.stdout + result.stderr
    status, _ = followupd(config, "status", "--all")
    assert "rendering stopped after 64 KiB of output" in status.stdout, status.stdout
    print(f"run --once with a template running away on one draft: {took:.1f} s")
