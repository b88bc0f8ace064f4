"""Schema upgrades keep every row, and a state the running followupd cannot understand is refused.

A database is created at revision 0001 with Alembic itself, filled through plain SQL with what
a user's state looks like after a few weeks (follow-ups in every state, cursors, history,
problems), then opened by the daemon exactly as at start (``open_store``), which upgrades it.
Every row must come out identical, and the daemon must carry on with that state: draft what is
due, leave alone what is finished, never create a follow-up twice. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, inspect, select, text

from daemon import __version__
from daemon.cli import main
from daemon.planning.followups import followup_key
from daemon.store import snapshot
from daemon.store.database import (
    HEAD_REVISION,
    MIGRATIONS,
    StoreError,
    alembic_config,
    migrate,
    open_engine,
    open_store,
)
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)  # Acme, Wednesday 10:00 in Berlin
EARLIER = datetime(2026, 1, 7, 14, 0, tzinfo=UTC)  # Globex, a week before
JANE = Person("Jane Smith", "jane@acme.example")
RAJ = Person("Raj Patel", "raj@acme.example")
MARIA = Person("Maria Garcia", "maria@globex.example")
ACME = Event(
    "acme-1",
    START,
    60,
    "Interview: Acme (Backend Engineer)",
    [JANE, RAJ],
    description="Jane: the billing migration to event sourcing",
)
GLOBEX = Event("globex-1", EARLIER, 45, "Interview with Globex", [MARIA])
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


def key(event: str, email: str, kind: str, seq: int = 1) -> str:
    return followup_key("home", event, email, kind, seq)


def followup(
    id_: int, interview: int, person: int, event: str, email: str, kind: str, state: str,
    due: datetime, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    row = {
        "id": id_, "key": key(event, email, kind), "interview_id": interview,
        "interviewer_id": person, "kind": kind, "seq": 1, "state": state, "reason": None,
        "due_at": due, "attempts": 0, "last_error": None, "draft_id": None, "thread_id": None,
        "message_id": None, "subject": None, "drafted_at": None, "sent_at": None,
        "sent_message_id": None, "sent_provider_id": None, "sent_references": [],
        "created_at": EARLIER, "updated_at": EARLIER,
    }  # fmt: skip
    row.update(extra)
    return row


# What a few weeks of use leave behind: Globex is over (thank-you sent, a human replied, so the
# inquiry was cancelled); for Acme, Jane's thank-you is due, Raj's was being created when the
# machine went down (``creating``), Jane's inquiry waits for next week.
ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"name": "home", "status": "ok", "last_poll_at": at(-1), "last_success_at": at(-1),
         "last_error": None, "fix": None, "backoff_until": None, "failures": 0},
        {"name": "old-work", "status": "needs_reauth", "last_poll_at": EARLIER,
         "last_success_at": None, "last_error": "token revoked",
         "fix": "followupd auth old-work", "backoff_until": None, "failures": 3},
    ],
    "sync_cursors": [
        {"account": "home", "kind": "calendar", "value": "fingerprint:3f2a", "updated_at": at(-1)},
        {"account": "home", "kind": "mail", "value": None, "updated_at": at(-1)},
    ],
    "problems": [
        {"id": 1, "account": "home", "source": "calendar", "item": "cal/broken.ics",
         "message": "not an iCalendar file: expected BEGIN:VCALENDAR", "first_seen": EARLIER,
         "last_seen": at(-1), "count": 12},
    ],
    "processes": [
        {"id": 1, "account": "home", "company_key": "acme", "company": "Acme",
         "domains": ["acme.example"], "state": "active", "reason": None, "replied_at": None,
         "created_at": EARLIER, "updated_at": EARLIER},
        {"id": 2, "account": "home", "company_key": "globex", "company": "Globex",
         "domains": ["globex.example"], "state": "replied", "reason": "reply from Maria",
         "replied_at": EARLIER + timedelta(days=2), "created_at": EARLIER,
         "updated_at": EARLIER + timedelta(days=2)},
    ],
    "interviews": [
        {"id": 1, "account": "home", "event_id": "acme-1", "series_id": None, "calendar": "",
         "title": ACME.summary, "company": "Acme", "role": "Backend Engineer",
         "start_at": START, "end_at": at(1), "timezone": None, "organizer": JANE.email,
         "status": "active", "reason": "title keyword 'interview'",
         "notes": ["note: ask about the on-call rota"], "main_contact": None,
         "decision_expected": None, "process_id": 1, "created_at": EARLIER,
         "updated_at": EARLIER},
        {"id": 2, "account": "home", "event_id": "globex-1", "series_id": None,
         "calendar": "", "title": GLOBEX.summary, "company": "Globex", "role": None,
         "start_at": EARLIER, "end_at": EARLIER + timedelta(minutes=45), "timezone": None,
         "organizer": MARIA.email, "status": "active", "reason": "title keyword 'interview'",
         "notes": [], "main_contact": MARIA.email,
         "decision_expected": datetime(2026, 1, 30).date(), "process_id": 2,
         "created_at": EARLIER, "updated_at": EARLIER},
    ],
    "interviewers": [
        {"id": 1, "interview_id": 1, "email": JANE.email, "name": JANE.name,
         "is_organizer": True, "active": True, "notes": ["note: event sourcing"]},
        {"id": 2, "interview_id": 1, "email": RAJ.email, "name": RAJ.name,
         "is_organizer": False, "active": True, "notes": []},
        {"id": 3, "interview_id": 2, "email": MARIA.email, "name": MARIA.name,
         "is_organizer": True, "active": True, "notes": []},
    ],
    "followups": [
        followup(1, 1, 1, "acme-1", JANE.email, "thank_you", "scheduled", at(2)),
        followup(2, 1, 2, "acme-1", RAJ.email, "thank_you", "creating", at(2), attempts=1),
        followup(3, 1, 1, "acme-1", JANE.email, "status_inquiry", "scheduled", at(24 * 7)),
        followup(4, 2, 3, "globex-1", MARIA.email, "thank_you", "done",
                 EARLIER + timedelta(hours=2), reason="you sent it",
                 draft_id="1767801600.M1P1.host", message_id="<a1@followupd>",
                 subject="Thank you – Globex interview",
                 drafted_at=EARLIER + timedelta(hours=2),
                 sent_at=EARLIER + timedelta(hours=3), sent_message_id="<s1@example.org>",
                 sent_references=["<a1@followupd>"]),
        followup(5, 2, 3, "globex-1", MARIA.email, "status_inquiry", "cancelled",
                 EARLIER + timedelta(days=7), reason="reply from maria@globex.example"),
    ],
    "transitions": [
        {"id": 1, "followup_id": 4, "at": EARLIER, "from_state": None,
         "to_state": "scheduled", "reason": "planned"},
        {"id": 2, "followup_id": 4, "at": EARLIER + timedelta(hours=2),
         "from_state": "scheduled", "to_state": "drafted", "reason": "drafted"},
        {"id": 3, "followup_id": 4, "at": EARLIER + timedelta(hours=4),
         "from_state": "drafted", "to_state": "done", "reason": "you sent it"},
        {"id": 4, "followup_id": 5, "at": EARLIER + timedelta(days=2),
         "from_state": "scheduled", "to_state": "cancelled",
         "reason": "reply from maria@globex.example"},
        {"id": 5, "followup_id": 2, "at": at(2), "from_state": "scheduled",
         "to_state": "creating", "reason": "due"},
    ],
}  # fmt: skip
ORDER = list(ROWS)  # parents before children


def fill(engine: Engine) -> None:
    """Insert ROWS with plain INSERT statements on the reflected 0001 tables."""
    meta = MetaData()
    with engine.begin() as conn:
        meta.reflect(conn)
        for table in ORDER:
            conn.execute(meta.tables[table].insert(), ROWS[table])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ORDER:
                if "id" in meta.tables[table].c:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )


def columns_of(engine: Engine) -> dict[str, list[str]]:
    return {table: [c["name"] for c in inspect(engine).get_columns(table)] for table in ORDER}


def dump(
    engine: Engine, columns: dict[str, list[str]] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of ROWS, in primary-key order, as the driver returns them;
    only ``columns`` (table -> names) where given, to compare with a dump of an older schema."""
    meta = MetaData()
    with engine.connect() as conn:
        meta.reflect(conn, only=ORDER)
        dumped = {}
        for name in ORDER:
            table = meta.tables[name]
            wanted = [table.c[c] for c in columns[name]] if columns else list(table.columns)
            query = select(*wanted).order_by(*table.primary_key.columns)
            dumped[name] = [tuple(row) for row in conn.execute(query)]
        return dumped


