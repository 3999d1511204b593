"""Without MAIL_SERVER mail is off: nothing is queued, the form offers no reply emails."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskCliRunner
from support import CommentPoster, PostInfo

from blogengine.mail import get_mail


def test_nothing_is_queued_and_the_form_offers_no_reply_email(
    app: Flask, client: object, post: PostInfo, poster: CommentPoster
) -> None:
    page = poster.client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'name="notify_replies"' not in page
    response = poster.post(post.slug, email="ada@example.org", notify_replies="y")
    assert response.status_code == 303
    with app.app_context():
        assert get_mail().outbox.recent() == []


def test_the_worker_says_mail_is_off(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["outbox", "run"])
    assert result.exit_code == 0
    assert "mail is off (MAIL_SERVER is not set)" in result.output
