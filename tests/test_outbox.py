"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): delivered, refused, down.

Time is passed to ``run_once`` explicitly, so retries and backoff are checked without waiting.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from mail_support import (
    Inbox,
    Refusing,
    body_of,
    free_port,
    mail_config,
    password_checker,
    smtp_server,
)
from sqlalchemy import select, text, update
from support import CommentPoster, PostInfo, app_in_postgres_schema, build_app

from blogengine.comments import get_service
from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.mail import get_mail
from blogengine.mail.models import MailState, OutboxMessage, ReplySubscription
from blogengine.mail.outbox import Mail
from blogengine.mail.subscriptions import CONFIRM_MAX_AGE
from blogengine.timeutil import utcnow


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return mail_config(smtp_port, MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_DELAY=60.0)


def app_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int, **config: Any) -> Flask:
    """A second app of the test's own, sending through the SMTP server on ``port``."""
    folder = tmp_path / f"site-{port}"
    folder.mkdir()
    return build_app(folder, monkeypatch, **mail_config(port, **config))


def queue(app: Flask, n: int = 1, to: str = "reader@example.org") -> list[int]:
    with app.app_context():
        outbox = get_mail().outbox
        return [
            outbox.enqueue(Mail(to=to, subject=f"Message {i}", body=f"Body {i}", kind="test"))
            for i in range(n)
        ]


def row(app: Flask, message_id: int) -> OutboxMessage:
    with app.app_context():
        found = db.session.get(OutboxMessage, message_id)
        assert found is not None
        db.session.expunge(found)
        return found


def test_a_readers_post_only_queues_the_owners_email(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    response = poster.post(post.slug, body="Queued, not sent.")
    assert response.status_code == 303
    assert inbox.messages == []  # the POST talked to no mail server
    with app.app_context():
        (message,) = get_mail().outbox.recent()
    assert (message.state, message.attempts, message.to_addr) == ("queued", 0, "owner@blog.test")


def test_a_queued_message_is_delivered_and_recorded(app: Flask, inbox: Inbox) -> None:
    (message_id,) = queue(app)
    with app.app_context():
        report = get_mail().outbox.run_once()
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (delivered,) = inbox.messages
    assert delivered["To"] == "reader@example.org"
    assert delivered["From"] == "Blog <blog@blog.test>"
    assert delivered["Subject"] == "Message 0"
    assert delivered["Message-ID"].endswith("@blog.test>")
    assert body_of(delivered).strip() == "Body 0"
    sent = row(app, message_id)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 1, None)
    assert sent.sent_at is not None
    with app.app_context():
        assert get_mail().outbox.run_once().sent == 0  # sent once, never again


def test_a_temporary_refusal_is_retried_with_backoff_then_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = Refusing("451 4.3.0 Mailbox busy, try later")
    with smtp_server(refusing) as port:
        app = app_on(tmp_path, monkeypatch, port, MAIL_MAX_ATTEMPTS=3)
        (message_id,) = queue(app)
        t0 = utcnow()
        with app.app_context():
            outbox = get_mail().outbox
            assert outbox.run_once(now=t0).retried == 1
            first = row(app, message_id)
            assert (first.state, first.attempts) == ("queued", 1)
            assert first.next_attempt_at == t0 + timedelta(seconds=60)
            assert "451" in (first.last_error or "")
            assert outbox.run_once(now=t0 + timedelta(seconds=59)).handled == 0  # not due yet
            assert outbox.run_once(now=t0 + timedelta(seconds=60)).retried == 1
            second = row(app, message_id)
            assert second.attempts == 2
            assert second.next_attempt_at == t0 + timedelta(seconds=60 + 120)  # doubled
            assert outbox.run_once(now=t0 + timedelta(seconds=180)).failed == 1
        assert refusing.tries == 3
    failed = row(app, message_id)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "451 4.3.0 Mailbox busy" in (failed.last_error or "")
    # The owner sees it: `blogengine outbox list --state failed`.
    listing = app.test_cli_runner().invoke(args=["outbox", "list", "--state", "failed"])
    assert listing.exit_code == 0, listing.output
    assert "failed" in listing.output and "451 4.3.0 Mailbox busy" in listing.output
    assert "reader@example.org" in listing.output


def test_a_permanent_refusal_fails_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refusing = Refusing("550 5.1.1 No such user here")
    with smtp_server(refusing) as port:
        app = app_on(tmp_path, monkeypatch, port)
        (message_id,) = queue(app)
        with app.app_context():
            assert get_mail().outbox.run_once().failed == 1
    failed = row(app, message_id)
    assert (failed.state, failed.attempts, refusing.tries) == ("failed", 1, 1)
    assert "550 5.1.1 No such user here" in (failed.last_error or "")


def test_a_server_that_is_down_is_retried_until_it_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens: connection refused
    app = app_on(tmp_path, monkeypatch, port)
    (message_id,) = queue(app)
    t0 = utcnow()
    with app.app_context():
        assert get_mail().outbox.run_once(now=t0).retried == 1
    waiting = row(app, message_id)
    assert (waiting.state, waiting.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in (waiting.last_error or "")

    inbox = Inbox()
    with smtp_server(inbox, port=port), app.app_context():
        assert get_mail().outbox.run_once(now=t0 + timedelta(minutes=1)).sent == 1
    assert [m["Subject"] for m in inbox.messages] == ["Message 0"]
    assert row(app, message_id).state == "sent"


def test_two_workers_send_each_message_once(app: Flask, inbox: Inbox) -> None:
    two_workers_send_each_message_once(app, inbox)


@pytest.mark.postgres
def test_two_workers_send_each_message_once_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Inbox, smtp_port: int
) -> None:
    url = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("set BLOGENGINE_TEST_POSTGRES_URL to run two outbox workers on PostgreSQL")
    with app_in_postgres_schema(url, tmp_path, monkeypatch, **mail_config(smtp_port)) as app:
        two_workers_send_each_message_once(app, inbox)