def revision(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def state_at_0001(db_url: str) -> Engine:
    engine = open_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    assert revision(engine) == ("0001",)
    fill(engine)
    return engine


def test_the_upgrade_keeps_every_row_and_the_daemon_carries_on(tmp_path: Path, db_url: str) -> None:
    old = state_at_0001(db_url)
    before, old_columns = dump(old), columns_of(old)
    assert {name: len(rows) for name, rows in before.items()} == {
        name: len(rows) for name, rows in ROWS.items()
    }

    world = World(tmp_path, db_url)  # the daemon starts: open_store upgrades
    engine = world.engine.sessions.kw["bind"]
    assert revision(engine) == (HEAD,) and HEAD != "0001"
    assert dump(engine, old_columns) == before  # not one value changed
    indexes = {
        table: {ix["name"] for ix in inspect(engine).get_indexes(table)}
        for table in ("followups", "interviews", "transitions")
    }
    assert "ix_followups_state_due_at" in indexes["followups"]
    assert "ix_interviews_account_start_at" in indexes["interviews"]
    assert "ix_transitions_followup_id" in indexes["transitions"]

    world.add(ACME)
    world.add(GLOBEX)
    world.tick(at(2) + timedelta(minutes=5))

    # Jane's due thank-you and Raj's interrupted one are drafted, once each, with their keys.
    drafts = sorted((str(d["To"]), world.key_of(d)) for d in world.drafts())
    assert drafts == [
        (f"{JANE.name} <{JANE.email}>", key("acme-1", JANE.email, "thank_you")),
        (f"{RAJ.name} <{RAJ.email}>", key("acme-1", RAJ.email, "thank_you")),
    ]
    states = {fu.id: (fu.key, fu.state) for fu in world.followups()}
    assert states == {
        1: (key("acme-1", JANE.email, "thank_you"), "drafted"),
        2: (key("acme-1", RAJ.email, "thank_you"), "drafted"),
        3: (key("acme-1", JANE.email, "status_inquiry"), "scheduled"),
        4: (key("globex-1", MARIA.email, "thank_you"), "done"),
        5: (key("globex-1", MARIA.email, "status_inquiry"), "cancelled"),
    }
    after = dump(engine, old_columns)
    assert [row[0] for row in after["interviews"]] == [1, 2]  # no interview twice
    assert after["problems"] == before["problems"]
    assert after["transitions"][: len(before["transitions"])] == before["transitions"]
    assert ("old-work", "needs_reauth") in {(r[0], r[1]) for r in after["accounts"]}
    globex = [row for row in after["followups"] if row[0] in (4, 5)]
    assert globex == [row for row in before["followups"] if row[0] in (4, 5)]

    # A second start finds the schema current and changes nothing.
    world.restart()
    assert dump(world.engine.sessions.kw["bind"], old_columns) == after


def test_the_indexes_serve_the_due_work_query(tmp_path: Path) -> None:
    """On SQLite, the planner really uses them (a PostgreSQL planner ignores indexes on tiny
    tables, so there the test above only checks that they exist)."""
    sessions = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    with sessions.kw["bind"].connect() as conn:

        def plan(sql: str) -> str:
            return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))

        due = plan(
            "SELECT due_at FROM followups WHERE state IN ('scheduled', 'creating') "
            "AND due_at <= '2026-01-14 12:00:00' ORDER BY due_at"
        )
        window = plan(
            "SELECT id FROM interviews WHERE account = 'home' AND status = 'active' "
            "AND start_at >= '2026-01-01' AND start_at < '2026-03-01'"
        )
        history = plan("SELECT count(*) FROM transitions WHERE followup_id = 7")
    assert "SEARCH followups USING COVERING INDEX ix_followups_state_due_at" in due
    assert "SEARCH interviews USING INDEX ix_interviews_account_start_at" in window
    assert "SEARCH transitions USING COVERING INDEX ix_transitions_followup_id" in history


