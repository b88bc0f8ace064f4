"""The user's notes in an event description: routed to people, boilerplate left out."""

from __future__ import annotations

import pytest

from daemon.detection import Person
from daemon.writing.notes import (
    MAX_NOTE_CHARS,
    MAX_NOTES,
    NOTE_HEADINGS,
    Notes,
    html_to_text,
    name_keys,
    name_words,
    parse_notes,
)
from tests.conftest import corpus_files

JANE = Person("jane.smith@acme.com", "Jane Smith")
BOB = Person("bob@acme.com", "Bob Lee")
NONAME = Person("x7@acme.com", None)
PEOPLE = [JANE, BOB, NONAME]

GOOGLE_MEET = """\
-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-
Join with Google Meet: https://meet.google.com/abc-defg-hij
Or dial: (US) +1 650-555-0123 PIN: 123456789#
More phone numbers: https://tel.meet/abc-defg-hij?pin=123
Jane: this line is inside the Meet block and must not count

Learn more about Meet at: https://support.google.com/a/users/answer/9282720
Please do not edit this section.
-::~:~::~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~:~::~:~::-
"""

ZOOM = """\
Join Zoom Meeting
https://us02web.zoom.us/j/81234567890?pwd=abc

Meeting ID: 812 3456 7890
Passcode: 424242
One tap mobile
+16465588656,,81234567890#,,,,*424242# US (New York)
+13017158592,,81234567890#,,,,*424242# US (Washington DC)

Dial by your location
        +1 646 558 8656 US (New York)
Find your local number: https://us02web.zoom.us/u/kabc
"""

TEAMS = """\
________________________________________________________________________________
Microsoft Teams meeting
Join on your computer, mobile app or room device
Click here to join the meeting<https://teams.microsoft.com/l/meetup-join/19%3ameeting>
Meeting ID: 123 456 789 012
Passcode: aBcDeF
Bob: inside the Teams block, ignored
Learn More<https://aka.ms/JoinTeamsMeeting> | Meeting options<https://teams.microsoft.com/x>
________________________________________________________________________________
"""


def test_lines_go_to_the_named_interviewer() -> None:
    description = (
        "Jane: talked about the migration to Kafka\n"
        "Jane Smith - asked about on-call\n"
        "bob@acme.com: the team is hiring two more people\n"
        "x7@acme.com: unnamed but addressed\n"
        "Smith: last names work when unique\n"
    )
    notes = parse_notes(description, PEOPLE)
    assert notes.by_person == {
        "jane.smith@acme.com": (
            "talked about the migration to Kafka",
            "asked about on-call",
            "last names work when unique",
        ),
        "bob@acme.com": ("the team is hiring two more people",),
        "x7@acme.com": ("unnamed but addressed",),
    }
    assert notes.general == ()


def test_notes_block_is_general_until_a_blank_line() -> None:
    description = (
        "Hi Alex, looking forward to our chat! (written by the recruiter)\n"
        "\n"
        "Notes: great culture\n"
        "they ship weekly\n"
        "- remote friendly\n"
        "\n"
        "This line is after the blank line and is ignored.\n"
    )
    notes = parse_notes(description, PEOPLE)
    assert notes.general == ("great culture", "they ship weekly", "remote friendly")
    assert notes.by_person == {}


def test_a_person_heading_opens_a_block_for_that_person() -> None:
    description = "Bob:\n- loves Rust\n* runs the platform team\n\nunrelated\n"
    assert parse_notes(description, PEOPLE).by_person == {
        "bob@acme.com": ("loves Rust", "runs the platform team")
    }


def test_first_name_only_when_unambiguous() -> None:
    twins = [Person("jane.a@acme.com", "Jane Austen"), Person("jane.d@acme.com", "Jane Doe")]
    notes = parse_notes("Jane: who is this?\nJane Doe: the Doe one\n", twins)
    assert notes.by_person == {"jane.d@acme.com": ("the Doe one",)}
    # Neither Jane gets it (it may be the other one's), but the user wrote it: a general note.
    assert notes.general == ("who is this?",)


def test_unknown_names_and_free_text_are_ignored() -> None:
    description = "Agenda: intro, system design\nLocation: Building 5\nCarol: not an interviewer\n"
    assert parse_notes(description, PEOPLE) == Notes()


