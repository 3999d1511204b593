"""Told of a reply: double opt-in, signed links, RFC 8058 one-click unsubscribe.

Everything goes through a real SMTP server (aiosmtpd on 127.0.0.1) and the outbox.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from mail_support import Inbox, body_of, link_in, mail_config
from sqlalchemy import select
from support import CommentPoster, PostInfo, hidden_fields, textarea
from werkzeug.test import TestResponse

from blogengine.comments import get_service
from blogengine.comments.contracts import CommentDraft, PostRef, Status, StoredComment
from blogengine.comments.forms import NOTIFY_NEEDS_EMAIL
from blogengine.comments.service import Outcome
from blogengine.extensions import db
from blogengine.mail import get_mail
from blogengine.mail.models import ReplySubscription

READER = "ada@example.org"


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return mail_config(smtp_port)


def deliver(app: Flask) -> None:
    with app.app_context():
        get_mail().outbox.run_once()


def reply(
    app: Flask,
    post: PostInfo,
    parent: StoredComment,
    body: str,
    *,
    author: str = "Grace",
    email: str | None = None,
) -> StoredComment:
    """A reply to ``parent`` through the comment service, as the reply form sends it."""
    draft = CommentDraft(
        post_id=post.uid,
        author=author,
        body=body,
        email=email,
        parent_id=parent.id,
        fields={"captcha_answer": "human"},
    )
    with app.app_context():
        outcome: Outcome = get_service().submit(draft, PostRef(post.uid, post.title))
    assert outcome.comment is not None
    return outcome.comment


def subscribe(app: Flask, post: PostInfo, poster: CommentPoster) -> StoredComment:
    """Ada comments and ticks "email me replies"."""
    response = poster.post(post.slug, author="Ada", email=READER, notify_replies="y")
    assert response.status_code == 303
    with app.app_context():
        (comment,) = get_service().store.list_for_post(post.uid, status=None)
    return comment


def path_of(url: str) -> str:
    return urlsplit(url).path


def press_button(client: FlaskClient, url: str) -> TestResponse:
    """Open the link as a browser does and press the page's button (a POST with its token)."""
    page = client.get(path_of(url))
    assert page.status_code == 200, page.status_code
    return client.post(path_of(url), data=hidden_fields(page.get_data(as_text=True)))