def test_downgrade_and_upgrade_again_keep_the_rows(db_url: str) -> None:
    engine = state_at_0001(db_url)
    before, old_columns = dump(engine), columns_of(engine)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "0001")
    assert revision(engine) == ("0001",)
    assert columns_of(engine) == old_columns
    command.upgrade(cfg, "head")
    assert dump(engine, old_columns) == before


NEWER = (
    "this state was written by a newer followupd (schema revision 0099; followupd "
    f"{__version__} knows revisions up to {HEAD}). Upgrade followupd to use it; it was not changed"
)


def test_a_state_from_a_newer_followupd_is_refused_untouched(tmp_path: Path, db_url: str) -> None:
    world = World(tmp_path, db_url)
    world.add(ACME)
    world.tick(at(2))
    engine = world.engine.sessions.kw["bind"]
    with engine.begin() as conn:  # what followupd 2.x would leave behind
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        conn.execute(text("CREATE TABLE reminders (id INTEGER PRIMARY KEY, note TEXT)"))
    before = dump(engine)

    with pytest.raises(StoreError) as raised:
        open_store(db_url)
    where = (
        f"state database file {db_url.removeprefix('sqlite:///')}"
        if db_url.startswith("sqlite")
        else f"database {engine.url.render_as_string(hide_password=True)}"
    )
    assert str(raised.value) == f"{where}: {NEWER}"

    runner = CliRunner(env={"COLUMNS": "1000"})
    for args in (["status"], ["run", "--once"]):
        result = runner.invoke(main, ["--config", str(world.config_path), *args])
        assert result.exit_code == 1, result.output
        assert result.stderr == f"followupd: {where}: {NEWER}\n"
    assert revision(engine) == ("0099",)
    assert dump(engine) == before


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    engine = open_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)"))
        conn.execute(text("INSERT INTO moz_places (url) VALUES ('https://example.org/')"))
    with pytest.raises(StoreError) as raised:
        open_store(f"sqlite:///{path}")
    assert str(raised.value) == (
        f"state database file {path} is not a followupd state database: it holds tables of "
        "another program (moz_places) and no followupd schema version. Point [daemon].database "
        "at a new or empty database; this one was not changed"
    )
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == ["moz_places"]