def test_a_job_title_after_a_name_is_not_a_note() -> None:
    description = "Jane Smith - Engineering Manager\nBob Lee - Staff Engineer\nBob: likes Go\n"
    assert parse_notes(description, PEOPLE).by_person == {"bob@acme.com": ("likes Go",)}


@pytest.mark.parametrize("boilerplate", [GOOGLE_MEET, ZOOM, TEAMS])
def test_meeting_boilerplate_is_ignored(boilerplate: str) -> None:
    description = f"Notes: asked about observability\n\n{boilerplate}\nJane: the Kafka migration\n"
    notes = parse_notes(description, PEOPLE)
    assert notes.general == ("asked about observability",)
    assert notes.by_person == {"jane.smith@acme.com": ("the Kafka migration",)}


def test_boilerplate_alone_gives_nothing() -> None:
    for text in (GOOGLE_MEET, ZOOM, TEAMS):
        assert parse_notes("Notes:\n" + text, PEOPLE) == Notes()


def test_tags_and_urls_are_removed_from_notes() -> None:
    description = "Jane: #followup the C# rewrite, see https://acme.com/blog #nofollowup-ish\n"
    notes = parse_notes(description, PEOPLE)
    assert notes.by_person == {"jane.smith@acme.com": ("the C# rewrite, see",)}


def test_html_description() -> None:
    description = (
        "<p>Notes:<br>Jane &amp; Bob were <b>great</b></p>"
        "<p>Jane: Kafka &lt;3</p>"
        "<ul><li>Bob: the <i>platform</i> team</li></ul>"
        "<script>Jane: evil()</script><style>p{}</style>"
        '<p><a href="https://zoom.us/j/1">https://zoom.us/j/1</a></p>'
    )
    notes = parse_notes(description, PEOPLE)
    assert notes.general == ("Jane & Bob were great",)
    assert notes.by_person == {
        "jane.smith@acme.com": ("Kafka <3",),
        "bob@acme.com": ("the platform team",),
    }


def test_html_to_text_leaves_plain_text_alone() -> None:
    assert html_to_text("a < b & c > d\nnext") == "a < b & c > d\nnext"
    assert html_to_text("one<br>two<div>three</div>") == "one\ntwo\nthree\n"


def test_outlook_crlf_and_nbsp() -> None:
    description = "Notes:\u00a0fine\r\nsecond\r\n\r\nJane:\u00a0hello\r\n"
    notes = parse_notes(description, PEOPLE)
    assert notes.general == ("fine", "second")
    assert notes.by_person == {"jane.smith@acme.com": ("hello",)}


def test_bounded_count_and_length() -> None:
    many = "\n".join(f"Jane: note number {i}" for i in range(50))
    assert len(parse_notes(many, PEOPLE).by_person["jane.smith@acme.com"]) == MAX_NOTES
    long = "Jane: " + "word " * 500
    (note,) = parse_notes(long, PEOPLE).by_person["jane.smith@acme.com"]
    assert len(note) <= MAX_NOTE_CHARS
    assert note.endswith("word…")


def test_huge_description_is_fast() -> None:
    import time

    text = ("<div>" + "x" * 1000 + "</div>\n") * 10_000
    started = time.perf_counter()
    parse_notes(text, PEOPLE)
    assert time.perf_counter() - started < 2


def test_for_person_puts_own_notes_first() -> None:
    notes = Notes(general=("g",), by_person={"jane.smith@acme.com": ("j",)})
    assert notes.for_person("Jane.Smith@acme.com") == ("j", "g")
    assert notes.for_person("bob@acme.com") == ("g",)


def test_corpus_descriptions_yield_no_boilerplate(corpus_dir: object) -> None:
    icalendar = pytest.importorskip("icalendar")
    seen = 0
    for path in corpus_files("ics"):
        try:
            calendar = icalendar.Calendar.from_ical(path.read_bytes())
        except Exception:  # broken files are the ics connector's business
            continue
        for component in calendar.walk("VEVENT"):
            description = str(component.get("DESCRIPTION", ""))
            if not description:
                continue
            seen += 1
            # Whatever the description, treating it all as a notes block must not let links,
            # dial-in numbers or join instructions through.
            dense = "\n".join(line for line in description.splitlines() if line.strip())
            notes = parse_notes("Notes:\n" + dense, PEOPLE)
            for note in notes.general:
                assert "http" not in note and "Meeting ID" not in note, (path.name, note)
                assert not note.lower().startswith(("join", "passcode", "liity")), note
    assert seen >= 3