def two_workers_send_each_message_once(app: Flask, inbox: Inbox) -> None:
    """Two workers at once, each claiming what is due: every message goes out exactly once."""
    ids = queue(app, 12)
    barrier = threading.Barrier(2)
    reports = []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            reports.append(get_mail().outbox.run_once())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 12
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(f"Message {i}" for i in range(12))
    with app.app_context():
        states = db.session.scalars(select(OutboxMessage.state).where(OutboxMessage.id.in_(ids)))
        assert set(states) == {"sent"}


def test_a_worker_that_died_mid_send_has_its_message_given_back(app: Flask, inbox: Inbox) -> None:
    (message_id,) = queue(app)
    t0 = utcnow()
    with app.app_context():
        outbox = get_mail().outbox
        assert outbox._claim(message_id, t0) is not None  # claimed, then the worker died
        assert outbox.run_once(now=t0 + timedelta(minutes=5)).handled == 0  # still leased
        assert outbox.run_once(now=t0 + outbox.lease + timedelta(seconds=1)).sent == 1
    assert len(inbox.messages) == 1


def test_failed_messages_can_be_queued_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(Refusing("550 5.7.1 Relaying denied")) as port:
        app = app_on(tmp_path, monkeypatch, port)
        (message_id,) = queue(app)
        with app.app_context():
            get_mail().outbox.run_once()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["outbox", "retry", str(message_id)])
    assert result.exit_code == 0, result.output
    assert f"queued again: {message_id}" in result.output
    again = row(app, message_id)
    assert (again.state, again.attempts) == ("queued", 0)
    refused = runner.invoke(args=["outbox", "retry", str(message_id), "999"])
    assert refused.exit_code != 0
    assert "999" in refused.output and str(message_id) in refused.output


def test_the_same_key_queues_one_message(app: Flask) -> None:
    with app.app_context():
        outbox = get_mail().outbox
        mail = Mail(to="a@example.org", subject="Once", body="x", kind="test", key="k1")
        assert outbox.enqueue(mail) == outbox.enqueue(mail)
        assert len(outbox.recent()) == 1


def test_a_broken_outbox_never_fails_the_readers_post(
    app: Flask, post: PostInfo, poster: CommentPoster, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        db.session.execute(text("DROP TABLE outbox"))
        db.session.commit()
    with caplog.at_level(logging.ERROR):
        response = poster.post(post.slug, body="Kept, whatever email does.")
    assert response.status_code == 303
    with app.app_context():
        (stored,) = get_service().store.list_for_post(post.uid)
    assert stored.body == "Kept, whatever email does." and stored.status is Status.APPROVED
    assert any("comment listener" in r.getMessage() for r in caplog.records)


def test_the_worker_runs_once_from_the_command_line(
    app: Flask, runner: FlaskCliRunner, inbox: Inbox
) -> None:
    queue(app, 2)
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 to retry, 0 failed" in result.output
    assert len(inbox.messages) == 2
    listing = runner.invoke(args=["outbox", "list"])
    assert "2 sent" in listing.output


def test_states_are_the_documented_ones() -> None:
    assert [s.value for s in MailState] == ["queued", "sending", "sent", "failed"]


def test_a_message_is_claimed_by_one_worker_only(app: Flask) -> None:
    (message_id,) = queue(app)
    with app.app_context():
        outbox = get_mail().outbox
        first = outbox._claim(message_id, utcnow())
        assert first is not None and first.state == "sending" and first.attempts == 1
        assert outbox._claim(message_id, utcnow()) is None


def test_tidying_forgets_old_sent_mail_and_expired_subscriptions(app: Flask) -> None:
    old_sent, recent_sent, failed = queue(app, 3)
    t0 = utcnow()
    with app.app_context():
        mail = get_mail()
        assert mail.outbox.run_once(now=t0).sent == 3
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == old_sent)
            .values(sent_at=t0 - timedelta(days=31))
        )
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == failed)
            .values(state="failed", sent_at=None)
        )
        db.session.commit()
        stale = mail.subscriptions.ask("old@example.org", "post", "c1")
        kept = mail.subscriptions.ask("new@example.org", "post", "c2")
        db.session.execute(
            update(ReplySubscription)
            .where(ReplySubscription.id == stale.id)
            .values(created_at=t0 - CONFIRM_MAX_AGE - timedelta(minutes=1))
        )
        db.session.commit()

        assert mail.tidy(t0) == (1, 1)
        left = {m.id: m.state for m in mail.outbox.recent()}
        assert left == {recent_sent: "sent", failed: "failed"}
        assert old_sent not in left
        emails = db.session.scalars(select(ReplySubscription.email)).all()
        assert emails == [kept.email]


@pytest.mark.parametrize(("password", "delivered"), [("right horse", True), ("wrong", False)])
def test_signing_in_to_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, delivered: bool
) -> None:
    """MAIL_USERNAME/PASSWORD sign in; refused credentials (535) fail the message, with why."""
    inbox = Inbox()
    auth = {"authenticator": password_checker("blog", "right horse"), "auth_require_tls": False}
    with smtp_server(inbox, **auth) as port:
        app = app_on(tmp_path, monkeypatch, port, MAIL_USERNAME="blog", MAIL_PASSWORD=password)
        (message_id,) = queue(app)
        with app.app_context():
            get_mail().outbox.run_once()
    result = row(app, message_id)
    if delivered:
        assert result.state == "sent" and len(inbox.messages) == 1
    else:
        assert result.state == "failed" and inbox.messages == []
        assert "535" in (result.last_error or "")