def test_head_revision_names_the_newest_migration() -> None:
    """open_store skips Alembic for a database at HEAD_REVISION: a new migration must move it."""
    assert HEAD_REVISION == HEAD, (
        f"daemon/store/database.py: HEAD_REVISION is {HEAD_REVISION!r} but the newest "
        f"migration is {HEAD!r}; update it"
    )


def _opening_loads_alembic(url: str) -> bool:
    """Whether ``open_store(url)`` in a new process imports Alembic."""
    code = (
        "import sys; from daemon.store.database import open_store; "
        f"open_store({url!r}); print('alembic' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip() == "True"


def test_a_current_state_is_opened_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    open_store(url)  # a new database
    assert not _opening_loads_alembic(url)


# Provider- and invitation-supplied values, VARCHAR(n) up to 0002: PostgreSQL refused a longer
# value and so failed the account's poll over and over (daemon/store/migrations/versions/0003).
TEXT_SINCE_0003 = {
    "processes": ["company_key", "company"],
    "interviews": [
        "series_id", "calendar", "company", "role", "timezone", "organizer", "main_contact",
    ],
    "interviewers": ["name"],
    "followups": [
        "draft_id", "thread_id", "message_id", "sent_message_id", "sent_provider_id",
    ],
}  # fmt: skip


def test_0003_makes_provider_values_unbounded_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0002")
    before = dump(engine)

    command.upgrade(cfg, "0003")

    assert revision(engine) == ("0003",)
    assert dump(engine) == before
    for table, columns in TEXT_SINCE_0003.items():
        types = {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}
        assert {c: type(types[c]).__name__ for c in columns} == {c: "TEXT" for c in columns}
    # What Gmail, Graph or a mail client may hand back, and a name in an invitation.
    long = "<" + "x" * 3000 + "@mail.example.org>"
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE followups SET draft_id = :v, thread_id = :v, message_id = :v, "
                "sent_message_id = :v, sent_provider_id = :v WHERE id = 4"
            ),
            {"v": long},
        )
        conn.execute(text("UPDATE interviewers SET name = :v WHERE id = 3"), {"v": "M" * 3000})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT message_id FROM followups WHERE id = 4")).scalar() == long
        if conn.dialect.name == "sqlite":  # the tables were copied: every reference still holds
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def _unlike_the_models(engine: Engine) -> list[Any]:
    """What the database's schema has that the models do not, and the other way round."""
    from alembic.autogenerate import compare_metadata

    from daemon.store.models import Base

    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), Base.metadata)


