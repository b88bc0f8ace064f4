"""A follow-up's history (daemon/store/repository.py ``transition``): every state change is
recorded with its reason, written with the flush that writes the follow-up and taken back with
it by a rollback, a savepoint's included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from daemon.store.models import FollowUp, State, Transition
from daemon.store.repository import transition
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    w = World(tmp_path, db_url)
    w.add(
        Event("acme-1", START, 60, "Interview: Acme", [Person("Jane Smith", "jane@acme.example")])
    )
    w.tick(datetime(2026, 1, 1, tzinfo=UTC))
    return w


def history(world: World, fu_id: int) -> list[tuple[str | None, str, str | None]]:
    with world.engine.sessions() as session:
        rows = session.execute(
            select(Transition.from_state, Transition.to_state, Transition.reason)
            .where(Transition.followup_id == fu_id)
            .order_by(Transition.id)
        )
        return [tuple(row) for row in rows]


def first_id(world: World) -> int:
    return min(fu.id for fu in world.followups())


def test_changes_are_written_in_order_with_the_commit(world: World) -> None:
    fu_id = first_id(world)
    with world.engine.sessions() as session:
        fu = session.get_one(FollowUp, fu_id)
        transition(session, fu, State.CREATING, "one", NOW)
        session.flush()
        transition(session, fu, State.DRAFTED, "two", NOW)
        transition(session, fu, State.DONE, "three", NOW)
        session.commit()
    assert history(world, fu_id)[-3:] == [
        ("scheduled", "creating", "one"),
        ("creating", "drafted", "two"),
        ("drafted", "done", "three"),
    ]


def test_a_change_to_the_same_state_is_still_recorded(world: World) -> None:
    fu_id = first_id(world)
    with world.engine.sessions() as session:
        fu = session.get_one(FollowUp, fu_id)
        transition(session, fu, fu.state, fu.reason or "", fu.updated_at or NOW)
        session.commit()
    assert len(history(world, fu_id)) == 2  # planned, then this


def test_a_rollback_takes_the_history_back(world: World) -> None:
    fu_id = first_id(world)
    before = history(world, fu_id)
    with world.engine.sessions() as session:
        fu = session.get_one(FollowUp, fu_id)
        transition(session, fu, State.CREATING, "flushed, then rolled back", NOW)
        session.flush()
        transition(session, fu, State.DRAFTED, "never flushed", NOW)
        session.rollback()
        fu = session.get_one(FollowUp, fu_id)
        transition(session, fu, State.SKIPPED, "kept", NOW)
        session.commit()
    assert history(world, fu_id) == [*before, ("scheduled", "skipped", "kept")]


def test_a_savepoint_rolled_back_takes_back_only_its_own(world: World) -> None:
    fu_id = first_id(world)
    before = history(world, fu_id)
    with world.engine.sessions() as session:
        fu = session.get_one(FollowUp, fu_id)
        transition(session, fu, State.CREATING, "outer", NOW)
        with pytest.raises(RuntimeError), session.begin_nested():
            transition(session, fu, State.DRAFTED, "inner, written", NOW)
            session.flush()
            transition(session, fu, State.DONE, "inner, not written", NOW)
            raise RuntimeError("the event failed")
        session.commit()
    assert history(world, fu_id) == [*before, ("scheduled", "creating", "outer")]


def test_a_loaded_history_shows_a_later_change(world: World) -> None:
    fu_id = first_id(world)
    with world.engine.sessions() as session:
        fu = session.get_one(FollowUp, fu_id)
        assert [t.to_state for t in fu.transitions] == ["scheduled"]
        transition(session, fu, State.SKIPPED, "later", NOW + timedelta(hours=1))
        session.flush()
        assert [t.to_state for t in fu.transitions] == ["scheduled", "skipped"]
        session.commit()
