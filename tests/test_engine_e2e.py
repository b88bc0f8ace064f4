"""The whole job, end to end, on the real ics + maildir connectors, through simulated time.

Interview on Wednesday 2026-01-14, 10:00-11:00 in Berlin (09:00-10:00 UTC), with Jane (the
organizer) and Raj from acme.example.
"""

from __future__ import annotations

import mailbox
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from daemon.running import engine as engine_mod
from daemon.store.models import AccountState, FollowUp, ProblemRecord
from tests.harness import Event, Person, World

START = datetime(2026, 1, 14, 9, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
JANE = Person("Jane Smith", "jane@acme.example")
RAJ = Person("Raj Patel", "raj@acme.example")


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return END + timedelta(days=days, hours=hours, minutes=minutes)


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> World:
    w = World(tmp_path, db_url)
    w.add(
        Event(
            "acme-1",
            START,
            60,
            "Interview: Acme (Backend Engineer)",
            [JANE, RAJ, Person("Room 1", "room1@acme.example", "ROOM")],
            description="Jane: the billing migration to event sourcing\nRaj: on-call and incident reviews",
        )
    )
    return w


def test_one_thank_you_per_interviewer_at_the_right_moment(world: World) -> None:
    world.tick(at(minutes=-90))  # before the interview
    world.tick(at(minutes=59))  # not yet due (delay 1h)
    assert world.drafts() == []
    world.tick(at(minutes=60))
    drafts = world.drafts()
    assert sorted(str(d["To"]) for d in drafts) == [
        "Jane Smith <jane@acme.example>",
        "Raj Patel <raj@acme.example>",
    ]
    jane = world.drafts_to("jane@")[0]
    body = jane.get_body(("plain",)).get_content()
    assert "Jane" in body and "event sourcing" in body
    assert "on-call" in world.drafts_to("raj@")[0].get_body(("plain",)).get_content()
    assert world.key_of(jane)
    # more polls never add more drafts
    for hours in (2, 5, 30):
        world.tick(at(hours=hours))
    assert len(world.drafts()) == 2
    assert world.states()[("jane@acme.example", "thank_you", 1)] == "drafted"


def test_no_reply_gives_an_inquiry_in_the_same_thread(world: World) -> None:
    world.tick(at(hours=1))
    sent = world.send(world.drafts_to("jane@")[0], at(hours=2))
    world.tick(at(hours=3))
    assert world.states()[("jane@acme.example", "thank_you", 1)] == "done"
    # 5 business days after the thank-you was sent (Wed 12:00 UTC -> next Wed 12:00 UTC)
    world.tick(at(days=7, hours=1, minutes=59))
    assert [d for d in world.drafts() if d["In-Reply-To"]] == []
    world.tick(at(days=7, hours=2, minutes=1))
    inquiries = [d for d in world.drafts() if d["In-Reply-To"]]
    assert len(inquiries) == 1
    inquiry = inquiries[0]
    assert inquiry["In-Reply-To"] == sent["Message-ID"]
    assert sent["Message-ID"] in inquiry["References"]
    assert inquiry["Subject"] == "Re: " + sent["Subject"]
    assert str(inquiry["To"]) == "Jane Smith <jane@acme.example>"
    world.tick(at(days=8))
    assert len([d for d in world.drafts() if d["In-Reply-To"]]) == 1


def inquiries(world: World) -> list:
    return [d for d in world.drafts() if "status_inquiry" in world.key_of(d)]


def status_text(world: World) -> str:
    return " ".join(world.status().replace("│", " ").split())


def test_unsent_thank_you_means_no_inquiry_and_status_says_why(world: World) -> None:
    world.tick(at(hours=1))
    for days in (7, 10, 20):
        world.tick(at(days=days, hours=1))  # the thank-yous are still unsent drafts
    assert inquiries(world) == []
    assert world.states()[("jane@acme.example", "status_inquiry", 1)] == "scheduled"
    shown = status_text(world)
    assert (
        "waiting: nothing sent to Acme about the 14 January interview yet; the inquiry follows "
        "5 business days after you send the thank-you (or any mail to jane@acme.example or "
        "anyone at acme.example)" in shown
    )
    # A month on, it stops looking, and says so.
    world.tick(at(days=31))
    inquiry = [fu for fu in world.followups() if fu.kind == "status_inquiry"][0]
    assert inquiry.state == "skipped"
    assert inquiry.reason.startswith(
        "nothing was sent to Acme about the 14 January interview by 2026-02-13: no status "
        "inquiry without a message of yours to follow up"
    )
    assert inquiries(world) == []


def test_deleted_thank_you_is_the_same_as_an_unsent_one(world: World) -> None:
    world.tick(at(hours=1))
    world.delete(world.drafts_to("jane@")[0])
    world.delete(world.drafts_to("raj@")[0])
    world.tick(at(hours=2))
    world.tick(at(days=10))
    assert inquiries(world) == []
    assert (
        "you deleted the thank-you draft; the inquiry follows 5 business days after you send any mail to jane@acme.example"
        in status_text(world)
    )


def test_the_users_own_message_starts_the_inquiry_which_replies_to_it(world: World) -> None:
    world.tick(at(hours=1))
    world.delete(world.drafts_to("jane@")[0])  # the user writes their own instead
    own = world.write_own("Jane Smith <jane@acme.example>", "Thanks for today", at(days=1, hours=5))
    world.tick(at(days=1, hours=6))
    # Thursday 15th 15:00 UTC + 5 business days = Thursday 22nd 15:00 UTC
    world.tick(at(days=8, hours=4, minutes=59))
    assert inquiries(world) == []
    world.tick(at(days=8, hours=5, minutes=1))
    [first] = inquiries(world)
    assert first["In-Reply-To"] == own["Message-ID"]
    assert first["References"].split() == [own["Message-ID"]]
    assert first["Subject"] == "Re: Thanks for today"
    assert str(first["To"]) == "Jane Smith <jane@acme.example>"
    # The second inquiry replies to the first, as sent.
    sent = world.send(first, at(days=8, hours=6))
    world.tick(at(days=8, hours=7))
    world.tick(at(days=15, hours=7))
    [second] = [d for d in inquiries(world) if world.key_of(d).endswith(":2")]
    assert second["In-Reply-To"] == sent["Message-ID"]
    assert second["References"].split() == [own["Message-ID"], sent["Message-ID"]]


def test_an_inquiry_deleted_by_the_user_never_comes_back(world: World) -> None:
    world.tick(at(hours=1))
    own = world.write_own("Jane Smith <jane@acme.example>", "Thanks for today", at(hours=3))
    world.tick(at(hours=4))
    world.tick(at(days=7, hours=4))
    [inquiry] = inquiries(world)
    assert inquiry["In-Reply-To"] == own["Message-ID"]
    world.delete(inquiry)
    for days in (8, 15, 30):
        world.tick(at(days=days))
    assert inquiries(world) == []
    assert world.states()[("jane@acme.example", "status_inquiry", 1)] == "done"
    assert ("jane@acme.example", "status_inquiry", 2) not in world.states()


def test_a_message_to_the_recruiter_gets_the_inquiry_in_its_thread(world: World) -> None:
    world.tick(at(hours=1))
    own = world.write_own(
        "Pat Recruiter <pat@acme.example>", "Following up on today", at(hours=3),
        headers={"Cc": "alex@example.org"},
    )  # fmt: skip
    world.tick(at(hours=4))
    world.tick(at(days=7, hours=4))
    [inquiry] = inquiries(world)
    assert inquiry["In-Reply-To"] == own["Message-ID"]
    assert str(inquiry["To"]) == "Pat Recruiter <pat@acme.example>"
    assert inquiry.get_body(("plain",)).get_content().startswith("Dear Pat,")


def test_mail_before_the_interview_or_to_others_starts_nothing(world: World) -> None:
    world.write_own("Jane Smith <jane@acme.example>", "See you tomorrow", at(days=-1))
    world.write_own("Bob <bob@other.example>", "Lunch?", at(hours=3))
    world.tick(at(hours=1))
    world.tick(at(hours=4))
    world.tick(at(days=10))
    assert inquiries(world) == []
    assert world.interviews()[0].own_message is None


def test_human_reply_cancels_the_inquiry(world: World) -> None:
    world.tick(at(hours=1))
    world.send(world.drafts_to("jane@")[0], at(hours=2))
    world.receive("Pat Recruiter <pat@acme.example>", "Next steps", at(days=2))
    world.tick(at(days=2, hours=1))
    world.tick(at(days=10))
    assert not [d for d in world.drafts() if "status_inquiry" in world.key_of(d)]
    assert world.states()[("jane@acme.example", "status_inquiry", 1)] == "cancelled"


def test_only_an_auto_reply_still_gives_the_inquiry(world: World) -> None:
    world.tick(at(hours=1))
    world.send(world.drafts_to("jane@")[0], at(hours=2))
    world.receive(
        "Jane Smith <jane@acme.example>",
        "Automatic reply: Thank you",
        at(hours=2, minutes=1),
        body="I am out of the office with limited access to e-mail.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.tick(at(days=7, hours=3))
    assert len([d for d in world.drafts() if "status_inquiry" in world.key_of(d)]) == 1


def test_auto_reply_with_return_date_pushes_the_inquiry(world: World) -> None:
    world.tick(at(hours=1))
    world.send(world.drafts_to("jane@")[0], at(hours=2))
    world.receive(
        "Jane Smith <jane@acme.example>",
        "Out of Office",
        at(hours=2, minutes=1),
        body="I am on vacation and will be back on January 26, 2026.",
        headers={"Auto-Submitted": "auto-replied"},
    )
    world.tick(at(days=7, hours=3))
    assert not [d for d in world.drafts() if "status_inquiry" in world.key_of(d)]
    world.tick(datetime(2026, 1, 28, 12, tzinfo=UTC))
    assert len([d for d in world.drafts() if "status_inquiry" in world.key_of(d)]) == 1


def test_rescheduled_event_moves_pending_follow_ups(world: World) -> None:
    world.tick(at(days=-1))
    world.events["acme-1"].start = START + timedelta(days=2)
    world.write_calendar()
    world.tick(at(hours=1))
    assert world.drafts() == []
    world.tick(at(days=2, hours=1))
    assert len(world.drafts()) == 2


def test_cancelled_event_cancels_pending_follow_ups(world: World) -> None:
    world.tick(at(days=-1))
    world.events["acme-1"].status = "CANCELLED"
    world.write_calendar()
    world.tick(at(hours=1))
    world.tick(at(days=10))
    assert world.drafts() == []
    assert set(world.states().values()) == {"cancelled"}


def test_deleted_event_cancels_pending_follow_ups(world: World) -> None:
    world.tick(at(days=-1))
    del world.events["acme-1"]
    world.write_calendar()
    world.tick(at(hours=1))
    assert world.drafts() == []
    assert set(world.states().values()) == {"cancelled"}


def test_deleted_draft_is_never_recreated(world: World) -> None:
    world.tick(at(hours=1))
    world.delete(world.drafts_to("raj@")[0])
    world.tick(at(hours=2))
    world.restart()
    world.tick(at(hours=3))
    assert len(world.drafts_to("raj@")) == 0
    assert world.states()[("raj@acme.example", "thank_you", 1)] == "done"


class Crash(BaseException):
    """Stands for the process dying: nothing after it runs, nothing is rolled back politely."""


def test_crash_between_create_and_record_gives_no_duplicate(world: World) -> None:
    connection = world.engine.connections["home"]
    real = connection.mailbox
    assert real is not None

    class CrashAfterCreate:
        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(real, name)

        def create_draft(self, request):  # noqa: ANN001, ANN201
            real.create_draft(request)
            raise Crash

    connection.mailbox = CrashAfterCreate()  # type: ignore[assignment]
    with pytest.raises(Crash):
        world.tick(at(hours=1))
    assert len(world.drafts()) == 1
    world.restart()  # a new process over the same state and mailbox
    world.tick(at(hours=1, minutes=5))
    assert len(world.drafts_to("jane@")) == 1
    assert len(world.drafts_to("raj@")) == 1
    world.restart()
    world.tick(at(hours=2))
    assert len(world.drafts()) == 2


def test_restart_mid_way_loses_nothing(world: World) -> None:
    world.tick(at(days=-1))
    world.restart()
    world.tick(at(hours=1))
    assert len(world.drafts()) == 2
    world.restart()
    world.tick(at(hours=2))
    assert len(world.drafts()) == 2


def test_downtime_past_max_lateness_skips_with_reason(world: World) -> None:
    world.tick(at(days=-1))
    world.tick(at(hours=14))  # due at +1h, max_lateness 12h
    assert world.drafts() == []
    fus = [fu for fu in world.followups() if fu.kind == "thank_you"]
    assert {fu.state for fu in fus} == {"skipped"}
    assert "max_lateness" in (fus[0].reason or "")


def test_a_long_downtime_is_settled_a_chunk_at_a_time(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a long downtime made too late is settled in chunks, each in a session of its own:
    one session holding every due follow-up as objects had been the service's peak memory on a
    careers office's first day. Nothing is lost between chunks, and the order holds."""
    monkeypatch.setattr(engine_mod, "SETTLE_CHUNK", 3)
    for n in range(6):  # 7 interviews, 8 thank-yous in all
        world.add(Event(f"more-{n}", START + timedelta(minutes=n), 45, f"Interview: Co{n}", [JANE]))
    world.tick(at(days=-1))
    held: dict[int, int] = {}

    def loaded(session, instance) -> None:  # noqa: ANN001
        if isinstance(instance, FollowUp):
            held[id(session)] = held.get(id(session), 0) + 1

    world.clock.set(at(hours=14))  # due at +1h, max_lateness 12h
    world.engine.poll()
    event.listen(world.engine.sessions, "loaded_as_persistent", loaded)
    world.engine.run_due()
    event.remove(world.engine.sessions, "loaded_as_persistent", loaded)
    assert world.drafts() == []
    fus = [fu for fu in world.followups() if fu.kind == "thank_you"]
    assert len(fus) == 8 and {fu.state for fu in fus} == {"skipped"}
    assert held and max(held.values()) <= 3, held


def test_downtime_within_window_catches_up(world: World) -> None:
    world.tick(at(days=-1))
    world.tick(at(hours=10))
    assert len(world.drafts()) == 2


def test_new_interview_with_same_company_cancels_pending_inquiry(world: World) -> None:
    world.tick(at(hours=1))
    world.add(
        Event("acme-2", START + timedelta(days=3), 60, "Final round interview - Acme", [JANE])
    )
    world.tick(at(days=1))
    states = world.states()
    # the old inquiry is cancelled, the new interview has its own plan
    inquiries = [fu for fu in world.followups() if fu.kind == "status_inquiry"]
    assert [fu.state for fu in inquiries if fu.interview.title.startswith("Interview:")] == [
        "cancelled"
    ]
    assert [fu.state for fu in inquiries if fu.interview.title.startswith("Final")] == ["scheduled"]
    assert states


def test_two_unanswered_inquiries_then_cold(world: World) -> None:
    world.tick(at(hours=1))
    world.send(world.drafts_to("jane@")[0], at(hours=2))
    world.tick(at(days=7, hours=3))
    first = [d for d in world.drafts() if "status_inquiry:1" in world.key_of(d)][0]
    world.send(first, at(days=7, hours=4))
    world.tick(at(days=7, hours=5))
    world.tick(at(days=14, hours=5))
    second = [d for d in world.drafts() if "status_inquiry:2" in world.key_of(d)]
    assert len(second) == 1
    assert second[0]["In-Reply-To"]
    world.send(second[0], at(days=14, hours=6))
    world.tick(at(days=14, hours=7))
    world.tick(at(days=30))
    assert not [d for d in world.drafts() if "status_inquiry:3" in world.key_of(d)]
    with world.engine.sessions() as session:
        from daemon.store.models import Process

        assert session.get(Process, 1).state == "cold"


def test_cancelled_then_restored_event_gets_its_follow_ups_back(world: World) -> None:
    world.tick(at(days=-2))
    world.events["acme-1"].status = "CANCELLED"
    world.write_calendar()
    world.tick(at(days=-1, hours=-1))
    world.events["acme-1"].status = "CONFIRMED"
    world.write_calendar()
    world.tick(at(days=-1))
    world.tick(at(hours=1))
    assert len(world.drafts()) == 2


def test_reply_cancelled_inquiry_stays_cancelled_when_event_returns(world: World) -> None:
    world.tick(at(hours=1))
    world.receive("Jane Smith <jane@acme.example>", "Great talking", at(hours=3))
    world.tick(at(hours=4))
    world.events["acme-1"].status = "CANCELLED"
    world.write_calendar()
    world.tick(at(hours=5))
    world.events["acme-1"].status = "CONFIRMED"
    world.write_calendar()
    world.tick(at(hours=6))
    world.tick(at(days=10))
    inquiry = [fu for fu in world.followups() if fu.kind == "status_inquiry"][0]
    assert (inquiry.state, inquiry.reason) == (
        "cancelled",
        "reply from jane@acme.example on 2026-01-14",
    )
    assert not [d for d in world.drafts() if "status_inquiry" in world.key_of(d)]


def test_declined_interview_gets_nothing(world: World) -> None:
    world.events["acme-1"].my_partstat = "DECLINED"
    world.write_calendar()
    world.tick(at(hours=1))
    assert world.drafts() == []
    assert world.interviews() == []


def test_lost_state_database_gives_no_duplicate(world: World, tmp_path: Path) -> None:
    """Keys live in the drafts themselves: even a new, empty database finds them."""
    if not world.db_url.startswith("sqlite"):
        pytest.skip("replacing the database file is a SQLite scenario")
    world.tick(at(hours=1))
    assert len(world.drafts()) == 2
    world.engine.sessions.kw["bind"].dispose()
    db_file = Path(world.db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    world.restart()
    world.tick(at(hours=2))
    assert len(world.drafts()) == 2
    assert {fu.state for fu in world.followups() if fu.kind == "thank_you"} == {"drafted"}


def test_overlong_values_from_strangers_never_stop_the_account(world: World) -> None:
    """Ids, names and Message-IDs come from other people's software, without a length
    anyone must respect. PostgreSQL refuses a value longer than its column, so any of them used
    to fail the account's sync on every poll (SQLite ignores lengths). Each must be kept whole,
    or the one item skipped with a recorded reason, and everything else go on."""
    world.add(
        Event(
            "globex-1",
            START,
            60,
            "Interview: Globex",
            [
                Person("Maria " + "Garcia-" * 60, "maria@globex.example"),  # a 426-char name
                Person("Nobody", "n" * 320 + "@globex.example"),  # longer than any address
            ],
        )
    )
    world.add(Event("u" * 2001, START, 60, "Interview: Initech", [JANE]))  # id too long
    # long, but fits (half an hour earlier: Raj in two interviews at once would be one meeting)
    world.add(Event("g" * 1100, START - timedelta(minutes=30), 60, "Interview: Hooli", [RAJ]))
    world.tick(at(hours=1))
    assert sorted(k[0] for k, state in world.states().items() if state == "drafted") == [
        "jane@acme.example",
        "maria@globex.example",
        "raj@acme.example",
    ]
    assert "g" * 1100 in {i.event_id for i in world.interviews()}
    assert len(world.drafts_to("raj@")) == 2  # Acme's, and Hooli's with the long id
    [maria] = world.drafts_to("maria@")
    assert str(maria["To"]).startswith("Maria Garcia-Garcia-")
    with world.engine.sessions() as session:
        account = session.get(AccountState, "home")
        assert account is not None and account.status == "ok", account.last_error
        [problem] = session.scalars(select(ProblemRecord)).all()
    assert problem.item.startswith("event 'uuuu") and "2001 bytes long" in problem.message

    # The user sends Jane's draft; the copy in Sent has a Message-ID longer than 1000.
    long_id, KIND = "<" + "x" * 1500 + "@laptop.example.org>", "thank_you"
    jane = world.drafts_to("jane@")[0]
    world.delete(jane)
    del jane["Message-ID"]
    jane["Message-ID"] = long_id
    sent = world.folder("Sent")
    sent.add(mailbox.MaildirMessage(jane.as_bytes(policy=jane.policy.clone(max_line_length=0))))
    world.tick(at(hours=2))
    [fu] = [f for f in world.followups() if (f.interviewer.email, f.kind) == (JANE.email, KIND)]
    assert (fu.state, fu.sent_message_id) == ("done", long_id)


@pytest.mark.parametrize(
    ("style", "amelia", "raj"),
    [
        ("first_name", "Dear Amelia,", "Dear Raj,"),
        # Raj's honorific is unknown: formal never guesses one from his name.
        ("formal", "Dear Dr. Chen,", "Dear Raj Patel,"),
    ],
)
def test_the_account_salutation_style_and_a_note_for_an_honorific_name(
    tmp_path: Path, db_url: str, style: str, amelia: str, raj: str
) -> None:
    world = World(tmp_path, db_url)
    text = world.config_path.read_text().replace(
        'addresses = ["', f'salutation = "{style}"\naddresses = ["'
    )
    world.config_path.write_text(text)
    world.restart()
    world.add(
        Event(
            "acme-2",
            START,
            60,
            "Interview: Acme (Backend Engineer)",
            [Person("Dr. Amelia Chen", "amelia@acme.example"), RAJ],
            description="Notizen: they ship weekly\n\nAmelia: the billing migration\n",
        )
    )
    world.tick(at(hours=1))
    chen = world.drafts_to("amelia@")[0].get_body(("plain",)).get_content()
    patel = world.drafts_to("raj@")[0].get_body(("plain",)).get_content()
    assert chen.startswith(amelia + "\n") and patel.startswith(raj + "\n")
    assert "the billing migration" in chen and "the billing migration" not in patel