def test_the_models_and_the_migrations_agree(db_url: str) -> None:
    """A change to the models without its migration fails here, not in a user's upgrade."""
    engine = open_engine(db_url)
    migrate(engine)  # Alembic itself, not the snapshot a new SQLite file gets
    assert _unlike_the_models(engine) == []


def _clauses(sql: str) -> tuple[str, ...]:
    """A CREATE statement's head and its top-level clauses (columns, constraints), sorted.

    Alembic's batch migrations on SQLite copy a table with its constraints in an order that
    varies from one process to the next (sets of them, under hash randomization): the same
    schema, written differently."""
    head, _, body = sql.partition("(")
    parts, depth, current = [], 0, ""
    for char in body.rsplit(")", 1)[0] if head.lstrip().upper().startswith("CREATE TABLE") else "":
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return (head.strip(), *sorted(parts)) if parts else (sql,)


Recorded = list[tuple[str, str, str, tuple[str, ...]]]


def _recorded(path: Path) -> Recorded:
    with closing(sqlite3.connect(path)) as conn:
        return sorted((t, n, tbl, _clauses(sql)) for t, n, tbl, sql in snapshot.recorded(conn))


def _recorded_fresh_migration(tmp_path: Path) -> Recorded:
    """What SQLite records after Alembic's migrations on a new file."""
    path = tmp_path / "reference.db"
    migrate(open_engine(f"sqlite:///{path}"))
    return _recorded(path)


def test_the_sqlite_snapshot_is_what_the_migrations_make(tmp_path: Path) -> None:
    """A new SQLite state is built from daemon/store/sqlite-schema.sql: it must be, statement
    for statement, what SQLite recorded after the migrations, and describe the head revision."""
    found = snapshot.read()
    assert found is not None and found[0] == HEAD, (
        f"{snapshot.SNAPSHOT} is not of the head revision {HEAD}: python3 -m daemon.store.snapshot"
    )
    new = tmp_path / "new.db"
    engine = open_store(f"sqlite:///{new}").kw["bind"]
    assert _recorded(new) == _recorded_fresh_migration(tmp_path), (
        f"{snapshot.SNAPSHOT} is not what the migrations make: python3 -m daemon.store.snapshot"
    )
    assert revision(engine) == (HEAD,)
    assert _unlike_the_models(engine) == []  # what the models expect, as a migrated file is


def test_a_new_sqlite_state_is_made_without_alembic(tmp_path: Path) -> None:
    path = tmp_path / "state" / "followupd.db"
    assert not _opening_loads_alembic(f"sqlite:///{path}")
    assert path.stat().st_mode & 0o777 == 0o600
    engine = open_engine(f"sqlite:///{path}")
    assert revision(engine) == (HEAD,)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    # and it serves: the daemon drafts from it, and the migrations find nothing left to do
    world = World(tmp_path / "world", f"sqlite:///{path}")
    world.add(ACME)
    world.tick(at(2) + timedelta(minutes=5))
    assert sorted(str(d["To"]) for d in world.drafts()) == [
        f"{JANE.name} <{JANE.email}>",
        f"{RAJ.name} <{RAJ.email}>",
    ]
    before = _recorded(path)
    migrate(engine)
    assert _recorded(path) == before == _recorded_fresh_migration(tmp_path)


