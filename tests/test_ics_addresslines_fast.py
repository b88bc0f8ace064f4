"""``addresslines.mend`` walks a calendar's lines only when an address line may need mending.

Nearly every file has none: one regular expression finds every ATTENDEE and ORGANIZER line
and each is checked as it stands. These tests hold the shortcut to the walk's answers where
the two could part: a broken line whose name is folded, indented or in small letters."""

from __future__ import annotations

import pytest

from connectors.ics import addresslines

CLEAN = 'ATTENDEE;CN="Olga";PARTSTAT=ACCEPTED:mailto:olga@acme.example'
BROKEN = 'ATTENDEE;CN=Jane "JJ" Smith:mailto:jane@acme.example'


def calendar(*lines: str) -> str:
    body = "\r\n".join(lines)
    return (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@t\r\nDTSTART:20260301T100000Z\r\n"
        f"SUMMARY:Interview\r\n{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def walked(text: str) -> tuple[str, list]:
    """What the line-by-line walk answers (the shortcut turned off)."""
    shortcut = addresslines._all_untouched
    addresslines._all_untouched = lambda text: False
    try:
        return addresslines.mend(text, "cal.ics")
    finally:
        addresslines._all_untouched = shortcut


@pytest.mark.parametrize(
    "lines",
    [
        [CLEAN],
        [CLEAN, BROKEN],
        [CLEAN, "ATTEN\r\n DEE" + BROKEN[8:]],  # the name folded: the walk unfolds it
        [CLEAN, BROKEN[:30] + "\r\n " + BROKEN[30:]],
        [CLEAN, "attendee" + BROKEN[8:]],
        [CLEAN, "ORGANIZER;X-KEY=a:b;CN=Jane:mailto:jane@acme.example"],
        [CLEAN, "ATTENDEE;CN=Jane"],
    ],
    ids=["clean", "broken", "folded-name", "folded", "lower-case", "colon", "no-address"],
)
def test_the_shortcut_answers_as_the_walk(lines: list[str]) -> None:
    text = calendar(*lines)
    assert addresslines.mend(text, "cal.ics") == walked(text)


def test_a_clean_calendar_is_not_walked() -> None:
    text = calendar(CLEAN, CLEAN.replace("olga", "omar"))
    assert addresslines._all_untouched(text)
    assert addresslines.mend(text, "cal.ics") == (text, [])


def test_a_folded_name_of_a_broken_line_is_mended() -> None:
    """Not vacuous: the folded name hides the line from the expression that finds them."""
    text = calendar(CLEAN, "ATTEN\r\n DEE" + BROKEN[8:])
    mended, problems = addresslines.mend(text, "cal.ics")
    assert mended != text and len(problems) == 1 and problems[0].warning
