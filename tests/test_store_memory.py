"""What an SQLite connection of the store holds on to, measured by SQLite itself.

The engine keeps a connection per worker thread (32 for a thousand accounts), so what one
connection keeps is paid that many times over: its page cache (``CACHE_KIB``) and its prepared
statements (``STATEMENT_CACHE``). SQLite's own count of the memory it has allocated
(``sqlite3_memory_used``, read from the library the ``sqlite3`` module is linked to) shows what
a connection keeps after a cycle's worth of statements that are never run again.
"""

from __future__ import annotations

import ctypes
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from daemon.store.database import open_engine


def _sqlite_memory_used() -> Callable[[], int]:
    """SQLite's count of its allocations, from the very library the sqlite3 module uses."""
    paths = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()
             if "libsqlite3" in line]  # fmt: skip
    if not paths:
        pytest.skip("the sqlite3 module is not linked to a shared libsqlite3 here")
    used = ctypes.CDLL(paths[0]).sqlite3_memory_used
    used.restype = ctypes.c_int64
    return used


def _distinct_statements(run: Callable[[str, int], object], count: int = 120) -> None:
    """What a cycle does: IN lists and many-row inserts of ever other lengths."""
    for n in range(1, count + 1):
        params = ",".join(f":p{i}" for i in range(n))
        run(f"SELECT id FROM t WHERE id IN ({params}) OR note IN ({params})", n)


def test_a_store_connection_keeps_few_statements_prepared(tmp_path: Path) -> None:
    used = _sqlite_memory_used()
    engine = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)"))

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # the connection exists before counting
        before = used()
        _distinct_statements(
            lambda sql, n: conn.execute(text(sql), {f"p{i}": i for i in range(n)}).all()
        )
        kept_by_store = used() - before

    plain = sqlite3.connect(tmp_path / "state.db")  # Python's default: 128 statements kept
    plain.execute("SELECT 1")
    before = used()
    _distinct_statements(
        lambda sql, n: plain.execute(sql, {f"p{i}": i for i in range(n)}).fetchall()
    )
    kept_by_default = used() - before
    plain.close()
    engine.dispose()

    # 0.5 MB against 2.4 MB here: the last 16 of the 120 statements (the longest) kept, not all.
    assert kept_by_store < kept_by_default / 3, (kept_by_store, kept_by_default)
