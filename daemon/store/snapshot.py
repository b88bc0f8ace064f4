"""A new SQLite state gets its schema from the migrations' result, written down once.

Every first start (a new user, a new state folder, each test that starts followupd afresh)
ran all of Alembic's migrations to build the schema: a quarter of a second of CPU, most of it
importing Alembic, in a start that otherwise costs about 0.6 s. What the migrations make on an
empty SQLite file is always the same, so it is kept in :data:`SNAPSHOT` (the ``CREATE``
statements exactly as SQLite records them in ``sqlite_master``) and a new file is given those
statements and the head revision in one transaction. Upgrades of an existing state, and every
PostgreSQL database, still go through Alembic.

The snapshot cannot drift from the migrations: ``tests/test_migrations.py`` builds a file with
Alembic and with the snapshot and compares what SQLite recorded for each. After adding a
migration, write it anew::

    python3 -m daemon.store.snapshot

Until then a snapshot of an older revision is not used: new files are migrated as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

SNAPSHOT = Path(__file__).with_name("sqlite-schema.sql")
_REVISION_LINE = "-- revision: "


def recorded(conn: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    """What SQLite recorded of a schema: (type, name, table, SQL) of everything it was given.

    Its own objects (``sqlite_sequence``, the automatic indexes of UNIQUE and PRIMARY KEY) are
    left out: they come with the statements that caused them."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master"
        " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    return [(t, n, tbl, sql) for t, n, tbl, sql in rows]


def render(conn: sqlite3.Connection, revision: str) -> str:
    """The snapshot file's text for the schema of ``conn``, at ``revision``."""
    lines = [
        "-- followupd's state schema on SQLite, as the migrations leave it (see snapshot.py).",
        "-- Written by `python3 -m daemon.store.snapshot`; tests/test_migrations.py compares it.",
        f"{_REVISION_LINE}{revision}",
        "",
    ]
    lines += [f"{sql};\n" for _, _, _, sql in recorded(conn)]
    return "\n".join(lines)


def _statements(text: str) -> Iterator[str]:
    pending = ""
    for line in text.splitlines(keepends=True):
        if not pending and (line.startswith("--") or not line.strip()):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        yield pending.strip()  # incomplete: SQLite will say so, and the migrations take over


def read(path: Path | None = None) -> tuple[str, list[str]] | None:
    """(revision, statements) of the snapshot, or None when there is none to use."""
    try:
        text = (path or SNAPSHOT).read_text(encoding="utf-8")
    except OSError:
        return None
    revision = next(
        (line.removeprefix(_REVISION_LINE).strip() for line in text.splitlines()
         if line.startswith(_REVISION_LINE)),
        None,
    )  # fmt: skip
    return (revision, list(_statements(text))) if revision else None


def _revisions(conn: sqlite3.Connection) -> list[tuple[str]]:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    return conn.execute("SELECT version_num FROM alembic_version").fetchall() if found else []


def create(engine: Engine, head: str, path: Path | None = None) -> bool:
    """Give an empty SQLite database the schema at ``head``; True when it has that schema now.

    ``BEGIN IMMEDIATE`` takes the write lock before looking, so of two first starts at once one
    builds the schema and the other finds it (True for both). False: another database than
    SQLite, no snapshot of ``head``, or a file that holds something else once the lock is held
    (some other program's tables): the caller migrates or refuses it as before.
    """
    if engine.dialect.name != "sqlite":
        return False
    snapshot = read(path)
    if snapshot is None or snapshot[0] != head:
        return False
    statements = snapshot[1]
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                made = _revisions(conn) == [(head,)]  # by another first start, meanwhile
                conn.execute("ROLLBACK")
                return made
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        raw.close()
    return True


def main() -> None:
    """Write :data:`SNAPSHOT` from what the migrations make on an empty file."""
    import tempfile
    from contextlib import closing

    from daemon.store.database import HEAD_REVISION, migrate, open_engine

    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/schema.db")
        migrate(engine)
        engine.dispose()
        with closing(sqlite3.connect(f"{folder}/schema.db")) as conn:
            SNAPSHOT.write_text(render(conn, HEAD_REVISION), encoding="utf-8")
    print(f"wrote {SNAPSHOT} (revision {HEAD_REVISION})")


if __name__ == "__main__":
    main()
