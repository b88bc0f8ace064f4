"""The README's quickstart works as written, with a Python that refuses ``pip install`` (PEP 668).

Issue 17: the first command was ``python3 -m pip install -e '.[test]'``, which Debian 12, Ubuntu
24.04 and Homebrew answer with ``error: externally-managed-environment``. The quickstart now
makes a virtual environment first. The commands are read from README.md itself (the first two
``sh`` blocks of its Quickstart section), so the README and this test cannot drift apart, and
``.ci/run`` must run exactly the README's test command (the CI rule).

The install runs with Debian's own ``/usr/bin/python3`` (the distribution's, marked
EXTERNALLY-MANAGED, where there is one) in a copy of this checkout, through ``sh`` as a user
would paste it, with pip's configuration (index, certificates, wheel cache) left as the machine
has it. Only the demo's folder is moved from /tmp/followupd-demo into the test's own folder.
It takes about 20 s with a warm pip cache, so it runs in CI like any other test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"
DISTRO_PYTHON = Path("/usr/bin/python3")
DEMO_DIR = "/tmp/followupd-demo"
# What a copy of the checkout leaves out: VCS data, environments and caches of this one.
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", ".hypothesis"
)


def quickstart() -> tuple[str, str]:
    """(install-and-demo command, test command): the Quickstart section's two ``sh`` blocks."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(blocks) == 2, f"expected two sh blocks in the Quickstart, found {blocks}"
    for block in blocks:
        assert "\n" not in block.strip(), f"a quickstart block is one command: {block!r}"
    return blocks[0].strip(), blocks[1].strip()


def test_the_quickstart_is_two_commands_without_a_system_wide_pip_install() -> None:
    install, tests = quickstart()
    assert "python3 -m venv .venv" in install and "followupd demo" in install
    assert "python3 -m pip install" not in install  # what PEP 668 refuses
    # Running needs no test tools (issue 12): they come with the test command.
    assert "[test]" not in install
    assert tests == ".venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"


def pytest_part(command: str) -> str:
    """The pytest command of a ``pip install ... && pytest`` line: what CI must run too."""
    return command.rsplit("&& ", 1)[-1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, tests = quickstart()
    lines = [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()]
    runs = [
        line
        for line in lines
        if re.search(r"\bpytest\b", line) and not line.startswith(("#", "log ", "echo "))
    ]
    assert runs == [f"{pytest_part(tests)} || rc=$?"], runs
    # ... in an environment with the test extra, as the README's test command installs it.
    assert ".venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'" in lines


def distro_python_or_skip() -> Path:
    if not DISTRO_PYTHON.exists():
        pytest.skip(f"{DISTRO_PYTHON} does not exist: no distribution Python to try")
    probe = subprocess.run(
        [
            str(DISTRO_PYTHON),
            "-c",
            "import sys, ensurepip, venv; print(sys.version_info >= (3, 11))",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(
            f"{DISTRO_PYTHON} has no venv/ensurepip (apt install python3-venv): {probe.stderr.strip()}"
        )
    if probe.stdout.strip() != "True":
        pytest.skip(f"{DISTRO_PYTHON} is older than 3.11, which followupd requires")
    return DISTRO_PYTHON


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_quickstart_works_with_the_distributions_python(tmp_path: Path) -> None:
    python = distro_python_or_skip()
    install, tests = quickstart()
    managed = list(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"))
    checkout = tmp_path / "followupd"
    shutil.copytree(ROOT, checkout, ignore=NOT_COPIED)
    # `python3` is the distribution's, whatever else (pyenv shims, a venv) is on PATH.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION", "CONDA_PREFIX")
        and not k.startswith(("FOLLOWUPD_", "XDG_CONFIG", "XDG_STATE", "XDG_DATA"))
    }
    env.update(
        PATH=f"{bin_dir}:/usr/bin:/bin",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        COLUMNS="200",
    )
    demo = tmp_path / "demo"
    assert install.count(DEMO_DIR) == 1
    result = subprocess.run(
        ["sh", "-c", install.replace(DEMO_DIR, str(demo))],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, (managed, result.stdout[-3000:], result.stderr[-3000:])
    out = result.stdout
    assert "externally-managed-environment" not in result.stderr
    # The environment really is the distribution's Python's (the README's `python3`).
    venv_cfg = (checkout / ".venv" / "pyvenv.cfg").read_text()
    (executable,) = re.findall(r"^executable = (.*)$", venv_cfg, re.MULTILINE)
    assert Path(executable).resolve() == python.resolve(), venv_cfg
    assert f"Demo set up in {demo}" in out, out
    assert "drafted thank-you to Jane Smith (Acme Corp)" in out, out
    assert "drafted status inquiry #1 to Maria Garcia" in out, out
    assert "Traceback" not in out + result.stderr
    drafts = list((demo / "Maildir" / ".Drafts" / "cur").iterdir())
    assert len(drafts) >= 3, drafts

    # The test command runs in that environment (one quick test file, not the whole suite).
    ran = subprocess.run(
        ["sh", "-c", f"{tests} -q -p no:cacheprovider tests/test_redaction.py"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, (ran.stdout[-3000:], ran.stderr[-3000:])
    assert " passed" in ran.stdout
