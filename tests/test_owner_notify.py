"""The owner is told of each new comment, held or published, by email through the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from mail_support import Inbox, body_of, mail_config
from support import CommentPoster, PostInfo

from blogengine.mail import get_mail


@pytest.fixture
def app_config(smtp_port: int, request: pytest.FixtureRequest) -> dict[str, Any]:
    extra = getattr(request, "param", {})
    return mail_config(smtp_port, **extra)


def deliver(app: Flask) -> None:
    with app.app_context():
        get_mail().outbox.run_once()


def test_a_published_comment_is_announced_with_its_link(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    poster.post(post.slug, author="Grace", body="Published at once.\nSecond line.")
    deliver(app)
    (message,) = inbox.to("owner@blog.test")
    assert message["Subject"] == "[blogengine] New comment: Grace on “A post to talk about”"
    assert message["Auto-Submitted"] == "auto-generated"
    text = body_of(message)
    assert "Grace left a comment on “A post to talk about”." in text
    assert "Published at once.\nSecond line." in text
    assert "http://blog.test/posts/a-post/comments/1" in text  # the permalink finds its page


@pytest.mark.parametrize("app_config", [{"COMMENTS_MODERATE_ALL": True}], indirect=True)
def test_a_held_comment_is_announced_with_how_to_publish_it(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    poster.post(post.slug, author="Grace", body="Please hold me.", email="grace@example.org")
    deliver(app)
    (message,) = inbox.to("owner@blog.test")
    assert message["Subject"] == (
        "[blogengine] Held for moderation: Grace on “A post to talk about”"
    )
    text = body_of(message)
    assert "It is held for moderation" in text
    assert "Please hold me." in text
    assert "blogengine comments approve " in text
    assert "http://blog.test/admin/comments?status=pending" in text
    assert "grace@example.org" in text  # the owner sees the address; readers never do
    assert "http://blog.test/posts/a-post" in text


def test_spam_is_kept_unannounced(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    response = poster.post(post.slug, body="Buy now", homepage_url="http://spam.example")
    assert response.status_code == 303  # the honeypot field was filled: spam, kept
    deliver(app)
    assert inbox.messages == []


def test_a_double_click_announces_one_comment(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    form = poster.form_for(post.slug)
    poster.post(post.slug, reuse=form, body="Clicked twice.")
    poster.post(post.slug, reuse=form, body="Clicked twice.")
    deliver(app)
    assert len(inbox.to("owner@blog.test")) == 1


@pytest.mark.parametrize("app_config", [{"MAIL_OWNER_ADDRESS": None}], indirect=True)
def test_no_owner_address_means_the_owner_is_not_emailed(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    poster.post(post.slug)
    with app.app_context():
        assert get_mail().outbox.recent() == []
