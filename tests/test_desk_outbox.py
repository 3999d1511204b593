"""The desk's outbox page, its "Send again" button and badge, and the moderation feed's switch.

Failures are real: the site sends to a port nothing listens on (connection refused), and a
real SMTP server (aiosmtpd) is started on that port when the owner sends again.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_support import csrf_of, make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import given
from hypothesis import strategies as st
from mail_support import Inbox, free_port, mail_config, smtp_server
from sqlalchemy import text as sql_text
from support import build_app
from test_queries import statements_for

from blogengine.extensions import db
from blogengine.mail import get_mail
from blogengine.mail.errors import UNKNOWN, in_words
from blogengine.mail.models import OutboxMessage
from blogengine.mail.outbox import Mail
from blogengine.timeutil import utcnow

PORT = free_port()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Mail on, through a port nothing listens on; one attempt, so a refusal fails at once."""
    return {**mail_config(PORT, MAIL_MAX_ATTEMPTS=1), "DESK_PER_PAGE": 3}


@pytest.fixture
def owner_client(app: Flask, client: FlaskClient) -> FlaskClient:
    make_owner(app)
    assert sign_in(client).status_code == 303
    return client


def queue(app: Flask, subject: str, to: str = "zoe@example.org", kind: str = "reply") -> int:
    """A message due in an hour (a worker's pass now leaves it queued)."""
    mail = Mail(to=to, subject=subject, body="Hello.", kind=kind)
    with app.app_context():
        return get_mail().outbox.enqueue(mail, now=utcnow() + timedelta(hours=1))


def send_now(app: Flask) -> None:
    with app.app_context():
        get_mail().outbox.run_once()


def state_of(app: Flask, message_id: int) -> tuple[str, int]:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        assert row is not None
        return row.state, row.attempts


def failed_message(app: Flask, subject: str = "Held for moderation") -> int:
    """A message the worker gave up on: the mail server was down."""
    mail = Mail(to="owner@blog.test", subject=subject, body="A comment.", kind="owner")
    with app.app_context():
        message_id = get_mail().outbox.enqueue(mail)
        get_mail().outbox.run_once()
    assert state_of(app, message_id) == ("failed", 1)
    return message_id


def test_the_page_shows_each_message_by_state_with_counts(
    app: Flask, owner_client: FlaskClient
) -> None:
    failed = failed_message(app)
    inbox = Inbox()
    with smtp_server(inbox, port=PORT), app.app_context():
        mail = Mail(to="zoe@example.org", subject="Your reply was published", body="", kind="reply")
        sent = get_mail().outbox.enqueue(mail)
        get_mail().outbox.run_once()
    queued = queue(app, "Please confirm", kind="confirm")

    page = text(owner_client.get("/admin/outbox"))
    for label, count in [("All", 3), ("Failed", 1), ("Queued", 1), ("Sending", 0), ("Sent", 1)]:
        assert re.search(rf">{label} <span class=\"count\">\({count}\)</span>", page), label
    assert all(f'id="mail-{n}"' in page for n in (failed, sent, queued))

    page = text(owner_client.get("/admin/outbox?state=failed"))
    assert f'id="mail-{failed}"' in page and f'id="mail-{sent}"' not in page
    assert "owner@blog.test" in page and "Held for moderation" in page
    assert "To you: a comment" in page
    assert "Why it failed" in page
    assert "refused the connection: nothing listens at MAIL_SERVER and MAIL_PORT" in page
    assert "ConnectionRefusedError" in page  # the server's own words too
    assert "Send again" in page

    page = text(owner_client.get("/admin/outbox?state=sent"))
    assert "Your reply was published" in page and "zoe@example.org" in page
    assert "<dt>Sent</dt>" in page and "Send again" not in page
    page = text(owner_client.get("/admin/outbox?state=queued"))
    assert "To a reader: confirm reply emails" in page and "<dt>Next attempt</dt>" in page
    assert owner_client.get("/admin/outbox?state=lost").status_code == 404


