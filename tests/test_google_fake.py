"""The fake Google server itself: it must reject what Google rejects, or the other tests prove
nothing. Raw HTTP here, because googleapiclient refuses most bad calls before sending them."""

from __future__ import annotations

import json
import urllib.parse

import httplib2
import pytest

from connectors.google.auth import SCOPES
from tests.fakes.google_env import google_env
from tests.fakes.google_server import CLIENT_ID

EVENTS = "calendar/v3/calendars/primary/events"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"


@pytest.fixture
def env(tmp_path):
    with google_env(tmp_path, check=False) as env:
        yield env


def call(env, method, path, body=None, scopes=SCOPES, query=None):
    token = env.state.issue_access_token(list(scopes))
    http = httplib2.Http(ca_certs=str(env.fake.ca_file))
    url = (
        env.fake.base_url
        + path
        + ("?" + urllib.parse.urlencode(query, doseq=True) if query else "")
    )
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    response, content = http.request(url, method, body=body, headers=headers)
    return response.status, json.loads(content or b"{}")


def test_unknown_and_mistyped_parameters_are_rejected(env):
    assert call(env, "GET", EVENTS, query={"sinceWhen": "x"})[0] == 400
    assert call(env, "GET", EVENTS, query={"singleEvents": "yes"})[0] == 400
    assert call(env, "GET", EVENTS, query={"timeMin": "2026-03-01T00:00:00"})[0] == 400  # no offset
    assert call(env, "GET", "gmail/v1/users/me/history", query={"historyTypes": "added"})[0] == 400
    assert len(env.state.invalid) == 4
    assert env.state.invalid[0] == "unknown parameter 'sinceWhen' for calendar.events.list"


def test_sync_token_with_a_window_is_rejected(env):
    status, body = call(
        env, "GET", EVENTS, query={"syncToken": "abc", "timeMin": "2026-03-01T00:00:00Z"}
    )
    assert status == 400 and env.state.invalid


def test_a_body_with_an_unknown_field_is_rejected(env):
    status, body = call(
        env, "POST", "gmail/v1/users/me/drafts", {"message": {"raw": "eA", "tag": 1}}
    )
    assert status == 400
    assert env.state.invalid == ["body.message: unknown name 'tag' (Invalid JSON payload received)"]


def test_send_endpoints_are_violations(env):
    assert call(env, "POST", "gmail/v1/users/me/drafts/send", {"id": "r1"})[0] == 403
    assert call(env, "POST", "gmail/v1/users/me/messages/send", {"raw": "eA"})[0] == 403
    assert len(env.state.violations) == 2
    with pytest.raises(AssertionError):
        env.fake.check()
    env.state.violations.clear()


def test_a_send_scope_in_a_token_request_is_a_violation(env):
    refresh = env.state.issue_refresh_token(CLIENT_ID, [SEND_SCOPE])
    http = httplib2.Http(ca_certs=str(env.fake.ca_file))
    form = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": CLIENT_ID,
            "client_secret": "s3cret",
        }
    )
    response, _ = http.request(
        env.fake.base_url + "token",
        "POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert env.state.violations == [
        "a token refresh asked for send-capable scope(s) "
        "['https://www.googleapis.com/auth/gmail.send']"
    ]
    env.state.violations.clear()


def test_the_metadata_scope_rules_hold_as_in_gmail(env):
    status, body = call(env, "GET", "gmail/v1/users/me/messages", query={"q": "from:x"})
    assert status == 403
    assert body["error"]["message"] == "Metadata scope does not support 'q' parameter"
    env.state.receive("a@b.example", "hi")
    message_id = next(iter(env.state.messages))
    status, body = call(env, "GET", f"gmail/v1/users/me/messages/{message_id}")  # format=full
    assert status == 403 and body["error"]["message"] == "Metadata scope doesn't allow format FULL"


def test_scopes_and_tokens_are_enforced(env):
    assert call(env, "GET", "gmail/v1/users/me/profile", scopes=[SCOPES[0]])[0] == 403
    http = httplib2.Http(ca_certs=str(env.fake.ca_file))
    response, _ = http.request(
        env.fake.base_url + "gmail/v1/users/me/profile",
        "GET",
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status == 401


def batch(env, parts, scopes=SCOPES):
    """POST a multipart/mixed batch of raw inner requests; the answer's status and body."""
    token = env.state.issue_access_token(list(scopes))
    http = httplib2.Http(ca_certs=str(env.fake.ca_file))
    body = "".join(
        f"--b\r\nContent-Type: application/http\r\nContent-ID: <p{n}>\r\n\r\n{part}\r\n"
        for n, part in enumerate(parts)
    )
    body += "--b--\r\n"
    resp, content = http.request(
        env.fake.base_url + "batch/gmail/v1",
        "POST",
        body=body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "multipart/mixed; boundary=b"},
    )
    return resp, content.decode()


def test_a_batch_answers_each_part_in_order_like_gmail(env):
    msg = env.state.receive("jane@acme.com", "Hi")
    get = "GET /gmail/v1/users/me/messages/{}?format=metadata HTTP/1.1"
    resp, text = batch(env, [get.format(msg.id), get.format("nope")])
    assert resp.status == 200 and resp["content-type"].startswith("multipart/mixed; boundary=")
    assert text.index("Content-ID: <response-p0>") < text.index("Content-ID: <response-p1>")
    assert "HTTP/1.1 200 OK" in text and "HTTP/1.1 404 Not Found" in text
    assert [r.method for r in env.state.requests if r.batch] == ["gmail.users.messages.get"] * 2
    assert not env.state.invalid


def test_a_batch_is_validated_like_any_request(env):
    get = "GET /gmail/v1/users/me/messages/x?format=metadata HTTP/1.1"
    assert batch(env, [get] * 101)[0].status == 400  # Gmail takes 100 at most
    assert batch(env, ["GET /batch/gmail/v1 HTTP/1.1"])[0].status == 400  # no nested batch
    _, text = batch(env, ["GET /gmail/v1/users/me/messages/x?format=bogus HTTP/1.1"])
    assert "HTTP/1.1 400" in text  # each part validated against the discovery document
    _, text = batch(env, ["GET /gmail/v1/users/me/messages/x?format=full HTTP/1.1"])
    assert "HTTP/1.1 403" in text  # and authorized with the outer token's scopes
    assert len(env.state.invalid) == 3


def test_label_changes_and_deletions_are_in_the_history_as_gmail_records_them(env):
    msg = env.state.receive("jane@acme.com", "Hi")
    start = env.state.history_id
    env.state.change_labels(msg.id, add={"STARRED"}, remove={"UNREAD"})
    draft = env.state.store_message(b"Subject: d\r\n\r\nx", {"DRAFT"})
    env.state.drafts["r1"] = draft.id
    env.state.delete_draft("r1")
    query = {"startHistoryId": str(start), "historyTypes": ["labelAdded", "messageDeleted"]}
    status, body = call(env, "GET", "gmail/v1/users/me/history", query=query)
    assert status == 200
    kinds = [sorted(k for k in r if k not in ("id", "messages")) for r in body["history"]]
    assert kinds == [["labelsAdded"], ["messagesDeleted"]]
    added = body["history"][0]["labelsAdded"][0]
    assert added["labelIds"] == ["STARRED"] and added["message"]["threadId"] == msg.thread_id
