"""``followupd redraft`` against the fake Gmail and the fake Outlook, through the real CLI.

The user corrects the company after both thank-yous were drafted, then edits one of the two
drafts in the web interface: ``redraft`` replaces the untouched one (one draft to that person,
with the correction and a new Message-ID, the old one deleted as the provider deletes), refuses
the edited one and leaves it as the user saved it; ``--keep`` then adds the new version beside
it. Run as a user runs it (subprocesses, simulated time), as tests/test_cli_google.py and
tests/test_cli_outlook.py do.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from tests.demo_home import records
from tests.outlook_cli import IAN, PAM, make_user, seed_interview
from tests.outlook_cli import at as outlook_at
from tests.test_cli_google import START, Home, at, draft_to, fake, gmail_drafts, interview

__all__ = ["fake"]  # the fake Google server, a fixture
CORRECTED = "Acme Robotics"


def interview_id(status: str, company: str) -> str:
    """The id ``status`` shows for the interview whose title names ``company``."""
    return next(row["id"] for row in records(status) if company in row["interview"])


def plain(msg: EmailMessage) -> str:
    return " ".join(msg.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]


def test_redraft_on_gmail(tmp_path: Path, fake) -> None:  # noqa: ANN001
    home = Home(tmp_path, fake)
    home.authorize()
    fake.state.put_event(interview(START))
    home.run_at(at(minutes=60))
    jane_id, jane = draft_to(fake, "jane@")
    raj_id, _ = draft_to(fake, "raj@")
    acme = interview_id(home.cli("status").stdout, "Acme")
    home.cli("note", acme, "--company", CORRECTED)
    fake.state.edit_draft_as_user(raj_id, text="Hi Raj, thanks again! (my own words)")

    out = home.cli("redraft", acme, code=1).stdout
    flat = " ".join(out.split())
    assert "thank-you to jane@acme.example: replaced the draft in your mailbox" in flat
    assert "thank-you to raj@acme.example: not redrafted: you edited the draft" in flat
    new_id, new = draft_to(fake, "jane@")  # exactly one draft to Jane: the new version
    assert new_id != jane_id and jane_id not in fake.state.drafts
    assert CORRECTED in plain(new) and new["Message-ID"] != jane["Message-ID"]
    assert plain(draft_to(fake, "raj@")[1]) == "Hi Raj, thanks again! (my own words)"

    kept = home.cli("redraft", acme, "--about", "raj@acme.example", "--keep").stdout
    assert "added the new version as a second draft" in " ".join(kept.split())
    to_raj = [m for m in gmail_drafts(fake).values() if "raj@" in str(m["To"])]
    assert sorted(CORRECTED in plain(m) for m in to_raj) == [False, True]
    assert "already up to date" in home.cli("redraft", acme, "--about", "jane@acme.example").stdout


def test_redraft_on_outlook(tmp_path: Path) -> None:
    from tests.fakes.graph_server import running_microsoft

    with running_microsoft(tmp_path / "fakes") as ms:
        user = make_user(tmp_path, ms)
        user.sign_in()
        seed_interview(ms)
        user.once(outlook_at(hours=1))
        ian, pam = user.draft_to(IAN[0]), user.draft_to(PAM[0])
        acme = interview_id(user.ok("status"), "Acme")
        user.ok("note", acme, "--company", CORRECTED)
        ms.graph.user_edits(pam["id"], html="<p>Hi Pam, thanks again! (my own words)</p>")

        result = user.run("redraft", acme)
        flat = " ".join(result.stdout.split())
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"thank-you to {IAN[0]}: replaced the draft in your mailbox" in flat
        assert f"thank-you to {PAM[0]}: not redrafted: you edited the draft" in flat
        new = user.draft_to(IAN[0])  # exactly one draft to Ian: the new version
        assert new["id"] != ian["id"] and CORRECTED in new["body"]["content"]
        with ms.graph.lock:
            assert ms.graph.messages[ian["id"]]["_folder"] == "deleteditems"
        assert "my own words" in user.draft_to(PAM[0])["body"]["content"]

        kept = user.ok("redraft", acme, "--about", PAM[0], "--keep")
        assert "added the new version as a second draft" in " ".join(kept.split())
        assert len([d for d in user.drafts() if PAM[0] in str(d["toRecipients"])]) == 2
        assert pam["id"] in {d["id"] for d in user.drafts()}


def test_an_outlook_inquiry_with_its_quote_is_untouched_and_redrafted(tmp_path: Path) -> None:
    """An inquiry made with createReply holds Outlook's quote of the thank-you below our text:
    that is the mailbox's, not an edit of the user's, so the inquiry is replaced."""
    from tests.fakes.graph_server import running_microsoft

    with running_microsoft(tmp_path / "fakes") as ms:
        user = make_user(tmp_path, ms)
        user.sign_in()
        seed_interview(ms)
        user.once(outlook_at(hours=1))
        ms.graph.user_sends(user.draft_to(IAN[0])["id"], outlook_at(hours=2))
        user.once(outlook_at(hours=3))
        user.once(outlook_at(days=7, hours=2, minutes=1))
        (old,) = [d for d in user.drafts() if d["subject"].startswith("RE:")]
        assert "From:" in old["body"]["content"] or "wrote" in old["body"]["content"], old
        acme = interview_id(user.ok("status"), "Acme")
        user.ok("note", acme, "--company", CORRECTED)

        said = " ".join(user.ok("redraft", acme, "--about", IAN[0]).split())
        assert f"thank-you to {IAN[0]}: you already sent it on 2026-01-14" in said
        assert f"status-inquiry to {IAN[0]}: replaced the draft in your mailbox" in said
        (new,) = [d for d in user.drafts() if d["subject"].startswith("RE:")]
        assert new["id"] != old["id"] and CORRECTED in new["body"]["content"]
        assert new["conversationId"] == old["conversationId"]  # still in the thread
