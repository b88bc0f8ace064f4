"""Google Calendar source against the local fake: sync tokens, paging, 410, mapping, calendars."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from daemon.errors import ConnectorError, CursorExpired
from daemon.protocols import AttendeeKind, Response, Role
from tests.fakes.google_env import google_env

WINDOW = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path) as env:
        yield env


def meeting(event_id: str, day: int, title: str = "Interview", **extra):
    return {
        "id": event_id,
        "summary": title,
        "start": {"dateTime": f"2026-03-{day:02d}T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": f"2026-03-{day:02d}T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        **extra,
    }


def test_first_sync_pages_until_the_sync_token_and_keeps_only_meetings(env):
    for day in range(3, 8):
        env.state.put_event(meeting(f"ev{day}", day))
    env.state.put_event(
        meeting("late", 20)
        | {
            "start": {"dateTime": "2026-09-01T10:00:00Z"},
            "end": {"dateTime": "2026-09-01T11:00:00Z"},
        }
    )
    env.state.put_event(meeting("focus", 9, "Focus", eventType="focusTime"))
    env.state.put_event(meeting("ooo", 10, "Away", eventType="outOfOffice"))
    env.state.max_page = 2

    changes = env.calendar().changes(None, WINDOW)

    assert sorted(e.id for e in changes.events) == [f"primary/ev{d}" for d in range(3, 8)]
    assert changes.complete and not changes.removed and not changes.problems
    calls = env.state.api_requests()
    assert [c.method for c in calls] == ["calendar.events.list"] * 4  # 7 in window, 2 per page
    first = calls[0].query
    assert first["singleEvents"] == ["true"]
    assert first["timeMin"] == ["2026-02-01T00:00:00Z"]
    assert first["timeMax"] == ["2026-06-08T00:00:00Z"]  # a week of slack past the window
    assert all("pageToken" in c.query for c in calls[1:])
    assert set(json.loads(changes.cursor)["tokens"]) == {"primary"}


def test_unchanged_calendar_costs_one_small_request(env):
    env.state.put_event(meeting("a", 3))
    calendar = env.calendar()
    cursor = calendar.changes(None, WINDOW).cursor
    mark = len(env.state.requests)

    again = calendar.changes(cursor, WINDOW)

    calls = env.state.api_requests(mark)
    assert len(calls) == 1
    assert set(calls[0].query) == {"syncToken", "singleEvents", "alt"}
    assert calls[0].query["singleEvents"] == ["true"]
    assert again.events == [] and again.removed == [] and not again.complete


def test_rescheduled_and_cancelled_events_arrive_incrementally(env):
    env.state.put_event(meeting("moved", 3))
    env.state.put_event(meeting("dropped", 4))
    calendar = env.calendar()
    cursor = calendar.changes(None, WINDOW).cursor

    env.state.put_event(meeting("moved", 12, "Interview (new time)"))
    env.state.cancel_event("dropped")
    changes = calendar.changes(cursor, WINDOW)

    assert [e.id for e in changes.events] == ["primary/moved"]
    assert changes.events[0].start == datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    assert changes.events[0].title == "Interview (new time)"
    assert changes.removed == ["primary/dropped"]
    assert not changes.complete


def test_expired_sync_token_means_a_full_resync_without_duplicates(env):
    env.state.put_event(meeting("a", 3))
    env.state.put_event(meeting("b", 4))
    calendar = env.calendar()
    cursor = calendar.changes(None, WINDOW).cursor
    env.state.expire_sync_tokens()

    with pytest.raises(CursorExpired) as err:
        calendar.changes(cursor, WINDOW)
    assert str(err.value) == (
        "the sync token of Google calendar 'primary' (account 'personal') expired (HTTP 410); "
        "a full resync follows"
    )
    again = calendar.changes(None, WINDOW)
    assert again.complete
    assert sorted(e.id for e in again.events) == ["primary/a", "primary/b"]
    assert calendar.changes(again.cursor, WINDOW).events == []


def test_google_fields_map_to_the_event(env):
    env.state.put_event(
        {
            "id": "full_20260303T090000Z",
            "recurringEventId": "full",
            "summary": "Onsite – Ünïcode",
            "description": "Panel",
            "location": "HQ",
            "colorId": "11",
            "start": {"dateTime": "2026-03-03T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2026-03-03T12:00:00+01:00", "timeZone": "Europe/Berlin"},
            "organizer": {"email": "Recruiter@Acme.com", "displayName": "Rita"},
            "extendedProperties": {"private": {"followupd": "on"}},
            "attendees": [
                {"email": "me@example.com", "self": True, "responseStatus": "accepted"},
                {"email": "recruiter@acme.com", "organizer": True, "responseStatus": "accepted"},
                {"email": "bob@acme.com", "optional": True, "responseStatus": "tentative"},
                {"email": "room-4@resource.calendar.google.com", "resource": True},
                {"email": "eve@acme.com", "responseStatus": "declined"},
            ],
        }
    )
    env.state.put_event(
        {
            "id": "allday",
            "summary": "Take-home due",
            "start": {"date": "2026-03-04"},
            "end": {"date": "2026-03-05"},
            "extendedProperties": {"private": {"followupd": "off"}},
        }
    )
    events = {e.id: e for e in env.calendar().changes(None, WINDOW).events}

    event = events["primary/full_20260303T090000Z"]
    assert event.series_id == "primary/full"
    assert (event.title, event.description, event.location) == ("Onsite – Ünïcode", "Panel", "HQ")
    assert event.tags == {"color:11", "event-type:default", "followupd:on"}
    assert event.organizer.email == "recruiter@acme.com" and event.organizer.is_organizer
    people = {a.email: a for a in event.attendees}
    assert (
        people["me@example.com"].is_self and people["me@example.com"].response == Response.ACCEPTED
    )
    assert people["recruiter@acme.com"].role == Role.CHAIR
    assert people["bob@acme.com"].role == Role.OPTIONAL
    assert people["bob@acme.com"].response == Response.TENTATIVE
    assert people["room-4@resource.calendar.google.com"].kind == AttendeeKind.RESOURCE
    assert people["eve@acme.com"].response == Response.DECLINED
    assert event.timezone == "Europe/Berlin"
    day = events["primary/allday"]
    assert day.all_day and day.start == datetime(2026, 3, 4, tzinfo=day.start.tzinfo)
    assert str(day.start.tzinfo) == "Europe/Berlin" and "followupd:off" in day.tags


def test_a_broken_event_is_a_problem_not_a_crash(env):
    calendar = env.calendar()
    cursor = calendar.changes(None, WINDOW).cursor
    env.state.put_event({"id": "broken", "summary": "No time", "start": {"dateTime": "soon"}})
    env.state.put_event(meeting("fine", 5))

    changes = calendar.changes(cursor, WINDOW)

    assert [e.id for e in changes.events] == ["primary/fine"]
    assert [(p.item, p.message) for p in changes.problems] == [
        (
            "Google Calendar 'primary' event broken",
            "expected 'start.dateTime' in RFC 3339 form, got 'soon'",
        )
    ]


def test_several_calendars_by_id_and_name_with_one_token_each(env):
    team = "jobs123@group.calendar.google.com"
    env.state.add_calendar(team, "Job hunt")
    env.state.put_event(meeting("mine", 3))
    env.state.put_event(meeting("shared", 4), calendar=team)
    calendar = env.calendar(["primary", "job hunt"])

    first = calendar.changes(None, WINDOW)

    assert sorted(e.id for e in first.events) == sorted(["primary/mine", f"{team}/shared"])
    assert {e.calendar for e in first.events} == {"primary", "job hunt"}
    assert set(json.loads(first.cursor)["tokens"]) == {"primary", team}
    assert first.complete
    mark = len(env.state.requests)
    env.state.move_event("mine", "primary", team)  # events.move keeps the id
    moved = calendar.changes(first.cursor, WINDOW)
    assert moved.removed == ["primary/mine"]
    assert [e.id for e in moved.events] == [f"{team}/mine"]
    assert [c.method for c in env.state.api_requests(mark)] == ["calendar.events.list"] * 2


def test_a_calendar_name_that_does_not_exist_is_named_in_the_error(env):
    with pytest.raises(ConnectorError) as err:
        env.calendar(["primary", "Jobs"]).changes(None, WINDOW)
    assert str(err.value) == (
        "account 'personal': no Google calendar named 'Jobs' (calendars: me@example.com)"
    )


def test_the_window_moving_past_the_synced_span_triggers_a_full_sync(env):
    calendar = env.calendar()
    cursor = calendar.changes(None, WINDOW).cursor
    env.state.put_event(
        meeting("far", 3)
        | {
            "start": {"dateTime": "2026-06-20T10:00:00Z"},
            "end": {"dateTime": "2026-06-20T11:00:00Z"},
        }
    )
    later = (WINDOW[0] + timedelta(days=20), WINDOW[1] + timedelta(days=20))

    changes = calendar.changes(cursor, later)

    assert changes.complete and [e.id for e in changes.events] == ["primary/far"]
    assert "timeMin" in env.state.api_requests()[-1].query


def test_an_unreadable_cursor_asks_for_a_resync(env):
    with pytest.raises(CursorExpired) as err:
        env.calendar().changes("not json", WINDOW)
    assert str(err.value) == (
        "the stored Google Calendar cursor is not one this version understands; "
        "a full resync follows"
    )


def test_check_names_each_calendar(env):
    env.state.add_calendar("jobs123@group.calendar.google.com", "Job hunt")
    line = env.calendar(["primary", "Job hunt"]).check()
    assert line == ("Google Calendar: 2 calendar(s) readable: primary (me@example.com), Job hunt")
