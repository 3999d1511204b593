"""Readers' pages that can be cached: ETag/Last-Modified and 304, the page cache, no leaks.

Every change a reader can see (a new comment, a moderation, an edit of the post) must show on
the very next read, in this process and in another one sharing the database; the per-reader
parts of the comment form must never pass from one reader to another through the cache.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import CommentPoster, PostInfo, add_comment, add_post, build_app, hidden_fields
from test_captcha import solve

from blogengine.comments import get_service
from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.timeutil import utcnow

READER_PAGES = ["/", "/feed.atom", "/posts/a-post", "/posts/a-post/comments.atom"]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"CACHE_TYPE": "SimpleCache"}


def comment_count(client: FlaskClient, slug: str = "a-post") -> int:
    page = client.get(f"/posts/{slug}").get_data(as_text=True)
    return len(re.findall(r'<li id="comment-\d+"', page))


@pytest.mark.parametrize("url", READER_PAGES)
def test_reader_pages_answer_a_matching_conditional_get_with_304(app, post, client, url):
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "Set-Cookie" not in first.headers

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("url", READER_PAGES)
def test_a_new_comment_changes_every_reader_page_s_etag(app, post, client, url):
    before = client.get(url).headers["ETag"]
    add_comment(app, post.uid, "Something new to say.")
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert after.headers["ETag"] != before


def test_a_new_comment_through_the_form_is_on_the_next_read(app, post, client, poster):
    assert comment_count(client) == 0  # now cached
    assert poster.post(post.slug, body="Posted through the form.").status_code == 303
    reader = app.test_client()  # another reader, no session: the cached path
    page = reader.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Posted through the form." in page
    assert "1 comment" in reader.get("/").get_data(as_text=True)


def test_a_moderation_is_on_the_next_read(app, post, client):
    held = add_comment(app, post.uid, "Held for the owner.", status=Status.PENDING)
    assert "Held for the owner." not in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "No comments yet" in client.get("/").get_data(as_text=True)

    with app.app_context():
        get_service().moderate(held.id, Status.APPROVED)
    assert "Held for the owner." in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "1 comment" in client.get("/").get_data(as_text=True)

    with app.app_context():
        get_service().moderate(held.id, Status.SPAM)
    assert "Held for the owner." not in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "No comments yet" in client.get("/").get_data(as_text=True)


def test_a_deleted_comment_is_gone_on_the_next_read(app, post, client, runner):
    shown = add_comment(app, post.uid, "Soon deleted for good.")
    assert comment_count(client) == 1
    result = runner.invoke(args=["comments", "delete", "--purge", shown.id], input="y\n")
    assert result.exit_code == 0, result.output
    assert comment_count(client) == 0


def test_an_edit_of_the_post_is_on_the_next_read(app, post, client):
    before = client.get(f"/posts/{post.slug}")
    index_before = client.get("/").headers["ETag"]
    with app.app_context():
        edited = db.session.get(Post, post.id)
        assert edited is not None
        edited.title = "A better title"
        edited.comments_open = False
        db.session.commit()
    after = client.get(f"/posts/{post.slug}", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    page = after.get_data(as_text=True)
    assert "A better title" in page and "Comments are closed." in page
    assert "A better title" in client.get("/").get_data(as_text=True)
    assert client.get("/").headers["ETag"] != index_before


def test_a_post_that_leaves_the_site_leaves_the_cached_index(app, post, client):
    add_post(app, "Second post", "second")
    assert "Second post" in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.session.delete(db.session.scalars(db.select(Post).where(Post.slug == "second")).one())
        db.session.commit()
    assert "Second post" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"CACHE_TYPE": "SimpleCache", "COMMENTS_CAPTCHA": "math"}])
def test_two_readers_never_share_their_form_parts(app, post):
    """The cached page is filled per reader: own token, own submission key, own CAPTCHA."""
    first, second = app.test_client(), app.test_client()
    pages = [c.get(f"/posts/{post.slug}") for c in (first, second)]
    forms = [hidden_fields(p.get_data(as_text=True)) for p in pages]
    assert pages[0].headers["ETag"] == pages[1].headers["ETag"], "the same cached page"
    for field in ("csrf_token", "submission_key", "captcha_token"):
        assert forms[0][field] and forms[1][field], field
        assert forms[0][field] != forms[1][field], field
    for page in pages:
        assert not re.search(r"slot[0-9a-f]{28}", page.get_data(as_text=True)), "no stand-in left"
        assert page.headers["Cache-Control"] == "private, no-cache"
        assert "Set-Cookie" not in page.headers

    # Both can send their form: neither reader's token was handed to the other.
    readers = zip((first, second), pages, forms, ("One", "Two"), strict=True)
    for client, page, form, name in readers:
        form.update(solve(page.get_data(as_text=True)), author=name, body=f"{name} says hi.")
        assert client.post(f"/posts/{post.slug}/comments", data=form).status_code == 303
    assert comment_count(app.test_client()) == 2


def test_a_page_for_a_reader_with_a_notice_is_theirs_alone(app, post, poster):
    sent = poster.post(post.slug, body="Mine.")
    assert sent.status_code == 303
    mine = poster.client.get(f"/posts/{post.slug}")
    assert "your comment is published" in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-store"
    other = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "your comment is published" not in other, "a notice never reaches the cache"


def test_another_process_sees_a_change_on_its_next_read(
    app: Flask, post: PostInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps on one database, each with its own in-process cache (two gunicorn workers)."""
    other = build_app(tmp_path, monkeypatch, CACHE_TYPE="SimpleCache")
    reader = other.test_client()
    assert "No comments yet" in reader.get(f"/posts/{post.slug}").get_data(as_text=True)
    CommentPoster(app.test_client()).post(post.slug, body="Written in the first process.")
    page = reader.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "Written in the first process." in page


