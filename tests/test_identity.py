"""Exactly once, whatever the user changes: renaming, re-ordering and swapping accounts, a
meeting that gets a new identity in the calendar, a lost database after a rename.

The real engine with the real ics + Maildir connectors (tests/harness.py), on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import mailbox
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from daemon.store.models import AccountState
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
JANE = Person("Jane Smith", "jane@acme.example")
RAJ = Person("Raj Patel", "raj@acme.example")
MARIA = Person("Maria Garcia", "maria@globex.example")


def at(hours: float) -> datetime:
    return END + timedelta(hours=hours)


def rename(world: World, old: str, new: str) -> None:
    text = world.config_path.read_text()
    assert f'name = "{old}"' in text
    world.config_path.write_text(text.replace(f'name = "{old}"', f'name = "{new}"'))


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    w = World(tmp_path, db_url)
    w.add(Event("acme-1", START, 60, "Interview: Acme", [JANE, RAJ]))
    return w


def test_renaming_the_account_drafts_nothing_again(world: World) -> None:
    world.tick(at(1))
    assert sorted(str(d["To"]) for d in world.drafts()) == [
        "Jane Smith <jane@acme.example>",
        "Raj Patel <raj@acme.example>",
    ]
    world.delete(world.drafts_to("raj@")[0])  # the user does not want this one
    world.tick(at(1.5))
    before = {fu.key: fu.state for fu in world.followups()}

    rename(world, "home", "personal")
    world.restart()
    world.tick(at(2))

    assert [str(d["To"]) for d in world.drafts()] == ["Jane Smith <jane@acme.example>"]
    assert {fu.key: fu.state for fu in world.followups()} == before  # nothing planned twice
    assert {i.account for i in world.interviews()} == {"personal"}
    with world.engine.sessions() as session:
        assert session.scalars(select(AccountState.name)).all() == ["personal"]

    # The renamed account goes on as before.
    world.add(Event("globex-1", START + timedelta(days=1), 60, "Interview: Globex", [MARIA]))
    world.tick(at(26))
    assert len(world.drafts_to("maria@")) == 1
    assert len(world.drafts()) == 2


def test_the_key_names_what_the_account_serves_not_its_name(world: World) -> None:
    world.tick(at(1))
    keys = {world.key_of(d) for d in world.drafts()}
    assert len(keys) == 2
    assert not any(":home:" in key for key in keys)
    assert all(re.fullmatch(r"followupd:[0-9a-f]{12}:[0-9a-f]{16}:.+:thank_you:1", k) for k in keys)


def test_a_renamed_account_finds_its_drafts_after_a_lost_database(world: World) -> None:
    if not world.db_url.startswith("sqlite"):
        pytest.skip("replacing the database file is a SQLite scenario")
    world.tick(at(1))
    assert len(world.drafts()) == 2
    world.engine.sessions.kw["bind"].dispose()
    db_file = Path(world.db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    rename(world, "home", "personal")
    world.restart()
    world.tick(at(2))
    assert len(world.drafts()) == 2
    assert {fu.state for fu in world.followups()} >= {"drafted"}


def test_a_renamed_account_keeps_its_tokens(world: World) -> None:
    world.tick(at(1))
    token = world.root / "state" / "accounts" / "home" / "token.json"
    token.write_text("{}")
    rename(world, "home", "personal")
    world.restart()
    assert (world.root / "state" / "accounts" / "personal" / "token.json").read_text() == "{}"
    assert not token.exists()


def test_a_rename_killed_before_its_commit_then_renamed_again_keeps_the_tokens(
    world: World,
) -> None:
    """The folder of tokens moves before the store's rename is committed. Killed in between,
    the store still has the old name and the folder the new one; the user renames the account
    again, and the next start must still find its sign-in (the crash campaign's kill points)."""
    from daemon import config as config_mod
    from daemon.running.identity import adopt_renamed

    world.tick(at(1))
    accounts = world.root / "state" / "accounts"
    (accounts / "home" / "token.json").write_text("{}")
    rename(world, "home", "personal")
    with world.engine.sessions() as session:  # the rename, killed before its commit
        adopt_renamed(session, config_mod.load(world.config_path))
        session.rollback()
    assert (accounts / "personal" / "token.json").exists()  # the folder moved all the same
    rename(world, "personal", "private")
    world.restart()
    assert (accounts / "private" / "token.json").read_text() == "{}"
    assert not (accounts / ".renaming.json").exists()
    with world.engine.sessions() as session:
        assert session.get(AccountState, "private") is not None


def test_signing_in_again_under_a_new_name_still_carries_the_history_over(world: World) -> None:
    """``auth`` claims what its account serves only when no stored account does: renamed,
    then signed in under the new name before the next start, the history follows the
    rename as before (two rows with one identity would be kept apart)."""
    from daemon import config as config_mod
    from daemon.resources import identity
    from daemon.running.identity import claim
    from daemon.store import repository as repo

    world.tick(at(1))
    assert len(world.drafts()) == 2
    rename(world, "home", "personal")
    account = config_mod.load(world.config_path).account("personal")
    with world.engine.sessions() as session:  # what `followupd auth personal` does
        state = repo.account_state(session, "personal")
        claim(session, state, identity(account))
        assert state.identity is None  # 'home' serves it
        fresh = repo.account_state(session, "other")
        claim(session, fresh, "calendar x; mailbox y")
        assert fresh.identity == "calendar x; mailbox y"
        session.rollback()
    with world.engine.sessions() as session:
        claim(session, repo.account_state(session, "personal"), identity(account))
        session.commit()
    world.restart()
    world.tick(at(2))
    assert len(world.drafts()) == 2, "the rename was not recognised: drafted again"
    assert {i.account for i in world.interviews()} == {"personal"}


SECOND = """
[[accounts]]
name = "work"
addresses = ["alex@example.org"]
calendar = {{ provider = "ics", path = "cal2" }}
mailbox = {{ provider = "maildir", path = "mail2" }}
"""


def test_reordering_and_swapping_account_names_drafts_nothing_again(world: World) -> None:
    (world.root / "cal2").mkdir()
    work_box = mailbox.Maildir(world.root / "mail2", create=True)
    work_box.add_folder("Drafts")
    (world.root / "cal2" / "work.ics").write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
        + Event("globex-1", START, 60, "Interview: Globex", [MARIA]).ics()
        + "\r\nEND:VCALENDAR\r\n",
        newline="",
    )
    text = world.config_path.read_text()
    world.config_path.write_text(text + SECOND.format())
    world.restart()
    world.tick(at(1))
    assert len(world.drafts()) == 2
    assert len(work_box.get_folder("Drafts")) == 1
    before = {fu.key: fu.state for fu in world.followups()}

    # The two [[accounts]] tables change places and swap names.
    home, work = text.split("[[accounts]]")[1], SECOND.format().split("[[accounts]]")[1]
    head = text.split("[[accounts]]")[0]
    swapped = (
        head
        + "[[accounts]]"
        + work.replace('name = "work"', 'name = "home"')
        + "[[accounts]]"
        + home.replace('name = "home"', 'name = "work"')
    )
    world.config_path.write_text(swapped)
    world.restart()
    world.tick(at(2))

    assert len(world.drafts()) == 2
    assert len(work_box.get_folder("Drafts")) == 1
    assert {fu.key: fu.state for fu in world.followups()} == before
    accounts = {i.event_id: i.account for i in world.interviews()}
    assert accounts == {"acme-1": "work", "globex-1": "home"}