# ------------------------------------------------------------------------------------------
# Names as calendars write them, and as users type them
# ------------------------------------------------------------------------------------------

CHEN = Person("amelia.chen@acme.com", "Dr. Amelia Chen")
MUELLER = Person("j.mueller@acme.de", "Prof. Dr.-Ing. Jürgen Müller")
JUERGEN_ASCII = Person("juergen@acme.de", "Juergen Schmidt")
OBRIEN = Person("sob@acme.ie", "O'Brien, Seán")  # as some directories export it
BEETHOVEN = Person("lvb@acme.at", "Ludwig van Beethoven")
ANNE = Person("am@acme.fr", "Anne-Marie Dubois")
FRAU = Person("weber@acme.de", "Frau Katrin Weber")
RAJ = Person("raj@acme.in", "Mr. Raj Patel Jr.")
LI = Person("li@acme.cn", "李小龙")
MARIA = Person("maria@acme.ru", "Мария Иванова")
MOHAMMED = Person("m.ali@acme.ae", "محمد علي")
NAME_PEOPLE = [CHEN, MUELLER, JUERGEN_ASCII, OBRIEN, BEETHOVEN, ANNE, FRAU, RAJ, LI, MARIA,
               MOHAMMED, BOB]  # fmt: skip

# (the line the user wrote, who it is for): None when it names nobody on the panel.
NAME_LINES = [
    ("Amelia: the billing migration", CHEN),
    ("amelia: the billing migration", CHEN),
    ("AMELIA - the billing migration", CHEN),
    ("Chen: the billing migration", CHEN),
    ("Dr. Chen: the billing migration", CHEN),
    ("Dr Chen: the billing migration", CHEN),
    ("Amelia Chen: the billing migration", CHEN),
    ("Dr. Amelia Chen: the billing migration", CHEN),
    ("Ms. Chen - the billing migration", CHEN),  # another honorific than the calendar's
    ("Chen, Amelia: the billing migration", CHEN),
    ("amelia.chen@acme.com: the billing migration", CHEN),
    ("- Amelia: the billing migration", CHEN),
    ("**Amelia**: the billing migration", CHEN),
    ("Jürgen: the billing migration", MUELLER),  # one Jürgen with ü, one Juergen: strict wins
    ("Müller: the billing migration", MUELLER),
    ("Mueller: the billing migration", MUELLER),
    ("Muller: the billing migration", MUELLER),
    ("Herr Müller: the billing migration", MUELLER),
    ("Prof. Müller: the billing migration", MUELLER),
    ("Dr.-Ing. Müller - the billing migration", MUELLER),
    ("Schmidt: the billing migration", JUERGEN_ASCII),
    ("Seán: the billing migration", OBRIEN),
    ("Sean: the billing migration", OBRIEN),
    ("O'Brien: the billing migration", OBRIEN),
    ("obrien: the billing migration", OBRIEN),
    ("Sean O'Brien: the billing migration", OBRIEN),
    ("Ludwig: the billing migration", BEETHOVEN),
    ("van Beethoven: the billing migration", BEETHOVEN),
    ("Beethoven: the billing migration", BEETHOVEN),
    ("Anne-Marie: the billing migration", ANNE),
    ("Anne Marie: the billing migration", ANNE),
    ("Dubois: the billing migration", ANNE),
    ("Katrin: the billing migration", FRAU),
    ("Frau Weber: the billing migration", FRAU),
    ("Weber: the billing migration", FRAU),
    ("Raj: the billing migration", RAJ),
    ("Patel: the billing migration", RAJ),
    ("Mr Patel: the billing migration", RAJ),
    ("李小龙: the billing migration", LI),
    ("Мария: the billing migration", MARIA),
    ("мария иванова: the billing migration", MARIA),
    ("Иванова: the billing migration", MARIA),
    ("محمد: the billing migration", MOHAMMED),
    ("محمد علي: the billing migration", MOHAMMED),
    ("Bob: the billing migration", BOB),
    ("Bob Lee - the billing migration", BOB),
    # Not a person on this panel: not a note line.
    ("Carol: the billing migration", None),
    ("Dr.: the billing migration", None),
    ("Agenda: the billing migration", None),
    ("Amelia Smith: the billing migration", None),
]


