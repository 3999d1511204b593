"""Control characters a reader's client sends are dropped, so every feed stays well-formed XML.

A NUL or a vertical tab in a comment once made the post's comments feed invalid XML for good,
and on PostgreSQL (which refuses NUL in text) made the store fail every time it was retried.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from support import CommentPoster, PostInfo, add_post, app_in_postgres_schema

from blogengine.comments import get_service
from blogengine.comments.contracts import Status, StoredComment
from blogengine.comments.forms import without_controls

POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")

#: One of each kind the form drops, between words the reader typed on purpose.
DROPPED = "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f\x80\x85\x9f\ufffe\uffff"
TYPED = {
    "author": "Zo\x00ë\x0b O'Brien",
    "email": "zoe\x00@example.org",
    "website": "https://zoe.example.org/\x0b",
    "body": f"Line\x0bone\x00 – café\r\nTab\there{DROPPED}.\r\n\r\n“Kept” 😀 \ufffd",
}
CLEAN = {
    "author": "Zoë O'Brien",
    "email": "zoe@example.org",
    "website": "https://zoe.example.org/",
    "body": "Lineone – café\nTab\there.\n\n“Kept” 😀 \ufffd",
}


def test_the_filter_drops_only_controls_and_noncharacters() -> None:
    assert without_controls(DROPPED) == ""
    kept = "\t\n Zoë – “x” \u00a0\u00a0\u200b\ufffd\ufffd 😀 \U0010fffd"
    assert without_controls(kept) == kept
    assert without_controls(None) is None


def published(app: Flask, post_uid: str) -> list[StoredComment]:
    with app.app_context():
        return get_service().store.list_for_post(post_uid, status=Status.APPROVED)


def assert_feed_well_formed(poster: CommentPoster, slug: str) -> feedparser.FeedParserDict:
    response = poster.client.get(f"/posts/{slug}/comments.atom")
    assert response.status_code == 200
    raw = response.get_data()
    ET.fromstring(raw)  # raises ParseError on a control character
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def test_a_comment_with_controls_is_stored_clean_and_the_feed_parses(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    response = poster.post(post.slug, **TYPED)
    assert response.status_code == 303
    [comment] = published(app, post.uid)
    assert (comment.author, comment.email, comment.website, comment.body) == (
        CLEAN["author"],
        CLEAN["email"],
        CLEAN["website"],
        CLEAN["body"],
    )
    feed = assert_feed_well_formed(poster, post.slug)
    [entry] = feed.entries
    assert entry.author == CLEAN["author"]
    assert "Tab\there." in entry.content[0].value


def test_a_comment_of_nothing_but_controls_is_blank(
    app: Flask, post: PostInfo, poster: CommentPoster
) -> None:
    response = poster.post(post.slug, author="\x00\x0b", body="\x00\x0b\x7f")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please enter your name." in page
    assert "Please write a comment." in page
    with app.app_context():
        assert get_service().store.list_for_post(post.uid, status=None) == []


@pytest.fixture
def postgres_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app on PostgreSQL, in a schema of its own that is dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("set BLOGENGINE_TEST_POSTGRES_URL to test comments on PostgreSQL")
    with app_in_postgres_schema(POSTGRES_URL, tmp_path, monkeypatch) as app:
        yield app


@pytest.mark.postgres
def test_a_nul_in_a_comment_is_published_on_postgresql(postgres_app: Flask) -> None:
    post = add_post(postgres_app, "On PostgreSQL", "on-pg")
    poster = CommentPoster(postgres_app.test_client())
    response = poster.post(post.slug, **TYPED)
    assert response.status_code == 303, "stored, not a 503 the reader retries for ever"
    [comment] = published(postgres_app, post.uid)
    assert comment.body == CLEAN["body"]
    assert comment.author == CLEAN["author"]
    assert_feed_well_formed(poster, post.slug)
