"""Readers see only published posts whose date has come: drafts, trash and scheduled posts
are off the index, the feed and their own URL (and cannot be commented on)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import make_post

from blogengine.models import PostStatus
from blogengine.timeutil import utcnow


@pytest.fixture
def posts(app: Flask) -> None:
    with app.app_context():
        make_post("Out in the open", "open")
        make_post("A draft", "draft", status=PostStatus.DRAFT)
        make_post("In the bin", "binned", status=PostStatus.TRASH)
        make_post("Not yet", "later", published_at=utcnow() + timedelta(days=2))
        make_post("Earlier", "earlier", published_at=utcnow() - timedelta(days=2))


@pytest.mark.usefixtures("posts")
def test_index_and_feed_show_only_visible_posts(client: FlaskClient) -> None:
    for url in ("/", "/feed.atom"):
        page = client.get(url).get_data(as_text=True)
        assert "Out in the open" in page and "Earlier" in page
        for hidden in ("A draft", "In the bin", "Not yet"):
            assert hidden not in page, (url, hidden)


@pytest.mark.usefixtures("posts")
@pytest.mark.parametrize("slug", ["draft", "binned", "later"])
def test_hidden_posts_are_404_everywhere_for_readers(client: FlaskClient, slug: str) -> None:
    assert client.get(f"/posts/{slug}").status_code == 404
    assert client.get(f"/posts/{slug}/comments.atom").status_code == 404
    sent = client.post(f"/posts/{slug}/comments", data={"author": "A", "body": "Hello"})
    assert sent.status_code in (400, 404)  # CSRF is on: no form, no post either way


@pytest.mark.usefixtures("posts")
def test_visible_posts_open(client: FlaskClient) -> None:
    assert client.get("/posts/open").status_code == 200
    assert client.get("/posts/earlier").status_code == 200


def test_a_scheduled_post_appears_when_its_time_comes(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        from blogengine.extensions import db
        from blogengine.models import Post

        post = make_post("Soon", "soon", published_at=utcnow() + timedelta(hours=1))
        assert client.get("/posts/soon").status_code == 404
        post.published_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert db.session.get(Post, post.id) is not None
    assert client.get("/posts/soon").status_code == 200