def test_a_scheduled_post_appears_in_the_cached_index_when_its_time_comes(
    app: Flask, post: PostInfo, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No write happens when a scheduled post's time comes: the stamp must see it anyway."""
    from blogengine import blog, freshness

    later = utcnow() + timedelta(hours=1)
    add_post(app, "Scheduled for later", "later", published_at=later)
    first = client.get("/")
    assert "Scheduled for later" not in first.get_data(as_text=True)
    for module in (blog, freshness):
        monkeypatch.setattr(module, "utcnow", lambda: later + timedelta(minutes=1))
    again = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Scheduled for later" in again.get_data(as_text=True)


# -- thread's pages of comments, reply forms and author links meet the cache ------------------
def test_an_author_links_reader_is_never_served_or_fills_the_cache(app, post, runner):
    anonymous = app.test_client()
    assert "You are this post’s author" not in anonymous.get(f"/posts/{post.slug}").get_data(
        as_text=True
    )  # the anonymous page is now cached
    result = runner.invoke(args=["posts", "author-link", post.slug])
    [path] = [line for line in result.output.splitlines() if line.startswith("/posts/")]
    author = app.test_client()
    assert author.get(path).status_code == 303
    theirs = author.get(f"/posts/{post.slug}")
    assert "You are this post’s author" in theirs.get_data(as_text=True), "not the cached page"
    assert theirs.headers["Cache-Control"] == "private, no-store"
    again = app.test_client().get(f"/posts/{post.slug}").get_data(as_text=True)
    assert "You are this post’s author" not in again, "the mark never reaches the cache"


def test_a_remember_me_cookie_alone_is_not_an_anonymous_reader(app, post):
    reader = app.test_client()
    reader.set_cookie("remember_token", "anything", domain="blog.test")
    response = reader.get(f"/posts/{post.slug}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("app_config", [{"CACHE_TYPE": "SimpleCache", "COMMENTS_PER_PAGE": 2}])
def test_each_page_of_comments_is_cached_apart(app, post):
    for n in range(5):
        add_comment(app, post.uid, f"Comment number {n} here.")
    reader = app.test_client()
    for _ in range(2):  # the second round comes from the cache
        first = reader.get(f"/posts/{post.slug}").get_data(as_text=True)
        second = reader.get(f"/posts/{post.slug}?cpage=2").get_data(as_text=True)
        assert "Comment number 0 here." in first and "Comment number 0 here." not in second
        assert "Comment number 2 here." in second and "Comment number 2 here." not in first


def test_a_reply_form_is_rendered_for_its_reader_and_never_kept(app, post):
    add_comment(app, post.uid, "Answer me.")
    reader = app.test_client()
    plain = reader.get(f"/posts/{post.slug}")
    assert plain.headers["Cache-Control"] == "private, no-cache"  # cached, filled per reader
    reply = reader.get(f"/posts/{post.slug}?replyto=1")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "private, no-store"
    assert 'name="replyto"' in reply.get_data(as_text=True)
    assert "Replying to" in reply.get_data(as_text=True)
    assert "Replying to" not in reader.get(f"/posts/{post.slug}").get_data(as_text=True)