def test_a_snapshot_of_another_revision_is_not_used(tmp_path: Path) -> None:
    stale = tmp_path / "old.sql"
    stale.write_text(
        snapshot.SNAPSHOT.read_text(encoding="utf-8").replace(f"revision: {HEAD}", "revision: 0007")
    )
    engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    assert snapshot.create(engine, HEAD, stale) is False
    assert revision(engine) == ()  # untouched: the migrations are the way


def test_a_snapshot_that_fails_halfway_leaves_nothing_and_the_migrations_take_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.sql"
    text_ = snapshot.SNAPSHOT.read_text(encoding="utf-8")
    broken.write_text(text_ + "\nCREATE INDEX ix_nowhere ON no_such_table (x);\n")
    engine = open_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        snapshot.create(engine, HEAD, broken)
    assert _recorded(tmp_path / "a.db") == []  # one transaction: the tables went with it

    monkeypatch.setattr(snapshot, "SNAPSHOT", broken)
    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    assert revision(store.kw["bind"]) == (HEAD,)
    assert _recorded(tmp_path / "b.db") == _recorded_fresh_migration(tmp_path)


def test_first_starts_at_once_build_the_schema_once(tmp_path: Path) -> None:
    """Four starts on one new file at the same moment (``run`` and ``status`` on a first day):
    each opens it, one builds the schema. Fifty times, since a lost race is not every time's."""
    errors: list[BaseException] = []
    for attempt in range(50):
        path = tmp_path / f"followupd-{attempt}.db"
        url = f"sqlite:///{path}"
        gate = threading.Barrier(4)

        def start(url: str = url, gate: threading.Barrier = gate) -> None:
            try:
                gate.wait()
                open_store(url).kw["bind"].dispose()
            except BaseException as err:  # noqa: BLE001 (reported below)
                errors.append(err)

        threads = [threading.Thread(target=start) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"attempt {attempt}"
        assert revision(open_engine(url)) == (HEAD,)
    assert _recorded(path) == _recorded_fresh_migration(tmp_path)


def test_0004_adds_identity_container_and_limit_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0003")
    before, old_columns = dump(engine), columns_of(engine)

    command.upgrade(cfg, "0004")

    assert dump(engine, old_columns) == before
    added = {
        table: set(columns_of(engine)[table]) - set(old_columns[table]) for table in old_columns
    }
    assert {t: c for t, c in added.items() if c} == {
        "accounts": {"identity"},
        "problems": {"container"},
        "interviews": {"max_interviewers"},
    }
    with engine.connect() as conn:
        assert conn.execute(text("SELECT identity FROM accounts")).scalars().all() == [None] * len(
            before["accounts"]
        )


def test_0005_adds_what_the_user_says_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0004")
    before, old_columns = dump(engine), columns_of(engine)

    command.upgrade(cfg, "0005")

    assert dump(engine, old_columns) == before
    added = {
        table: set(columns_of(engine)[table]) - set(old_columns[table]) for table in old_columns
    }
    assert {t: c for t, c in added.items() if c} == {
        "interviews": {"language", "fit", "company_override", "role_override", "own_message"},
    }
    command.downgrade(cfg, "0004")
    assert columns_of(engine) == old_columns


def test_0006_adds_the_users_loop_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0005")
    before, old_columns = dump(engine), columns_of(engine)

    command.upgrade(cfg, "0006")

    assert dump(engine, old_columns) == before
    added = {
        table: set(columns_of(engine)[table]) - set(old_columns[table]) for table in old_columns
    }
    assert {t: c for t, c in added.items() if c} == {
        "interviews": {"notified_at"},
        "interviewers": {"title"},
        "followups": {"draft_text", "revision", "failure", "failure_fingerprint"},
    }
    with engine.connect() as conn:  # every follow-up there was is at its first revision
        revisions = conn.execute(text("SELECT revision FROM followups")).scalars().all()
    assert revisions and set(revisions) == {0}
    command.downgrade(cfg, "0005")
    assert columns_of(engine) == old_columns


def test_0008_adds_the_lease_tables_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0007")
    before, old_columns = dump(engine), columns_of(engine)

    command.upgrade(cfg, "0008")

    assert dump(engine, old_columns) == before and columns_of(engine) == old_columns
    tables = set(inspect(engine).get_table_names())
    assert {"account_leases", "instances"} <= tables
    with engine.connect() as conn:  # empty: no instance has claimed anything yet
        assert conn.execute(text("SELECT count(*) FROM account_leases")).scalar() == 0
    command.downgrade(cfg, "0007")
    assert not {"account_leases", "instances"} & set(inspect(engine).get_table_names())
    assert dump(engine) == before


# What issue 14 needed for a poll that does not read every account's rows (migration 0007).
INDEXES_0007 = {
    "interviews": {
        "ix_interviews_process_id": ["process_id"],
        "ix_interviews_unmarked_end_at": ["account", "end_at"],
    },
    "followups": {"ix_followups_interview_id_state": ["interview_id", "state"]},
}


def indexes_of(engine: Engine, table: str) -> dict[str, dict[str, Any]]:
    return {ix["name"]: ix for ix in inspect(engine).get_indexes(table)}


def test_0007_adds_the_indexes_of_state_access_and_keeps_every_row(db_url: str) -> None:
    engine = state_at_0001(db_url)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0006")
    before = dump(engine)

    command.upgrade(cfg, "0007")

    assert dump(engine) == before
    for table, wanted in INDEXES_0007.items():
        found = indexes_of(engine, table)
        assert {name: found[name]["column_names"] for name in wanted if name in found} == wanted
    # Partial: only the interviews whose end was not told about yet.
    unmarked = indexes_of(engine, "interviews")["ix_interviews_unmarked_end_at"]
    where = unmarked["dialect_options"][f"{engine.dialect.name}_where"]
    assert " ".join(str(where).lower().replace("(", "").replace(")", "").split()) == (
        "notified_at is null or notified_at < end_at"
    )
    command.downgrade(cfg, "0006")
    for table, wanted in INDEXES_0007.items():
        assert not set(wanted) & set(indexes_of(engine, table))


def test_the_indexes_of_0007_serve_an_accounts_poll(tmp_path: Path) -> None:
    """On SQLite, the planner takes them for the queries of a poll and a round, which without
    them read a whole table (a process's interviews) or every account's rows."""
    sessions = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    accounts = ", ".join(f"'user{n}'" for n in range(1000))
    with sessions.kw["bind"].connect() as conn:

        def plan(sql: str) -> str:
            return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))

        interviews = plan("SELECT title FROM interviews WHERE process_id IN (1, 2, 3)")
        drafts = plan(  # daemon/replies.py: the drafts waiting in an account's mailbox
            "SELECT id FROM followups WHERE state = 'drafted' AND interview_id IN "
            "(SELECT id FROM interviews WHERE account = 'home')"
        )
        ended = plan(  # daemon/notify/watch.py: the interviews that ended, not told about
            f"SELECT id FROM interviews WHERE account IN ({accounts}) "
            "AND end_at <= '2026-01-14 12:00:00' "
            "AND (notified_at IS NULL OR notified_at < end_at)"
        )
    assert interviews == "SEARCH interviews USING INDEX ix_interviews_process_id (process_id=?)"
    assert drafts.startswith(
        "SEARCH followups USING COVERING INDEX ix_followups_interview_id_state "
        "(interview_id=? AND state=?)"
    )
    assert (
        "SEARCH interviews USING INDEX ix_interviews_unmarked_end_at (account=? AND end_at<?)"
        in ended
    )
