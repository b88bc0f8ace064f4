"""daemon/bodytext.py: a draft's body as the text `followupd redraft` compares and shows."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from daemon.bodytext import html_to_text, message_text
from daemon.writing.context import sample_context
from daemon.writing.render import Renderer


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb\n"),
        ("<div>a</div><div>b</div>", "a\nb\n"),  # adjacent blocks: one line break
        ("<div>a</div><div><br></div><div>b</div>", "a\n\nb\n"),  # web mail's empty line
        ("<div>a<br></div><div>b</div>", "a\nb\n"),  # a <br> ending a block adds nothing
        ("a<br>b<br><br>c", "a\nb\n\nc\n"),
        ("<ul><li>one</li><li>two</li></ul>", "- one\n- two\n"),
        ("<html><head><title>t</title><style>p{}</style></head><body>x &amp; y</body></html>",
         "x & y\n"),
        ("<p>a\n   b</p>", "a b\n"),  # source line breaks are spaces, as a browser shows them
        ("", ""),
    ],
)  # fmt: skip
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("kind", ["thank_you", "status_inquiry"])
def test_the_shipped_html_templates_read_back_as_their_text(language: str, kind: str) -> None:
    """Outlook keeps the HTML alone: read back, an untouched draft must equal its text."""
    draft = Renderer().render(kind, sample_context(language, inquiry_number=1))
    assert draft.html is not None
    assert html_to_text(draft.html) == draft.text


def test_message_text_prefers_the_text_part() -> None:
    msg = EmailMessage()
    msg.set_content("plain\r\nline\n")
    msg.add_alternative("<p>html</p>", subtype="html")
    assert message_text(msg) == "plain\nline\n"
    only_html = EmailMessage()
    only_html.set_content("<p>only</p><p>html</p>", subtype="html")
    assert message_text(only_html) == "only\n\nhtml\n"
    assert message_text(EmailMessage()) == ""
