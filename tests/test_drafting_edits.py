"""What counts as the user's edit of a draft (daemon/drafttext.py), and what does not."""

from __future__ import annotations

import pytest

from daemon.drafting.edits import same_text, untouched
from daemon.protocols import DraftContent

OURS = (
    "Dear Jane,\n\nThank you for taking the time to speak with me about the Backend Engineer "
    "role at Acme.\n\nBest regards,\nAlex Candidate\n"
)


@pytest.mark.parametrize(
    "found",
    [
        OURS,
        OURS.replace("\n", "\r\n"),  # CRLF, as some clients save
        OURS.replace("\n", "  \n"),  # trailing spaces
        OURS.replace("speak with me about", "speak with me\nabout"),  # re-wrapped
        OURS.replace("Jane,", "Jane,\u00a0"),  # a non-breaking space from HTML
        OURS + "\n-- \nAlex Candidate\n+1 555 0100\n",  # the client's signature
        OURS + "\nFrom: jane@acme.example\nDear Alex, ...\n",  # Outlook's quote
        OURS + "\nOn Tue, 3 Mar 2026, Jane Smith wrote:\n> Thanks!\n",  # a client's quote
        OURS + "\n________________________________\nFrom: Jane\n",  # Outlook's separator
    ],
)
def test_what_clients_do_to_a_draft_is_not_an_edit(found: str) -> None:
    assert same_text(found, OURS)


@pytest.mark.parametrize(
    "found",
    [
        OURS.replace("Dear Jane,", "Hi Jane,"),  # a word changed
        OURS.replace("Acme.", "Acme. It was great to meet the team."),  # a sentence added
        OURS.replace("Best regards,\n", ""),  # a line removed
        OURS + "\nPS: the slides are attached.\n",  # a postscript after our text
    ],
)
def test_a_word_changed_added_or_removed_is_an_edit(found: str) -> None:
    assert not same_text(found, OURS)


def test_a_quote_marker_inside_an_edit_does_not_hide_it() -> None:
    edited = "Hi Jane, a new first line.\n" + OURS + "\n> quoted\n"
    assert not same_text(edited, OURS)


def test_the_subject_counts_and_unknown_text_is_never_untouched() -> None:
    subject = "Thank you – Backend Engineer interview"
    assert untouched(DraftContent(subject, OURS), subject, OURS)
    assert untouched(DraftContent(" ".join(subject.upper().split()), OURS), subject, OURS)
    assert not untouched(DraftContent("Thanks!", OURS), subject, OURS)
    assert not untouched(DraftContent(subject, OURS), subject, None)
