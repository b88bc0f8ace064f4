"""The db_url fixture hands out empty, private databases on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, select
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_ENV, _fresh_postgres_database

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String))


def test_db_url_is_empty_and_writable(db_url: str, request: pytest.FixtureRequest) -> None:
    engine = create_engine(db_url)
    try:
        assert engine.dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[
            request.node.callspec.params["db_url"]
        ]
        assert inspect(engine).get_table_names() == []  # fresh: nothing from other tests
        metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(notes.insert(), [{"text": "thank-you drafted"}])
        with engine.connect() as conn:
            assert conn.execute(select(notes.c.text)).scalars().all() == ["thank-you drafted"]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_database_is_dropped_even_with_open_connections() -> None:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (bash .ci/run starts a PostgreSQL and sets it)")
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    fixture = _fresh_postgres_database(server)
    url = next(fixture)
    name = make_url(url).database
    assert name is not None and name.startswith("followupd_test_")
    engine = create_engine(url)
    leftover = engine.connect()  # a test that forgot to close: DROP ... WITH (FORCE) copes
    try:
        fixture.close()  # runs the fixture's teardown
        with psycopg.connect(admin) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            assert found.fetchone() is None
    finally:
        leftover.invalidate()
        engine.dispose()


def test_unreachable_postgres_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    # A CI whose database is down must fail, not quietly skip every PostgreSQL test.
    with pytest.raises(pytest.fail.Exception) as info:
        next(_fresh_postgres_database("postgresql+psycopg://ci:hunter2@127.0.0.1:1/postgres"))
    message = str(info.value)
    assert message.startswith(
        f"{POSTGRES_ENV}=postgresql+psycopg://ci:***@127.0.0.1:1/postgres: "
        "cannot create a test database: "
    )
    assert "hunter2" not in message
