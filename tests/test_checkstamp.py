"""A start checks the templates only when something that decides the check's outcome changed.

``run`` still refuses to start on a template ``check`` rejects; a pass is stamped in the state
folder (daemon/writing/checkstamp.py) so the next start of the same templates and code skips
the 0.2 s of compiling and sample rendering.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon import demo
from daemon.cli import main
from daemon.writing import checkstamp
from daemon.writing.render import Renderer


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    return demo.create(tmp_path / "demo", now=datetime.now(UTC))


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times each process-wide template check ran (one entry per check)."""
    ran: list[int] = []
    real = Renderer.check

    def counted(self: Renderer) -> list[str]:
        ran.append(1)
        return real(self)

    monkeypatch.setattr(Renderer, "check", counted)
    return ran


GOOD = "Subject: Thank you\n\nHello,\n{}.\n"


def run(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, ["--config", str(config), "run", "--once", *args]
    )
    return result.exit_code, result.output


def state_dir(config: Path) -> Path:
    from daemon import config as config_mod

    return config_mod.load(config).daemon.state_dir


def test_a_passing_check_is_stamped_and_not_repeated_until_a_template_changes(
    demo_config: Path, checks: list[int]
) -> None:
    template = demo_config.parent / "mine.txt.j2"
    template.write_text(GOOD.format("thank you"))
    text = demo_config.read_text()
    demo_config.write_text(
        text.replace("[candidate]", f'[thank_you]\ntemplate = "{template.name}"\n\n[candidate]')
    )
    stamp = state_dir(demo_config) / checkstamp.STAMP

    assert run(demo_config)[0] == 0
    assert len(checks) == 1 and stamp.exists()
    assert stamp.stat().st_mode & 0o777 == 0o600
    assert run(demo_config)[0] == 0
    assert len(checks) == 1, "the same templates and code were checked again"

    # The user breaks their template: the start checks again and refuses, stamping nothing.
    template.write_text("Subject: Thank you {{ recipient.name }\n\nHello\n")
    stamped = stamp.read_text()
    code, output = run(demo_config)
    assert code != 0 and len(checks) == 2
    assert f"template: thank_you template {template} line 1:" in output
    assert stamp.read_text() == stamped
    code, _ = run(demo_config)
    assert code != 0 and len(checks) == 3, "a failed check must be made again at each start"

    # Mended: checked once more, then stamped again.
    template.write_text(GOOD.format("thanks"))
    assert run(demo_config)[0] == 0
    assert run(demo_config)[0] == 0
    assert len(checks) == 4 and stamp.read_text() != stamped


def test_a_dry_run_checks_but_writes_no_stamp(demo_config: Path, checks: list[int]) -> None:
    code, output = run(demo_config, "--dry-run")
    assert code == 0, output
    assert len(checks) == 1
    assert not (state_dir(demo_config) / checkstamp.STAMP).exists()


def test_the_stamp_follows_the_code_and_the_templates(tmp_path: Path) -> None:
    code = tmp_path / "code"
    (code / "writing").mkdir(parents=True)
    module = code / "writing" / "render.py"
    module.write_text("x = 1\n")
    (code / "__pycache__").mkdir()
    renderer = Renderer()
    first = checkstamp.stamp(renderer, code)
    assert checkstamp.stamp(Renderer(), code) == first

    (code / "__pycache__" / "render.cpython-311.pyc").write_bytes(b"\0")
    (code / "notes.txt").write_text("not code")
    assert checkstamp.stamp(renderer, code) == first, "only the modules' sources count"

    module.write_text("x = 2\n")  # same size: the modification time tells
    os.utime(module, ns=(1, module.stat().st_mtime_ns + 1_000_000))
    assert checkstamp.stamp(renderer, code) != first

    own = tmp_path / "own.txt.j2"
    own.write_text("Subject: Hi\n\nHello\n")
    assert checkstamp.stamp(Renderer(thank_you=own), code) != checkstamp.stamp(renderer, code)


def test_an_unreadable_stamp_or_state_folder_only_means_checking(
    tmp_path: Path, checks: list[int]
) -> None:
    renderer = Renderer()
    state = tmp_path / "state"
    state.mkdir()
    (state / checkstamp.STAMP).write_bytes(b"\xff\xfe not a digest")
    assert checkstamp.check_unless_stamped(renderer, state) == []
    assert len(checks) == 1
    assert checkstamp.check_unless_stamped(renderer, state) == []
    assert len(checks) == 1

    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert checkstamp.check_unless_stamped(renderer, blocked / "state") == []
    assert checkstamp.check_unless_stamped(renderer, blocked / "state") == []
    assert len(checks) == 3