def test_the_whole_way_from_subscribing_to_unsubscribing(
    app: Flask, client: FlaskClient, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    page = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert 'name="notify_replies"' in page and "Email me replies" in page

    ada = subscribe(app, post, poster)
    deliver(app)
    (confirmation,) = inbox.to(READER)
    assert confirmation["Subject"] == (
        "[blogengine] Please confirm: email me replies on “A post to talk about”"
    )
    confirm_url = link_in(confirmation, "/replies/confirm/")

    # Unconfirmed: a reply sends nothing to the address.
    reply(app, post, ada, "An early reply.")
    deliver(app)
    assert len(inbox.to(READER)) == 1

    # Following the link shows a button and changes nothing; pressing it confirms.
    shown = client.get(path_of(confirm_url))
    assert shown.status_code == 200
    assert "Yes, email me replies" in shown.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReplySubscription.confirmed_at)) is None
    confirmed = press_button(client, confirm_url)
    assert confirmed.status_code == 200
    assert "replies to your comment will be emailed to you" in confirmed.get_data(as_text=True)

    grace = reply(app, post, ada, "I agree, and here is why.")
    assert grace.status is Status.APPROVED
    deliver(app)
    confirmation, notice = inbox.to(READER)
    assert notice["Subject"] == (
        "[blogengine] Grace replied to your comment on “A post to talk about”"
    )
    assert "I agree, and here is why." in body_of(notice)
    # The permalink, which finds the page of comments the reply is on.
    assert f"http://blog.test/posts/a-post/comments/{grace.number}" in body_of(notice)
    unsubscribe_url = link_in(notice, "/replies/unsubscribe/")
    assert notice["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", no cookie, no CSRF token.
    one_click = app.test_client().post(
        path_of(unsubscribe_url), data={"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    assert "No more replies" in one_click.get_data(as_text=True)

    reply(app, post, ada, "Anyone still here?", author="Linus")
    deliver(app)
    assert len(inbox.to(READER)) == 2  # nothing after unsubscribing
    with app.app_context():
        assert db.session.scalars(select(ReplySubscription)).all() == []


@pytest.fixture
def confirmed_ada(
    app: Flask, client: FlaskClient, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> StoredComment:
    ada = subscribe(app, post, poster)
    deliver(app)
    press_button(client, link_in(inbox.to(READER)[0], "/replies/confirm/"))
    return ada


def test_a_held_reply_is_announced_when_the_owner_approves_it(
    app: Flask, post: PostInfo, confirmed_ada: StoredComment, inbox: Inbox
) -> None:
    get_service(app).moderate_all = True
    held = reply(app, post, confirmed_ada, "Held first.")
    assert held.status is Status.PENDING
    deliver(app)
    assert len(inbox.to(READER)) == 1  # the confirmation only

    result = app.test_cli_runner().invoke(args=["comments", "approve", held.id])
    assert result.exit_code == 0, result.output
    deliver(app)
    assert "Held first." in body_of(inbox.to(READER)[-1])
    # Approving again (or spam, then approve) does not tell twice.
    app.test_cli_runner().invoke(args=["comments", "spam", held.id])
    app.test_cli_runner().invoke(args=["comments", "approve", held.id])
    deliver(app)
    assert len(inbox.to(READER)) == 2


def test_a_reader_answering_themself_is_not_emailed(
    app: Flask, post: PostInfo, confirmed_ada: StoredComment, inbox: Inbox
) -> None:
    reply(app, post, confirmed_ada, "Adding to my own comment.", author="Ada", email=READER)
    deliver(app)
    assert len(inbox.to(READER)) == 1


def test_a_tampered_or_foreign_link_does_nothing(
    app: Flask, client: FlaskClient, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    subscribe(app, post, poster)
    deliver(app)
    confirm_url = path_of(link_in(inbox.to(READER)[0], "/replies/confirm/"))
    assert client.get(confirm_url + "x").status_code == 404
    with app.app_context():
        subscriptions = get_mail().subscriptions
        subscription = db.session.scalars(select(ReplySubscription)).one()
        # An unsubscribe token is not a confirmation token (different salts).
        wrong_kind = subscriptions.unsubscribe_token(subscription)
    assert client.get(f"/replies/confirm/{wrong_kind}").status_code == 404
    token = hidden_fields(client.get(confirm_url).get_data(as_text=True))
    assert client.post(f"/replies/confirm/{wrong_kind}", data=token).status_code == 404
    # Without the page's CSRF token, the link's token alone confirms nothing.
    assert client.post(confirm_url).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(ReplySubscription.confirmed_at)) is None


def test_ticking_the_box_without_an_email_keeps_the_text_and_says_why(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    response = poster.post(post.slug, body="Tell me, but how?", notify_replies="y")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert textarea(page) == "Tell me, but how?"
    assert "please give your email address" in page
    assert NOTIFY_NEEDS_EMAIL.startswith("To be told of replies")
    (box,) = re.findall(r'<input[^>]*name="notify_replies"[^>]*>', page)
    assert re.search(r"\bchecked\b", box)  # still ticked, as the reader left it


def test_spam_never_sends_a_confirmation(
    app: Flask, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    poster.post(post.slug, email=READER, notify_replies="y", homepage_url="http://bot")
    deliver(app)
    assert inbox.to(READER) == []


def test_a_subscription_after_an_unsubscribed_one_gets_its_own_confirmation(
    app: Flask, client: FlaskClient, post: PostInfo, poster: CommentPoster, inbox: Inbox
) -> None:
    """SQLite gives the highest deleted id again: the new subscription is still confirmed."""
    ada = subscribe(app, post, poster)
    deliver(app)
    with app.app_context():
        first = db.session.scalars(select(ReplySubscription)).one()
        token = get_mail().subscriptions.unsubscribe_token(first)
    app.test_client().post(f"/replies/unsubscribe/{token}")

    response = poster.post(
        post.slug, author="Bea", body="Another view.", email="bea@example.org", notify_replies="y"
    )
    assert response.status_code == 303
    deliver(app)
    (confirmation,) = inbox.to("bea@example.org")
    with app.app_context():
        second = db.session.scalars(select(ReplySubscription)).one()
    assert second.id == first.id  # the reused id the outbox key must not be fooled by
    assert second.comment_id != ada.id
    assert "/replies/confirm/" in body_of(confirmation)
