"""Business days in the user's zone: DST, holidays, year end, unusual weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.businessdays import add_business_days, business_days_between, is_business_day
from daemon.config import CalendarDays
from daemon.errors import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SAT_SUN = CalendarDays(holidays=frozenset(), weekend=frozenset({6, 7}))
FRI_SAT = CalendarDays(holidays=frozenset(), weekend=frozenset({5, 6}))


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def test_is_business_day_weekend_and_holiday() -> None:
    days = CalendarDays(holidays=frozenset({date(2026, 12, 24)}), weekend=frozenset({6, 7}))
    assert is_business_day(date(2026, 12, 23), days)  # Wednesday
    assert not is_business_day(date(2026, 12, 24), days)  # holiday (Thursday)
    assert not is_business_day(date(2026, 12, 26), days)  # Saturday
    assert not is_business_day(date(2026, 12, 27), days)  # Sunday
    assert is_business_day(date(2026, 12, 27), FRI_SAT)  # Sunday is a workday there
    assert not is_business_day(date(2026, 12, 25), FRI_SAT)  # Friday is not


def test_plain_week_and_result_is_utc() -> None:
    start = local(BERLIN, 2026, 6, 15, 14, 30)  # Monday 14:30 CEST
    due = add_business_days(start, 3, "Europe/Berlin", SAT_SUN)
    assert due.tzinfo is UTC
    assert due == local(BERLIN, 2026, 6, 18, 14, 30)
    assert due.astimezone(BERLIN).hour == 14


def test_skips_the_weekend() -> None:
    friday = local(BERLIN, 2026, 6, 19, 9, 0)
    assert add_business_days(friday, 1, "Europe/Berlin", SAT_SUN) == local(BERLIN, 2026, 6, 22, 9)
    assert add_business_days(friday, 5, "Europe/Berlin", SAT_SUN) == local(BERLIN, 2026, 6, 26, 9)


def test_start_on_weekend_counts_from_next_business_day() -> None:
    saturday = local(BERLIN, 2026, 6, 20, 10, 0)
    # Monday is the first business day; one business day after it is Tuesday.
    tuesday, monday = local(BERLIN, 2026, 6, 23, 10), local(BERLIN, 2026, 6, 22, 10)
    assert add_business_days(saturday, 1, "Europe/Berlin", SAT_SUN) == tuesday
    assert add_business_days(saturday, 0, "Europe/Berlin", SAT_SUN) == monday


def test_zero_on_a_business_day_is_the_start_itself() -> None:
    start = local(NEW_YORK, 2026, 6, 16, 11, 15, 7)
    assert add_business_days(start, 0, "America/New_York", SAT_SUN) == start


def test_berlin_spring_forward_keeps_wall_clock() -> None:
    # Clocks go forward on Sunday 2026-03-29 (CET +01 -> CEST +02).
    friday = local(BERLIN, 2026, 3, 27, 9, 0)
    due = add_business_days(friday, 1, "Europe/Berlin", SAT_SUN)
    assert due == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "09:00 CEST"
    assert due - friday == timedelta(days=3, hours=-1)


def test_berlin_fall_back_keeps_wall_clock() -> None:
    # Clocks go back on Sunday 2026-10-25 (CEST +02 -> CET +01).
    friday = local(BERLIN, 2026, 10, 23, 9, 0)
    due = add_business_days(friday, 1, "Europe/Berlin", SAT_SUN)
    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "09:00 CET"


def test_new_york_dst_changes() -> None:
    # US clocks go forward on 2026-03-08 and back on 2026-11-01 (both Sundays).
    friday = local(NEW_YORK, 2026, 3, 6, 9, 0)  # EST, 14:00 UTC
    assert add_business_days(friday, 1, "America/New_York", SAT_SUN) == datetime(
        2026, 3, 9, 13, 0, tzinfo=UTC
    )  # 09:00 EDT
    friday = local(NEW_YORK, 2026, 10, 30, 9, 0)  # EDT, 13:00 UTC
    assert add_business_days(friday, 1, "America/New_York", SAT_SUN) == datetime(
        2026, 11, 2, 14, 0, tzinfo=UTC
    )  # 09:00 EST


def test_nonexistent_local_time_is_shifted_forward() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29; with a Sunday-only weekend that day is a
    # business day, so the 02:30 wall time must become 03:30 CEST.
    sunday_off = CalendarDays(holidays=frozenset(), weekend=frozenset({7}))
    start = local(BERLIN, 2026, 3, 27, 2, 30)  # Friday 02:30 CET
    due = add_business_days(start, 1, "Europe/Berlin", sunday_off)  # Saturday 28th
    assert due.astimezone(BERLIN) == local(BERLIN, 2026, 3, 28, 2, 30)
    every_day = CalendarDays(holidays=frozenset(), weekend=frozenset())
    due = add_business_days(local(BERLIN, 2026, 3, 28, 2, 30), 1, "Europe/Berlin", every_day)
    assert due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert due.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"


def test_ambiguous_local_time_means_first_occurrence() -> None:
    every_day = CalendarDays(holidays=frozenset(), weekend=frozenset())
    start = local(BERLIN, 2026, 10, 24, 2, 30)  # CEST
    due = add_business_days(start, 1, "Europe/Berlin", every_day)  # 02:30 happens twice on 25th
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)


def test_holidays_are_skipped_across_year_end() -> None:
    days = CalendarDays(
        holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 31),
                            date(2027, 1, 1)}),
        weekend=frozenset({6, 7}),
    )  # fmt: skip
    start = local(BERLIN, 2026, 12, 23, 16, 0)  # Wednesday
    # 24, 25 holidays; 26, 27 weekend; 28, 29, 30 business; 31, 1 holidays; 2, 3 weekend; 4.
    assert add_business_days(start, 1, "Europe/Berlin", days) == local(BERLIN, 2026, 12, 28, 16)
    assert add_business_days(start, 3, "Europe/Berlin", days) == local(BERLIN, 2026, 12, 30, 16)
    assert add_business_days(start, 4, "Europe/Berlin", days) == local(BERLIN, 2027, 1, 4, 16)


def test_friday_saturday_weekend() -> None:
    riyadh = ZoneInfo("Asia/Riyadh")
    thursday = local(riyadh, 2026, 6, 18, 10, 0)
    assert add_business_days(thursday, 1, "Asia/Riyadh", FRI_SAT) == local(riyadh, 2026, 6, 21, 10)
    friday = local(riyadh, 2026, 6, 19, 10, 0)
    assert add_business_days(friday, 1, "Asia/Riyadh", FRI_SAT) == local(riyadh, 2026, 6, 22, 10)


def test_the_local_date_counts_not_the_utc_date() -> None:
    # 23:30 on Friday in New York is already Saturday in UTC: still counted from Friday.
    start = local(NEW_YORK, 2026, 6, 19, 23, 30)
    due = add_business_days(start, 1, "America/New_York", SAT_SUN)
    assert due.astimezone(NEW_YORK) == local(NEW_YORK, 2026, 6, 22, 23, 30)


def test_between_is_the_inverse_of_add() -> None:
    start = local(BERLIN, 2026, 3, 26, 9, 0)  # Thursday before the DST change
    for n in range(0, 12):
        due = add_business_days(start, n, "Europe/Berlin", SAT_SUN)
        assert business_days_between(start, due, "Europe/Berlin", SAT_SUN) == n
        just_before = due - timedelta(seconds=1)
        assert business_days_between(start, just_before, "Europe/Berlin", SAT_SUN) == max(n - 1, 0)


def test_between_edge_cases() -> None:
    monday = local(BERLIN, 2026, 6, 15, 9, 0)
    assert business_days_between(monday, monday, "Europe/Berlin", SAT_SUN) == 0
    assert business_days_between(monday, monday - timedelta(days=3), "Europe/Berlin", SAT_SUN) == 0
    # Monday 09:00 to Tuesday 08:59 is not yet a whole business day.
    tue = local(BERLIN, 2026, 6, 16, 8, 59)
    assert business_days_between(monday, tue, "Europe/Berlin", SAT_SUN) == 0
    tue_nine = tue.replace(minute=0, hour=9)
    assert business_days_between(monday, tue_nine, "Europe/Berlin", SAT_SUN) == 1
    # A weekend in between does not count.
    next_monday = local(BERLIN, 2026, 6, 22, 9, 0)
    assert business_days_between(monday, next_monday, "Europe/Berlin", SAT_SUN) == 5


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    n=st.integers(min_value=0, max_value=30),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"]),
    weekend=st.sampled_from([frozenset({6, 7}), frozenset({5, 6}), frozenset({7})]),
)
def test_properties(start: datetime, n: int, zone: str, weekend: frozenset[int]) -> None:
    days = CalendarDays(holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}), weekend=weekend)
    due = add_business_days(start, n, zone, days)
    assert due >= start
    local_due = due.astimezone(ZoneInfo(zone))
    assert is_business_day(local_due.date(), days)
    # Same wall-clock time unless it fell into a DST gap (then shifted forward by the gap).
    wall_start = start.astimezone(ZoneInfo(zone)).time().replace(fold=0)
    shift = datetime.combine(local_due.date(), local_due.time()) - datetime.combine(
        local_due.date(), wall_start
    )
    assert shift in (timedelta(0), timedelta(hours=1), timedelta(minutes=30))
    assert business_days_between(start, due, zone, days) == n


def test_errors() -> None:
    start = local(BERLIN, 2026, 6, 15, 9, 0)
    with pytest.raises(ValueError, match="expected a number of business days >= 0, got -1"):
        add_business_days(start, -1, "Europe/Berlin", SAT_SUN)
    with pytest.raises(ValueError, match="expected a timezone-aware datetime"):
        add_business_days(datetime(2026, 6, 15, 9), 1, "Europe/Berlin", SAT_SUN)
    with pytest.raises(ConfigError, match="time zone 'Mars/Olympus': expected an IANA name"):
        add_business_days(start, 1, "Mars/Olympus", SAT_SUN)
    never = CalendarDays(holidays=frozenset(), weekend=frozenset(range(1, 8)))
    expected = r"\[days\]: no business day within 3700 days of 2026-06-15; expected at least one"
    with pytest.raises(ConfigError, match=expected):
        add_business_days(start, 1, "Europe/Berlin", never)
