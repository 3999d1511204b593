"""The Atom feeds: valid, absolute, stable ids, and readers' text escaped."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import PostInfo, add_comment, add_post

from blogengine.comments.contracts import Status

BASE = "http://blog.test"


def fetch(client: FlaskClient, url: str) -> tuple[str, feedparser.FeedParserDict]:
    """The feed's raw XML and its parse; a feed that does not parse cleanly fails here."""
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    raw = response.get_data(as_text=True)
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return raw, parsed


@pytest.fixture
def posts(app: Flask) -> list[PostInfo]:
    return [
        add_post(
            app,
            "America Loses Another Bit of Leverage",
            "leverage",
            author="Hillary Mann Leverett",
            publication="The Washington Note",
            signature="— Hillary Mann Leverett",
            published_at=datetime(2008, 12, 8, 9, 30, tzinfo=UTC),
            paragraphs=["Monday’s news & more.", "Second <paragraph>."],
        ),
        add_post(app, "Undated <draft> notes", "undated", author=None),
    ]


def test_posts_feed_is_atom_with_absolute_links_and_authors(client, posts):
    raw, feed = fetch(client, "/feed.atom")

    assert feed.feed.title == "blogengine"
    assert feed.feed.id == f"{BASE}/feed.atom"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": f"{BASE}/feed.atom", "alternate": f"{BASE}/"}
    assert [e.title for e in feed.entries] == ["Undated <draft> notes", posts[0].title]

    undated, dated = feed.entries
    assert dated.link == f"{BASE}/posts/leverage"
    assert dated.author == "Hillary Mann Leverett"
    assert dated.published == "2008-12-08T09:30:00Z"
    assert dated.updated.endswith("Z")
    assert dated.id.startswith("tag:blog.test,")
    assert dated.id.endswith(f":post:{posts[0].uid}")
    assert dated.content[0].type == "text/html"
    html = dated.content[0].value
    assert "<p>Monday’s news &amp; more.</p><p>Second &lt;paragraph&gt;.</p>" in html
    assert "— Hillary Mann Leverett" in html, "the signature belongs to the article"

    assert "published" not in undated, "an undated post claims no publication date"
    assert undated.updated.endswith("Z"), "its <updated> comes from when it was stored"
    assert "author" not in undated
    assert feed.feed.author == "blogengine", "an entry without an author inherits the feed's"
    assert '<title type="text">Undated &lt;draft&gt; notes</title>' in raw


def test_entry_ids_are_stable_across_requests_and_titles(app, client, posts):
    _, before = fetch(client, "/feed.atom")
    with app.app_context():
        from blogengine.extensions import db
        from blogengine.models import Post

        post = db.session.get(Post, posts[0].id)
        assert post is not None
        post.title = "A corrected title"
        db.session.commit()
    _, after = fetch(client, "/feed.atom")
    assert {e.id for e in before.entries} == {e.id for e in after.entries}


def test_an_empty_blog_has_a_valid_feed(client):
    _, feed = fetch(client, "/feed.atom")
    assert feed.entries == []
    assert feed.feed.updated.endswith("Z")


def test_comments_feed_lists_approved_comments_newest_first(app, client, posts):
    post = posts[0]
    add_comment(app, post.uid, author="Ada", body="First!", website="https://ada.example")
    add_comment(app, post.uid, author="Spammer", body="Buy now", status=Status.SPAM)
    add_comment(app, post.uid, author="Grace", body="Second line\nkept.")

    raw, feed = fetch(client, f"/posts/{post.slug}/comments.atom")

    assert feed.feed.title == f"Comments on “{post.title}”"
    assert feed.feed.id == f"{BASE}/posts/{post.slug}/comments.atom"
    assert feed.feed.link == f"{BASE}/posts/{post.slug}#comments"
    assert [e.author for e in feed.entries] == ["Grace", "Ada"]
    grace, ada = feed.entries
    # Spam gets no number (numbers are given on publish); links go through the permalink
    # route, which finds the page of comments that holds the comment.
    assert grace.link == f"{BASE}/posts/{post.slug}/comments/2"
    assert ada.link == f"{BASE}/posts/{post.slug}/comments/1"
    assert ada.author_detail.href == "https://ada.example"
    assert grace.title == "Comment 2 by Grace"
    assert grace.content[0].value == "<p>Second line<br />kept.</p>"
    assert grace.id.startswith("tag:blog.test,") and ":comment:" in grace.id
    assert "Buy now" not in raw
    assert "e@x.org" not in raw, "emails are never published"


def test_readers_markup_in_a_feed_is_escaped_text(app, client, posts):
    add_comment(app, posts[1].uid, author="<b>x</b>", body="<script>alert(1)</script>")

    raw, feed = fetch(client, f"/posts/{posts[1].slug}/comments.atom")

    assert "<script" not in raw
    assert "<b>" not in raw
    assert "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;" in raw, "text inside HTML"
    [entry] = feed.entries
    assert entry.author == "<b>x</b>"
    assert entry.content[0].value == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_atom_templates_are_autoescaped(app):
    assert app.jinja_env.autoescape("feeds/posts.atom") is True
    assert app.jinja_env.autoescape("post.html") is True
    assert app.jinja_env.autoescape("notes.txt") is False


def test_pages_point_to_their_feeds(client, posts):
    index = client.get("/").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in index
    assert 'href="/feed.atom"' in index
    page = client.get(f"/posts/{posts[0].slug}").get_data(as_text=True)
    assert f'href="/posts/{posts[0].slug}/comments.atom"' in page


def test_a_feed_for_an_unknown_post_is_404(client):
    assert client.get("/posts/nothing-here/comments.atom").status_code == 404
