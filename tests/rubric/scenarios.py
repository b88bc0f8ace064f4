"""The scenario table of issue 10: situations as real calendars and real users write them.

Why declarative records: the same table feeds the bench (``bench/rubric.py``), the end-to-end
test and, once issue 10 is done, the test that every draft passes. Each :class:`Scenario` says
what the calendar holds (the title, the attendees' display names as calendars really write
them, the description with the user's notes) and what a careful human knows the draft should
say (company and role spelled right, or None where they cannot be known; the notes and how to
see each made it in; a decision date; the greeting's name parts). The runner turns the first
half into an .ics file, a config and CLI calls, the second half into
:class:`tests.rubric.checks.Expectation` values.

``style`` (first_name/formal) and ``language`` (en/de) are recorded even where the config
does not have those keys yet: the runner passes only what the current config supports, and the
checks judge the draft by what the scenario asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tests.rubric.checks import Decision, Note

ME = "alex@example.org"
HIGHLIGHTS = ("eight years of building payment systems", "leading incident reviews")


@dataclass(frozen=True)
class Contact:
    """A ``[contacts."address"]`` table the user wrote."""

    name: str | None = None
    title: str | None = None
    honorific: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class Person:
    """An attendee as the calendar writes them, and how a person would greet them.

    ``cn`` is the display name exactly as the invitation carries it (None: no CN at all).
    ``first``/``last``/``honorific``/``german`` are what the greeting should use (see
    :class:`tests.rubric.checks.Addressee`); ``drafted`` is False for attendees who must get
    no thank-you (rooms, groups, bots, declined, the user's own addresses).
    """

    cn: str | None
    email: str
    first: str | None = None
    last: str | None = None
    honorific: str | None = None
    german: str | None = None
    contact: Contact | None = None
    also: tuple[str, ...] = ()  # other given-name forms a greeting may use
    cutype: str = "INDIVIDUAL"
    partstat: str = "ACCEPTED"
    drafted: bool = True


@dataclass(frozen=True)
class Scenario:
    """One situation; see the module docstring for what each half is for."""

    name: str
    cls: str  # the class of situation (issue 10's list), for reading the report
    title: str
    people: tuple[Person, ...]
    company: str | None
    role: str | None
    description: str = ""
    notes: tuple[Note, ...] = ()  # notes written in the description, as the user meant them
    cli_notes: tuple[Note, ...] = ()  # notes given with `followupd note ID TEXT --about`
    decision: Decision | None = None
    decision_by_cli: bool = False  # the decision date is given with `note ID --decision-by`
    highlights: tuple[str, ...] = HIGHLIGHTS
    style: str = "first_name"
    language: str = "en"
    forbidden: tuple[str, ...] = ()
    organizer: int = 0  # index into people; -1: the user organised it
    send_thank_you: bool = False  # the user sends the thank-you(s), so an inquiry may follow
    # Instead, the user writes a message of their own in their mail client to people[i] (the
    # thank-you drafts stay unsent): the inquiry replies to that message, to that person.
    own_message_to: int | None = None
    inquiries: int = 0  # inquiry rounds to run: 0, 1 or 2
    minutes: int = 60
    extra_lines: tuple[str, ...] = field(default=())


def P(cn: str | None, email: str, first: str | None = None, last: str | None = None,
      **kw: object) -> Person:  # fmt: skip
    """A person whose greeting name parts default to the display name's first/last word."""
    if first is None and cn and "@" not in cn:
        words = cn.split()
        first, last = words[0], (words[-1] if len(words) > 1 else last)
    return Person(cn, email, first, last, **kw)  # type: ignore[arg-type]


def N(text: str, anchor: str, about: str | None = None, language: str = "en") -> Note:
    return Note(text=text, anchor=anchor, about=about, language=language)


ROOM = P("Room Everest (8)", "room-everest@acme.example", cutype="ROOM", drafted=False)
EOM = Decision(date(2026, 3, 31), ("end of the month", "end of month", "end of March"))

# The interview of every scenario: Tuesday 3 March 2026, 10:00 Berlin (see runner.START).
INTERVIEW_DAY = date(2026, 3, 3)

jane = P("Jane Smith", "jane.smith@acme.example")
raj = P("Raj Patel", "raj.patel@acme.example")
chen = P("Dr. Amelia Chen", "amelia.chen@globex.example", "Amelia", "Chen", honorific="Dr.",
         german="Frau")  # fmt: skip

SCENARIOS: tuple[Scenario, ...] = (
    # --- notes as people write them -------------------------------------------------------
    Scenario("noun-phrase-note", "notes", "Interview: Acme Corp (Senior Backend Engineer)",
             (jane,), "Acme Corp", "Senior Backend Engineer",
             "Jane: the billing migration",
             notes=(N("the billing migration", "billing migration", jane.email),)),
    Scenario("clause-note", "notes", "Interview with Globex (Data Engineer)",
             (P("Priya Raman", "priya.raman@globex.example"),), "Globex", "Data Engineer",
             "Priya: she is rebuilding the data platform on Snowflake",
             notes=(N("she is rebuilding the data platform on Snowflake", "data platform",
                      "priya.raman@globex.example"),)),
    Scenario("fragment-note", "notes", "Technical interview - Initech (Platform Engineer)",
             (P("Bill Lumbergh", "bill.lumbergh@initech.example"),), "Initech",
             "Platform Engineer", "Bill: Great chat about on-call, very friendly.",
             notes=(N("Great chat about on-call, very friendly.", "on-call",
                      "bill.lumbergh@initech.example"),)),
    Scenario("label-next-step", "notes", "Interview: Hooli (Site Reliability Engineer)",
             (P("Gavin Belson", "gavin@hooli.example"),), "Hooli", "Site Reliability Engineer",
             "Notes:\nnext step: take-home\nwe talked about their incident tooling",
             notes=(N("next step: take-home", "take-home"),
                    N("we talked about their incident tooling", "incident tooling"))),
    Scenario("decision-label", "decision date", "Interview - Umbrella (Data Engineer)",
             (P("Sam Lee", "sam.lee@umbrella.example"),), "Umbrella", "Data Engineer",
             "Notes:\ndecision: end of month\nthe ETL rewrite in Rust",
             notes=(N("the ETL rewrite in Rust", "ETL rewrite"),), decision=EOM),
    Scenario("decision-sentence", "decision date", "Interview: Stark Industries (Data Scientist)",
             (P("Pepper Potts", "pepper.potts@stark.example"),), "Stark Industries",
             "Data Scientist",
             "Notes: They expect a decision by March 20.\nPepper: the forecasting models",
             notes=(N("the forecasting models", "forecasting", "pepper.potts@stark.example"),),
             decision=Decision(date(2026, 3, 20), ("March 20",))),
    Scenario("decision-cli", "decision date", "Interview: Wayne Enterprises (Security Engineer)",
             (P("Lucius Fox", "lucius.fox@wayne.example"),), "Wayne Enterprises",
             "Security Engineer", "Lucius: the hardware security modules",
             notes=(N("the hardware security modules", "security modules",
                      "lucius.fox@wayne.example"),),
             decision=Decision(date(2026, 3, 20)), decision_by_cli=True),
    Scenario("question-note", "notes", "Interview: Cyberdyne (ML Engineer)",
             (P("Miles Dyson", "miles.dyson@cyberdyne.example"),), "Cyberdyne", "ML Engineer",
             "Miles: asked me why I moved from fintech to ML?",
             notes=(N("asked me why I moved from fintech to ML?", "fintech",
                      "miles.dyson@cyberdyne.example"),)),
    Scenario("exclamation-note", "notes", "Interview: Soylent (Frontend Engineer)",
             (P("Frank Thorn", "frank.thorn@soylent.example"),), "Soylent", "Frontend Engineer",
             "Frank: Loved the demo of their new design system!",
             notes=(N("Loved the demo of their new design system!", "design system",
                      "frank.thorn@soylent.example"),)),
    Scenario("follow-up-label", "notes", "Interview: Tyrell (Product Manager)",
             (P("Rachael Rosen", "rachael@tyrell.example"),), "Tyrell", "Product Manager",
             "Rachael: follow-up: send portfolio\nRachael: the replicant onboarding flow",
             notes=(N("follow-up: send portfolio", "portfolio", "rachael@tyrell.example"),
                    N("the replicant onboarding flow", "onboarding", "rachael@tyrell.example"))),
    Scenario("bullet-notes", "notes", "Interview: Acme Corp (Staff Engineer)",
             (raj,), "Acme Corp", "Staff Engineer",
             "Raj:\n- on-call rotation\n- Kafka consumer lag\n\nJoin: https://meet.example.com/x",
             notes=(N("on-call rotation", "on-call", raj.email),
                    N("Kafka consumer lag", "Kafka", raj.email))),
    Scenario("cli-note", "notes", "Interview: Vandelay Industries (Import Analyst)",
             (P("Art Vandelay", "art@vandelay.example"),), "Vandelay Industries",
             "Import Analyst", "",
             cli_notes=(N("the team's roadmap for 2027", "roadmap", "art@vandelay.example"),)),
    Scenario("long-note", "notes", "Interview: Gringotts (Backend Engineer)",
             (P("Griphook Goblin", "griphook@gringotts.example"),), "Gringotts",
             "Backend Engineer",
             "Griphook: we went through the whole vault ledger design, how they reconcile "
             "balances overnight, why they moved off the mainframe, what went wrong in the first "
             "migration attempt, how on-call works for the ledger team, and what they expect from "
             "a new senior engineer in the first ninety days",
             notes=(N("the vault ledger design", "ledger", "griphook@gringotts.example"),)),
    Scenario("note-by-surname", "notes", "Interview: Globex (Research Scientist)",
             (chen,), "Globex", "Research Scientist", "Chen: the ML platform roadmap",
             notes=(N("the ML platform roadmap", "ML platform", chen.email),)),
    Scenario("note-first-name-honorific", "honorific", "Interview: Globex (Applied Scientist)",
             (chen,), "Globex", "Applied Scientist", "Amelia: the ML platform roadmap",
             notes=(N("the ML platform roadmap", "ML platform", chen.email),)),
    Scenario("note-accent-insensitive", "notes", "Interview: Iberia Tech (Payments Engineer)",
             (P("José Álvarez", "jose.alvarez@iberiatech.example"),), "Iberia Tech",
             "Payments Engineer", "Jose: the payments API redesign",
             notes=(N("the payments API redesign", "payments API",
                      "jose.alvarez@iberiatech.example"),)),
    Scenario("html-description", "notes", "Interview: Acme Corp (SRE)",
             (jane,), "Acme Corp", "SRE",
             "<p>Notes:<br>Jane: the pager load after the outage</p>"
             "<p>-::~:~::~:~:~:~:~:~::-<br>Join with Google Meet: "
             "https://meet.google.com/abc-defg-hij<br>Join by phone +1 555-123-4567 PIN: 123456#"
             "<br>-::~:~::~:~:~:~:~:~::-</p>",
             notes=(N("the pager load after the outage", "pager load", jane.email),)),
    Scenario("zoom-block", "notes", "Interview - Initech (QA Engineer)",
             (P("Milton Waddams", "milton@initech.example"),), "Initech", "QA Engineer",
             "Milton: the test flakiness dashboard\n\nJoin Zoom Meeting\n"
             "https://zoom.us/j/123456789\nMeeting ID: 123 456 789\nPasscode: 4242\n"
             "Dial by your location\n+1 646 558 8656 US (New York)",
             notes=(N("the test flakiness dashboard", "flakiness", "milton@initech.example"),)),
    Scenario("teams-block", "notes", "Interview: Contoso (Cloud Engineer)",
             (P("Megan Bowen", "megan.bowen@contoso.example"),), "Contoso", "Cloud Engineer",
             "Megan: the Azure landing zones\n\n" + "_" * 40 + "\nMicrosoft Teams meeting\n"
             "Join on your computer or mobile app\nClick here to join the meeting\n"
             "Meeting ID: 245 123 987\nPasscode: xY7z\n" + "_" * 40,
             notes=(N("the Azure landing zones", "landing zones", "megan.bowen@contoso.example"),)),
    # --- no notes, highlights or not -----------------------------------------------------
    Scenario("no-notes", "no notes", "Interview: Acme Corp (Senior Backend Engineer)",
             (jane,), "Acme Corp", "Senior Backend Engineer"),
    Scenario("no-notes-no-highlights", "no fit configured",
             "Interview: Globex (Platform Engineer)",
             (P("Maria Garcia", "maria.garcia@globex.example"),), "Globex", "Platform Engineer",
             highlights=()),
    Scenario("highlights-with-and", "fit", "Interview: Initech (Payments Engineer)",
             (P("Peter Gibbons", "peter.gibbons@initech.example"),), "Initech",
             "Payments Engineer",
             highlights=("eight years of building payment systems and APIs",
                         "leading on-call and incident reviews")),
    Scenario("one-highlight", "fit", "Interview: Hooli (Backend Engineer)",
             (P("Jian Yang", "jian.yang@hooli.example"),), "Hooli", "Backend Engineer",
             highlights=("a decade of Go services",)),
    # --- display names as calendars write them -------------------------------------------
    Scenario("surname-comma", "display names", "Interview: Acme Corp (Data Analyst)",
             (P("Smith, Jane", "jane.smith@acme.example", "Jane", "Smith"),), "Acme Corp",
             "Data Analyst"),
    Scenario("all-caps", "display names", "Interview: Acme Corp (Data Analyst)",
             (P("JANE SMITH", "jane.smith@acme.example", "Jane", "Smith"),), "Acme Corp",
             "Data Analyst"),
    Scenario("address-as-name", "display names", "Interview: Initech (Support Engineer)",
             (P("j.doe@initech.example", "j.doe@initech.example", None, None),), "Initech",
             "Support Engineer"),
    Scenario("no-display-name", "display names", "Interview: Initech (Support Engineer)",
             (P(None, "tmiller@initech.example", None, None),), "Initech", "Support Engineer"),
    Scenario("name-equals-local-part", "display names", "Interview: Fabrikam (Data Engineer)",
             (P("marco", "marco@fabrikam.example", "Marco", None),), "Fabrikam", "Data Engineer"),
    Scenario("pronouns-in-name", "display names", "Interview: Hooli (Designer)",
             (P("Sam Rivera (they/them)", "sam.rivera@hooli.example", "Sam", "Rivera"),),
             "Hooli", "Designer"),
    Scenario("phd-suffix", "display names", "Interview: Globex (Research Engineer)",
             (P("Priya Patel, PhD", "priya.patel@globex.example", "Priya", "Patel"),),
             "Globex", "Research Engineer"),
    Scenario("nickname-quoted", "display names", "Interview: Initech (Data Engineer)",
             (P('Robert "Bob" Slydell', "bob.slydell@initech.example", "Robert", "Slydell",
                also=("Bob",)),),
             "Initech", "Data Engineer"),
    Scenario("chinese-name", "names in many scripts", "Interview: Hooli (Backend Engineer)",
             (P("王伟", "wang.wei@hooli.example", "王伟", None),), "Hooli", "Backend Engineer"),
    Scenario("arabic-name", "names in many scripts", "Interview: Globex (Cloud Architect)",
             (P("محمد العلي", "m.alali@globex.example", "محمد", "العلي"),), "Globex",
             "Cloud Architect"),
    Scenario("cyrillic-name", "names in many scripts", "Interview: Initech (QA Lead)",
             (P("Ольга Иванова", "olga.ivanova@initech.example"),), "Initech", "QA Lead"),
    Scenario("accented-name", "names in many scripts", "Interview: Fabrikam (Data Engineer)",
             (P("Zoë Ørsted-Kjær", "zoe@fabrikam.example"),), "Fabrikam", "Data Engineer"),
    Scenario("name-from-contacts", "display names", "Interview: Acme Corp (Data Analyst)",
             (P("J. Smith", "jsmith@acme.example", "Jennifer", "Smith",
                contact=Contact(name="Jennifer Smith")),), "Acme Corp", "Data Analyst"),
    # --- salutation styles and titles ----------------------------------------------------
    Scenario("formal-dr", "salutation: formal", "Interview: Globex (Research Scientist)",
             (chen,), "Globex", "Research Scientist", style="formal"),
    Scenario("formal-contacts-honorific", "salutation: formal",
             "Interview: Umbrella (Engineering Manager)",
             (P("Sarah Johnson", "sarah.johnson@umbrella.example", honorific="Ms.",
                contact=Contact(honorific="Ms.", title="VP Engineering")),),
             "Umbrella", "Engineering Manager", style="formal"),
    Scenario("formal-no-honorific", "salutation: formal", "Interview: Initech (Backend Engineer)",
             (P("Tom Becker", "tom.becker@initech.example"),), "Initech", "Backend Engineer",
             style="formal"),
    Scenario("formal-particle", "salutation: formal", "Interview: Wayne Enterprises (Composer)",
             (P("Ludwig van Beethoven", "ludwig@wayne.example", "Ludwig", "van Beethoven",
                honorific="Dr.", contact=Contact(honorific="Dr.")),),
             "Wayne Enterprises", "Composer", style="formal"),
    Scenario("title-in-contacts", "titles", "Interview: Massive Dynamic (Staff Engineer)",
             (P("Nina Sharp", "nina.sharp@massive.example",
                contact=Contact(title="VP Engineering")),),
             "Massive Dynamic", "Staff Engineer"),
    # --- panels of 2-5 -------------------------------------------------------------------
    Scenario("panel-2-no-notes", "panels", "Panel interview - Acme Corp (Platform Engineer)",
             (jane, raj), "Acme Corp", "Platform Engineer"),
    Scenario("panel-3-no-notes", "panels", "Onsite interview: Globex (Backend Engineer)",
             (P("Hank Scorpio", "hank@globex.example"), P("Mindy Simmons", "mindy@globex.example"),
              P("Frank Grimes", "frank@globex.example")), "Globex", "Backend Engineer"),
    Scenario("panel-3-some-notes", "panels", "Onsite interview: Initech (Backend Engineer)",
             (P("Bill Lumbergh", "bill@initech.example"), P("Peter Gibbons", "peter@initech.example"),
              P("Samir Nagheenanajar", "samir@initech.example")), "Initech", "Backend Engineer",
             "Notes:\nBill: the TPS report pipeline\nSamir: their fax-to-email gateway",
             notes=(N("the TPS report pipeline", "TPS report", "bill@initech.example"),
                    N("their fax-to-email gateway", "fax-to-email", "samir@initech.example"))),
    Scenario("panel-4-room-declined", "panels", "Final round: Acme Corp (Staff Engineer)",
             (jane, raj, P("Mei Lin", "mei.lin@acme.example"),
              P("Omar Haddad", "omar.haddad@acme.example", partstat="DECLINED", drafted=False),
              ROOM), "Acme Corp", "Staff Engineer"),
    Scenario("panel-4-titles-formal", "panels", "Final round - Umbrella (Security Engineer)",
             (P("Albert Wesker", "wesker@umbrella.example", honorific="Dr.",
                contact=Contact(honorific="Dr.", title="Chief Security Officer")),
              P("Jill Valentine", "jill@umbrella.example", contact=Contact(title="Red Team Lead")),
              P("Chris Redfield", "chris@umbrella.example"),
              P("Ada Wong", "ada.wong@umbrella.example")),
             "Umbrella", "Security Engineer", "Jill: the red-team exercise on the lab network",
             notes=(N("the red-team exercise on the lab network", "red-team",
                      "jill@umbrella.example"),), style="formal"),
    Scenario("panel-5-notes-block", "panels", "Onsite interview - Stark Industries (Architect)",
             (P("Tony Stark", "tony@stark.example"), P("Pepper Potts", "pepper@stark.example"),
              P("Happy Hogan", "happy@stark.example"), P("James Rhodes", "rhodey@stark.example"),
              P("Bruce Banner", "bruce@stark.example")), "Stark Industries", "Architect",
             "Notes:\nTony - the arc reactor telemetry\nPepper - budget planning for the team\n"
             "Happy: security reviews\nRhodes: the on-call handbook\nBruce: gamma-ray data",
             notes=(N("the arc reactor telemetry", "arc reactor", "tony@stark.example"),
                    N("budget planning for the team", "budget", "pepper@stark.example"),
                    N("security reviews", "security reviews", "happy@stark.example"),
                    N("the on-call handbook", "handbook", "rhodey@stark.example"),
                    N("gamma-ray data", "gamma-ray", "bruce@stark.example"))),
    Scenario("panel-shared-first-name", "panels", "Panel interview: Acme Corp (Data Engineer)",
             (jane, P("Jane Doe", "jane.doe@acme.example")), "Acme Corp", "Data Engineer",
             "Smith: the warehouse costs\nDoe: dbt models",
             notes=(N("the warehouse costs", "warehouse", jane.email),
                    N("dbt models", "dbt", "jane.doe@acme.example"))),
    Scenario("panel-group-and-bot", "panels", "Panel interview - Globex (SRE)",
             (P("Homer Simpson", "homer@globex.example"), P("Lenny Leonard", "lenny@globex.example"),
              P("Interviewers", "interviewers@globex.example", cutype="GROUP", drafted=False),
              P("Calendar Bot", "noreply-calendar@globex.example", drafted=False)),
             "Globex", "SRE"),
    Scenario("panel-general-notes-only", "panels", "Onsite interview: Hooli (Backend Engineer)",
             (P("Gavin Belson", "gavin@hooli.example"), P("Richard Hendricks",
                                                          "richard@hooli.example")),
             "Hooli", "Backend Engineer", "Notes: the compression benchmark",
             notes=(N("the compression benchmark", "compression"),)),
    Scenario("panel-own-address", "panels", "Panel interview: Acme Corp (Backend Engineer)",
             (jane, raj, P("Alex (jobs)", "alex+jobs@example.org", drafted=False)),
             "Acme Corp", "Backend Engineer"),
    # --- company and role from titles ----------------------------------------------------
    Scenario("recruiting-in-title", "company from title", "Phone screen with Acme recruiting",
             (P("Rita Recruiter", "rita@acme.example"),), "Acme", None,
             forbidden=("Acme recruiting", "Acme Recruiting")),
    Scenario("contoso-angle-brackets", "company from title",
             "Contoso <> Alex — Recruiter phone screen",
             (P("Adele Vance", "adele.vance@contoso.example"),), "Contoso", None,
             forbidden=("Contoso <> Alex", "<>", "Recruiter phone screen role")),
    Scenario("fabrikam-pipe-stage", "company from title",
             "Fabrikam | Final round interview (Hiring Manager)",
             (P("Diego Siciliani", "diego@fabrikam.example"),), "Fabrikam", None,
             forbidden=("Hiring Manager role", "Fabrikam |")),
    Scenario("pied-piper", "company from title", "Interview - Pied Piper (Software Engineer)",
             (P("Richard Hendricks", "richard@piedpiper.example"),), "Pied Piper",
             "Software Engineer", forbidden=("Piedpiper", "PiedPiper")),
    Scenario("company-only-in-title", "company from title", "Onsite interview at Initech",
             (P("Michael Bolton", "mbolton.initech@gmail.com"),), "Initech", None),
    Scenario("company-only-in-domain", "company from title", "Technical interview",
             (P("Alice Wong", "alice.wong@umbrella.example"),), "Umbrella", None),
    Scenario("x-separator", "company from title", "Hooli x Alex – interview",
             (P("Jared Dunn", "jared@hooli.example"),), "Hooli", None,
             forbidden=("Hooli x Alex",)),
    Scenario("lowercase-title", "company from title", "interview w/ acme - staff engineer",
             (jane,), "Acme", "Staff Engineer"),
    Scenario("emoji-title", "company from title", "🎉 Final round – Hooli (Product Designer)",
             (P("Monica Hall", "monica@hooli.example"),), "Hooli", "Product Designer"),
    Scenario("role-first-title", "company from title", "Senior SRE interview - Massive Dynamic",
             (P("Walter Bishop", "walter@massive.example"),), "Massive Dynamic", "Senior SRE"),
    Scenario("recruiter-screen-stage", "recruiter screens",
             "Recruiter screen: Globex - Backend Engineer",
             (P("Marge Bouvier", "marge@globex.example"),), "Globex", "Backend Engineer",
             forbidden=("Recruiter screen role",)),
    # --- languages -----------------------------------------------------------------------
    Scenario("german-notes-in-english-draft", "German description",
             "Interview: Müller GmbH (Backend Engineer)",
             (P("Anna Müller", "anna.mueller@mueller.example"),), "Müller GmbH",
             "Backend Engineer", "Notizen:\nAnna: Migration der Abrechnung auf Kafka",
             notes=(N("Migration der Abrechnung auf Kafka", "Kafka",
                      "anna.mueller@mueller.example", "de"),)),
    Scenario("german-informal", "language de", "Vorstellungsgespräch – Müller GmbH (Backend-Entwickler)",
             (P("Anna Müller", "anna.mueller@mueller.example", german="Frau"),), "Müller GmbH",
             "Backend-Entwickler", "Notizen:\nAnna: Migration der Abrechnung auf Kafka",
             notes=(N("Migration der Abrechnung auf Kafka", "Abrechnung",
                      "anna.mueller@mueller.example", "de"),), language="de",
             highlights=("acht Jahre Erfahrung mit Zahlungssystemen",)),
    # "Frau" is what the user configured: the display name says "Dr." but not the gender,
    # and followupd never guesses one from a first name.
    Scenario("german-formal-dr", "language de", "Vorstellungsgespräch – Globex (Data Scientist)",
             (P("Dr. Amelia Chen", "amelia.chen@globex.example", "Amelia", "Chen",
                honorific="Dr.", german="Frau", contact=Contact(honorific="Frau")),),
             "Globex", "Data Scientist", style="formal", language="de",
             highlights=("acht Jahre Erfahrung mit Zahlungssystemen",)),
    Scenario("german-formal-dr-gender-unknown", "language de",
             "Vorstellungsgespräch – Globex (Data Scientist)",
             (P("Dr. Amelia Chen", "amelia.chen@globex.example", "Amelia", "Chen",
                honorific="Dr."),), "Globex", "Data Scientist", style="formal", language="de",
             highlights=("acht Jahre Erfahrung mit Zahlungssystemen",)),
    Scenario("german-formal-herr", "language de", "Interview: Schmidt AG (DevOps Engineer)",
             (P("Klaus Schmidt", "k.schmidt@schmidt.example", honorific=None, german="Herr"),),
             "Schmidt AG", "DevOps Engineer", style="formal", language="de",
             highlights=("acht Jahre Erfahrung mit Zahlungssystemen",)),
    Scenario("german-panel", "language de", "Panel-Interview – Bauer KG (Data Engineer)",
             (P("Lena Bauer", "lena@bauer.example", german="Frau"),
              P("Jonas Weber", "jonas@bauer.example", german="Herr")),
             "Bauer KG", "Data Engineer", language="de", highlights=()),
    Scenario("german-recruiter-screen", "language de", "Telefoninterview mit Zalando Recruiting",
             (P("Sophie Wagner", "sophie.wagner@zalando.example", german="Frau"),),
             "Zalando", None, language="de", forbidden=("Zalando Recruiting",)),
    # --- status inquiries ----------------------------------------------------------------
    Scenario("inquiry-1", "inquiry", "Phone screen - Globex (Platform Engineer)",
             (P("Maria Garcia", "maria.garcia@globex.example"),), "Globex", "Platform Engineer",
             "Maria: the team's move to Kubernetes",
             notes=(N("the team's move to Kubernetes", "Kubernetes",
                      "maria.garcia@globex.example"),), send_thank_you=True, inquiries=1),
    Scenario("inquiry-2", "inquiry", "Interview: Initech (Backend Engineer)",
             (P("Bill Lumbergh", "bill@initech.example"),), "Initech", "Backend Engineer",
             send_thank_you=True, inquiries=2),
    Scenario("inquiry-decision", "inquiry", "Interview: Acme Corp (Data Engineer)",
             (jane,), "Acme Corp", "Data Engineer", decision=Decision(date(2026, 3, 20)),
             decision_by_cli=True, send_thank_you=True, inquiries=1),
    Scenario("inquiry-panel", "inquiry", "Onsite interview: Hooli (Staff Engineer)",
             (P("Gavin Belson", "gavin@hooli.example"), P("Jian Yang", "jian@hooli.example"),
              P("Monica Hall", "monica@hooli.example")), "Hooli", "Staff Engineer",
             send_thank_you=True, inquiries=1),
    Scenario("inquiry-unsent-thank-you", "inquiry without a sent thank-you",
             "Interview: Umbrella (Security Analyst)",
             (P("Albert Wesker", "wesker@umbrella.example"),), "Umbrella", "Security Analyst",
             send_thank_you=False, inquiries=1),
    Scenario("inquiry-own-message", "inquiry after the user's own message",
             "Phone screen - Globex (Platform Engineer)",
             (P("Maria Garcia", "maria.garcia@globex.example"),), "Globex", "Platform Engineer",
             own_message_to=0, inquiries=2),
    Scenario("inquiry-own-message-panel", "inquiry after the user's own message",
             "Onsite interview: Hooli (Staff Engineer)",
             (P("Gavin Belson", "gavin@hooli.example"), P("Jian Yang", "jian@hooli.example")),
             "Hooli", "Staff Engineer", own_message_to=1, inquiries=1),
    Scenario("inquiry-recruiter", "inquiry", "Contoso <> Alex — Recruiter phone screen",
             (P("Adele Vance", "adele.vance@contoso.example"),), "Contoso", None,
             forbidden=("Contoso <> Alex", "<>"), send_thank_you=True, inquiries=2),
    Scenario("inquiry-german", "inquiry", "Vorstellungsgespräch – Müller GmbH (Backend-Entwickler)",
             (P("Anna Müller", "anna.mueller@mueller.example", german="Frau"),), "Müller GmbH",
             "Backend-Entwickler", language="de", send_thank_you=True, inquiries=1,
             highlights=("acht Jahre Erfahrung mit Zahlungssystemen",)),
)  # fmt: skip


def by_name(*names: str) -> list[Scenario]:
    """The scenarios called ``names``, in that order (KeyError for a name not in the table)."""
    table = {s.name: s for s in SCENARIOS}
    return [table[n] for n in names]


assert len({s.name for s in SCENARIOS}) == len(SCENARIOS), "scenario names must be unique"
