"""The private moderation feed: pending comments at a secret URL the owner can rotate."""

from __future__ import annotations

import feedparser
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from support import PostInfo, add_comment

from blogengine.comments.contracts import Action, Status, Verdict
from blogengine.extensions import db
from blogengine.mail import get_mail
from blogengine.mail.models import SiteSecret


def rotate(runner: FlaskCliRunner) -> str:
    """`blogengine moderation-feed rotate`: the new URL's path."""
    result = runner.invoke(args=["moderation-feed", "rotate"])
    assert result.exit_code == 0, result.output
    url = result.output.splitlines()[0]
    assert url.startswith("http://blog.test/moderation/") and url.endswith(".atom")
    return url.removeprefix("http://blog.test")


def test_the_feed_lists_pending_comments_only(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, post: PostInfo
) -> None:
    add_comment(app, post.uid, "Published already.")
    add_comment(
        app,
        post.uid,
        "Wait for me.",
        author="Held Harry",
        email="harry@example.org",
        status=Status.PENDING,
        verdicts=(Verdict(Action.MODERATE, "2 links (more than 1)", "links"),),
    )
    add_comment(app, post.uid, "Cheap pills", status=Status.SPAM)
    path = rotate(runner)

    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    (entry,) = feed.entries
    assert entry.title == "Held Harry on “A post to talk about”"
    assert "Wait for me." in entry.content[0].value
    assert "links: 2 links (more than 1)" in entry.summary
    assert entry.link == "http://blog.test/posts/a-post"


def test_rotating_retires_the_old_url(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    old = rotate(runner)
    new = rotate(runner)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_no_feed_until_switched_on_and_after_switched_off(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        token = get_mail().feed_token
        assert not token.matches("")
        assert not token.matches("guess")
    path = rotate(runner)
    assert client.get(path.replace("/moderation/", "/moderation/x")).status_code == 404
    result = runner.invoke(args=["moderation-feed", "off"])
    assert "switched off" in result.output
    assert client.get(path).status_code == 404


def test_only_a_digest_of_the_token_is_stored(app: Flask, runner: FlaskCliRunner) -> None:
    token = rotate(runner).removeprefix("/moderation/").removesuffix(".atom")
    with app.app_context():
        stored = db.session.scalars(select(SiteSecret.digest)).one()
    assert token not in stored and len(stored) == 64
