"""Shared fixtures. Tests that need ../shared (the real-world corpus) skip cleanly without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def corpus_files(kind: str) -> list[Path]:
    """All files of the shared corpus of ``kind`` ('ics' or 'eml'); empty when it is absent."""
    folder = CORPUS / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present (only CI and developers have it)")
    return CORPUS


# --- databases ---------------------------------------------------------------------------------

POSTGRES_ENV = "FOLLOWUPD_TEST_POSTGRES_URL"


@pytest.fixture
def kept_secrets() -> Iterator[None]:
    """Registered secrets (daemon/redaction.py) are process-wide: put them back after a test
    that registers its own, so other tests see what they expect."""
    from daemon import redaction

    secrets, openings = set(redaction._secrets), dict(redaction._by_opening)
    yield
    redaction._secrets.clear()
    redaction._secrets.update(secrets)
    redaction._by_opening.clear()
    redaction._by_opening.update(openings)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An SQLAlchemy URL of an empty database, once for SQLite and once for PostgreSQL.

    PostgreSQL runs only when ``FOLLOWUPD_TEST_POSTGRES_URL`` names a server (``.ci/run``
    starts a throwaway one); each test gets a fresh database there, dropped afterwards, so
    tests never see each other's rows and may run in any order.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (bash .ci/run starts a PostgreSQL and sets it)")
    yield from _fresh_postgres_database(server)


def _fresh_postgres_database(server: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(server)
    # psycopg takes the libpq form of the same URL (no "+psycopg" driver suffix).
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"followupd_test_{uuid.uuid4().hex[:16]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as err:
        shown = url.render_as_string(hide_password=True)
        pytest.fail(f"{POSTGRES_ENV}={shown}: cannot create a test database: {err}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- hypothesis --------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Load the Hypothesis profile: "ci" (deterministic, quick) unless HYPOTHESIS_PROFILE names
    another ("long" for local fuzzing); see tests/hypothesis_profiles.py."""
    from hypothesis_profiles import register

    register()
    if not hasattr(config, "workerinput"):  # xdist's workers inherit the controller's choice
        _compiled_subprocesses()


# --- subprocesses ------------------------------------------------------------------------------


def _compiled_subprocesses() -> None:
    """The daemon subprocesses of the tests read and write bytecode in a temporary
    PYTHONPYCACHEPREFIX, removed when the run ends.

    Where PYTHONDONTWRITEBYTECODE is set (this project's dev containers set it, and CI's
    timings are taken in them), each of the suite's many hundreds of ``python -m daemon`` runs
    would otherwise compile followupd's ~120 modules from source: about 0.25 s of CPU each, a
    fifth of a short run and minutes of the suite (the crash campaign alone starts ~500). The
    cache lies outside the checkout, as PYTHONDONTWRITEBYTECODE wants; bench/ics.py does the
    same. The first run of each module pays for its compilation, once per test session.
    """
    import atexit
    import shutil
    import tempfile

    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    cache = tempfile.mkdtemp(prefix="followupd-tests-pycache-")
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    os.environ.pop("PYTHONDONTWRITEBYTECODE")
    os.environ["PYTHONPYCACHEPREFIX"] = cache


# --- figures -----------------------------------------------------------------------------------


# What the workers' campaigns measured, gathered by the controller (pytest-xdist runs the tests
# in worker processes, whose tests.campaign.FIGURES the controller never sees).
_WORKER_FIGURES: list[str] = []


def _campaign_figures() -> list[str]:
    import sys

    campaign = sys.modules.get("tests.campaign")
    return list(campaign.FIGURES) if campaign is not None else []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand the campaign's figures to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["campaign_figures"] = _campaign_figures()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On the xdist controller: a worker finished; keep its campaign figures."""
    _WORKER_FIGURES.extend(getattr(node, "workeroutput", {}).get("campaign_figures", []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the crash campaign measured (kills per provider and phase), so a CI log
    tells how much was proved, not only that it passed."""
    figures = _campaign_figures() + _WORKER_FIGURES
    if figures:
        terminalreporter.section("crash campaign")
        for line in figures:
            terminalreporter.write_line(line)