@pytest.mark.parametrize(("line", "person"), NAME_LINES, ids=[line for line, _ in NAME_LINES])
def test_a_note_line_finds_its_person_however_the_name_is_written(
    line: str, person: Person | None
) -> None:
    notes = parse_notes(line + "\n", NAME_PEOPLE)
    if person is None:
        assert notes == Notes()
    else:
        assert notes.by_person == {person.email: ("the billing migration",)}
        assert notes.general == ()


def test_a_loose_umlaut_match_only_when_nothing_matches_strictly() -> None:
    michael = Person("michael@acme.com", "Michael Berg")
    michal = Person("michal@acme.cz", "Michal Novák")
    notes = parse_notes("Michal: Kotlin\nMichael: Rust\nNovak: Go\n", [michael, michal])
    assert notes.by_person == {"michal@acme.cz": ("Kotlin", "Go"), "michael@acme.com": ("Rust",)}
    juergen = [Person("j@acme.de", "Juergen Wolf")]
    assert parse_notes("Jürgen: the rollout\n", juergen).by_person == {
        "j@acme.de": ("the rollout",)
    }


@pytest.mark.parametrize(
    ("description", "general"),
    [
        ("Jane: the billing migration\n", ("the billing migration",)),
        ("Smith - asked about on-call\n", ("asked about on-call",)),  # two Smiths
        ("Jane:\n- the billing migration\n- on-call\n", ("the billing migration", "on-call")),
    ],
)
def test_a_name_two_interviewers_share_becomes_a_general_note(
    description: str, general: tuple[str, ...]
) -> None:
    panel = [
        Person("jane.smith@acme.com", "Dr. Jane Smith"),
        Person("jane.doe@acme.com", "Jane Doe"),
        Person("tom@acme.com", "Tom Smith"),
    ]
    notes = parse_notes(description, panel)
    assert notes.by_person == {}
    assert notes.general == general
    assert notes.for_person("tom@acme.com") == general  # general notes reach every draft


def test_first_name_of_one_is_surname_of_another() -> None:
    panel = [Person("a@acme.com", "Jordan Smith"), Person("b@acme.com", "Mike Jordan")]
    notes = parse_notes("Jordan: the data platform\nMike: Go\n", panel)
    assert notes.by_person == {"b@acme.com": ("Go",)}
    assert notes.general == ("the data platform",)


@pytest.mark.parametrize(
    "heading",
    ["Notes:", "notes :", "Note:", "My notes:", "Interview notes:", "Follow-up notes:",
     "Notizen:", "NOTIZEN:", "Notiz:", "Meine Notizen:", "Gesprächsnotizen:", "- Notizen:"],
)  # fmt: skip
def test_note_headings_of_every_shipped_language(heading: str) -> None:
    description = f"Bitte pünktlich sein.\n\n{heading} the billing migration\non-call\n\nignored\n"
    notes = parse_notes(description, PEOPLE)
    assert notes.general == ("the billing migration", "on-call")


def test_every_heading_in_the_table_is_recognised() -> None:
    for language, headings in NOTE_HEADINGS.items():
        for heading in headings:
            notes = parse_notes(f"{heading.title()}: x\n", PEOPLE)
            assert notes.general == ("x",), (language, heading)


def test_name_words_and_keys() -> None:
    assert name_words("Prof. Dr.-Ing. Jürgen Müller, PhD") == ["Jürgen", "Müller"]
    assert name_words("Dr.") == ["Dr"]  # a lone honorific stays: it names nobody
    strict, loose = name_keys(["Jürgen"])
    assert (strict, loose) == ("jurgen", ("juergen",))
    assert name_keys(["Juergen"]) == ("juergen", ("jurgen",))