# -- one meeting, two identities ---------------------------------------------------------


def test_an_event_without_uid_that_gains_one_is_not_thanked_twice(world: World) -> None:
    world.events.clear()
    world.add(Event("no-uid", START, 60, "Interview: Acme", [JANE], has_uid=False))
    world.tick(at(1))
    assert len(world.drafts_to("jane@")) == 1

    # The user retitles it in the file, then an exporter adds a UID: whatever the calendar
    # calls the meeting now, Jane was thanked for it already.
    world.events.clear()
    world.add(Event("no-uid", START, 60, "Interview: Acme (final round)", [JANE], has_uid=False))
    world.tick(at(2))
    world.events.clear()
    world.add(Event("now-with-a-uid@acme", START, 60, "Interview: Acme (final round)", [JANE]))
    world.tick(at(3))

    assert len(world.drafts_to("jane@")) == 1
    thank_yous = [fu for fu in world.followups() if fu.kind == "thank_you"]
    assert sorted(fu.state for fu in thank_yous)[0] == "drafted"
    twins = [fu for fu in thank_yous if fu.state == "skipped"]
    assert twins and all("same meeting" in (fu.reason or "") for fu in twins)


def test_a_second_meeting_with_the_same_person_is_thanked(world: World) -> None:
    """The guard is the meeting time: another interview with Jane on another day is new."""
    world.tick(at(1))
    world.add(Event("acme-2", START + timedelta(days=2), 60, "Interview: Acme onsite", [JANE]))
    world.tick(at(50))
    assert len(world.drafts_to("jane@")) == 2


# -- a stranger's crowd ------------------------------------------------------------------


def crowd(n: int) -> list[Person]:
    return [Person(f"Person {i:04d}", f"p{i:04d}@bigcorp.example") for i in range(n)]


def test_an_invitation_with_thousands_of_attendees_is_capped_and_said(world: World) -> None:
    world.add(Event("all-hands", START, 60, "Interview: BigCorp all hands", crowd(300)))
    world.tick(at(1))

    drafts = world.drafts()
    assert len([d for d in drafts if "bigcorp" in str(d["To"])]) == 20  # the default limit
    assert len(world.drafts_to("jane@")) == 1
    with world.engine.sessions() as session:
        from daemon.store.models import ProblemRecord

        [problem] = session.scalars(select(ProblemRecord)).all()
    assert "300 interviewers" in problem.message and "--max-interviewers 300" in problem.message
    assert "BigCorp all hands" in problem.item


def test_the_cap_is_configurable(tmp_path: Path, db_url: str) -> None:
    world = World(tmp_path, db_url, "[detection]\nmax_interviewers = 3")
    world.add(Event("panel", START, 60, "Interview: panel", crowd(5)))
    world.tick(at(1))
    assert len(world.drafts()) == 3


def test_one_interview_s_crowd_does_not_hold_up_another_s_thank_you(world: World) -> None:
    world.add(Event("all-hands", START, 60, "Interview: BigCorp", crowd(20)))
    world.tick(at(1))
    with world.engine.sessions() as session:
        from daemon.store.models import FollowUp, Transition

        drafted = session.execute(
            select(FollowUp.interview_id)
            .join(Transition, Transition.followup_id == FollowUp.id)
            .where(Transition.to_state == "drafted")
            .order_by(Transition.id)
        ).scalars()
        order = list(drafted)
    assert len(order) == 22
    # Both interviews are served in turns: Acme's two come within the first four.
    assert len(set(order[:4])) == 2


def test_fair_takes_interviews_in_turns() -> None:
    from daemon.running.engine import fair

    todo = [(1, "a", 10), (2, "a", 10), (3, "a", 10), (4, "a", 20), (5, "a", 10), (6, "a", 30)]
    assert [fu for fu, _ in fair(todo)] == [1, 4, 6, 2, 3, 5]