def test_send_again_queues_the_failed_message_and_the_worker_delivers_it(
    app: Flask, owner_client: FlaskClient, inbox: Inbox
) -> None:
    failed = failed_message(app)
    token = csrf_of(owner_client, "/admin/outbox?state=failed")
    answer = owner_client.post(
        "/admin/outbox/retry", data={**token, "id": failed, "state": "failed"}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/outbox?state=failed"
    assert state_of(app, failed) == ("queued", 0)
    assert f"Message {failed} is queued again" in text(owner_client.get(answer.headers["Location"]))

    with smtp_server(inbox, port=PORT):
        send_now(app)
    assert state_of(app, failed) == ("sent", 1)
    (delivered,) = inbox.to("owner@blog.test")
    assert delivered["Subject"] == "Held for moderation"


def test_send_again_changes_nothing_but_a_failed_message_with_a_valid_form(
    app: Flask, owner_client: FlaskClient
) -> None:
    failed = failed_message(app)
    queued = queue(app, "Waiting")
    token = csrf_of(owner_client, "/admin/outbox")
    answer = owner_client.post("/admin/outbox/retry", data={**token, "id": queued})
    assert "not a failed one" in text(owner_client.get(answer.headers["Location"]))
    owner_client.post("/admin/outbox/retry", data={**token, "id": "999"})
    owner_client.post("/admin/outbox/retry", data={"id": failed})  # no CSRF token
    owner_client.post("/admin/outbox/retry", data={"csrf_token": "forged", "id": failed})
    assert state_of(app, failed) == ("failed", 1)
    assert state_of(app, queued) == ("queued", 0)


def test_the_header_badge_counts_failed_messages_on_every_desk_page(
    app: Flask, owner_client: FlaskClient
) -> None:
    queue(app, "Not sent yet")
    assert 'id="badge-failed"' not in text(owner_client.get("/admin/comments"))
    failed_message(app, "one")
    failed_message(app, "two")
    for url in ["/admin/comments", "/admin/outbox", "/admin/settings"]:
        badge = re.search(r'id="badge-failed">(\d+)<', text(owner_client.get(url)))
        assert badge is not None and badge.group(1) == "2", url


def test_mail_waiting_long_past_its_time_asks_whether_the_worker_runs(
    app: Flask, owner_client: FlaskClient
) -> None:
    queue(app, "Due in an hour")
    assert 'id="mail-stalled"' not in text(owner_client.get("/admin/outbox"))
    mail = Mail(to="zoe@example.org", subject="Due an hour ago", body="", kind="reply")
    with app.app_context():
        get_mail().outbox.enqueue(mail, now=utcnow() - timedelta(hours=1))
    page = text(owner_client.get("/admin/outbox"))
    assert 'id="mail-stalled"' in page and "is the outbox worker running?" in page


def test_a_broken_outbox_leaves_the_badge_out_not_the_desk(
    app: Flask, owner_client: FlaskClient
) -> None:
    failed_message(app)
    with app.app_context():
        db.session.execute(sql_text("DROP TABLE outbox"))
        db.session.commit()
    page = owner_client.get("/admin/comments")
    assert page.status_code == 200 and 'id="badge-failed"' not in text(page)


def test_the_page_says_plainly_when_mail_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(tmp_path, monkeypatch)  # no MAIL_SERVER
    client = app.test_client()
    make_owner(app)
    sign_in(client)
    page = text(client.get("/admin/outbox"))
    assert "Mail is off:" in page and "<code>MAIL_SERVER</code> is not set" in page
    for key in ["MAIL_PORT", "MAIL_DEFAULT_SENDER", "MAIL_OWNER_ADDRESS"]:
        assert f"<code>{key}</code>" in page
    assert "The outbox is empty." in page


def test_the_page_costs_the_same_statements_for_1_or_3_messages(
    app: Flask, owner_client: FlaskClient
) -> None:
    failed_message(app, "first")
    one = statements_for(app, owner_client, "/admin/outbox")
    failed_message(app, "second")
    queue(app, "third")
    three = statements_for(app, owner_client, "/admin/outbox")
    assert len(one) == len(three)
    page = text(owner_client.get("/admin/outbox"))
    assert page.count('class="outbox-item"') == 3


def test_pages_hold_desk_per_page_messages(app: Flask, owner_client: FlaskClient) -> None:
    for n in range(4):
        queue(app, f"Message {n}")
    first = text(owner_client.get("/admin/outbox"))
    assert first.count('class="outbox-item"') == 3 and "Message 3" in first
    assert 'rel="next" href="/admin/outbox?page=2"' in first
    second = text(owner_client.get("/admin/outbox?page=2"))
    assert second.count('class="outbox-item"') == 1 and "Message 0" in second


def feed_path(url: str) -> str:
    assert url.startswith("http://blog.test/moderation/") and url.endswith(".atom"), url
    return url.removeprefix("http://blog.test")


def test_a_new_secret_address_is_shown_once_and_the_old_one_stops_working(
    owner_client: FlaskClient, runner: FlaskCliRunner
) -> None:
    page = text(owner_client.get("/admin/settings"))
    assert "The feed is <strong>off</strong>" in page and "Turn off" not in page
    old = feed_path(runner.invoke(args=["moderation-feed", "rotate"]).output.splitlines()[0])
    assert "The feed is <strong>on</strong>" in text(owner_client.get("/admin/settings"))

    token = csrf_of(owner_client, "/admin/settings")
    answer = owner_client.post("/admin/settings/moderation-feed/new", data=token)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    found = re.search(r'id="new-feed-url"[^>]*value="([^"]+)"', text(answer))
    assert found is not None
    new = feed_path(found.group(1))
    assert new != old
    assert owner_client.get(old).status_code == 404
    assert owner_client.get(new).status_code == 200
    again = text(owner_client.get("/admin/settings"))
    assert new not in again and 'id="new-feed-url"' not in again  # shown that once only


def test_turning_the_feed_off_from_the_desk(
    owner_client: FlaskClient, runner: FlaskCliRunner
) -> None:
    path = feed_path(runner.invoke(args=["moderation-feed", "rotate"]).output.splitlines()[0])
    token = csrf_of(owner_client, "/admin/settings")
    assert owner_client.post("/admin/settings/moderation-feed/off", data={}).status_code == 400
    assert owner_client.get(path).status_code == 200  # no CSRF token: still on
    answer = owner_client.post("/admin/settings/moderation-feed/off", data=token)
    assert answer.headers["Location"] == "/admin/settings#moderation-feed"
    page = text(owner_client.get("/admin/settings"))
    assert "The moderation feed is off" in page and "The feed is <strong>off</strong>" in page
    assert owner_client.get(path).status_code == 404
    runner_output = runner.invoke(args=["moderation-feed", "off"]).output
    assert "off already" in runner_output


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (
            "127.0.0.1:2525: ConnectionRefusedError: [Errno 111] Connection refused",
            "refused the connection",
        ),
        ("mail.example: gaierror: [Errno -2] Name or service not known", "could not be found"),
        ("smtp.example:25: TimeoutError: timed out", "did not answer in time"),
        ("SMTPAuthenticationError: 535 5.7.8 Authentication failed", "refused to sign in"),
        ("recipient refused: 550 5.1.1 No such user", "refused the recipient for good"),
        ("recipient refused: 451 4.3.0 Mailbox busy", "asked to try later"),
        ("smtp.example:465: SSLError: [SSL: WRONG_VERSION_NUMBER]", "secure connection failed"),
        ("cannot build: header value contains linefeed", "could not be written"),
    ],
)
def test_errors_are_said_in_words(error: str, words: str) -> None:
    said = in_words(error)
    assert said is not None and words in said


@given(st.text())
def test_any_error_gets_words_and_no_error_gets_none(error: str) -> None:
    said = in_words(error)
    assert (said is None) == (error == "")
    assert said is None or said.strip()
    assert in_words(None) is None
    assert in_words("something nobody foresaw") == UNKNOWN
