"""The desk's posts: writing with a preview, drafts, publishing, scheduling, slugs, the trash."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from desk_support import csrf_of, make_owner, sign_in, text
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from support import PostInfo, add_comment, add_post, textarea
from test_queries import statements_for

from blogengine.comments import get_service
from blogengine.comments.contracts import Status
from blogengine.extensions import db
from blogengine.models import Post, PostSlug, PostStatus
from blogengine.rendering import markdown_html

BODY = "Some **bold** words.\n\n```\ncode\n```\n\n<script>alert(1)</script>"


@pytest.fixture
def owner_client(app: Flask, client: FlaskClient) -> FlaskClient:
    make_owner(app)
    assert sign_in(client).status_code == 303
    return client


def write(client: FlaskClient, action: str, url: str = "/admin/posts/new", **fields: Any) -> Any:
    form = csrf_of(client, url)
    form.update({"title": "A new post", "body": BODY, "action": action, "comments_open": "y"})
    form.update(fields)
    return client.post(url, data=form)


def the_post(app: Flask, slug: str) -> Post:
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.slug == slug))
        assert post is not None
        db.session.expunge(post)
        return post


def post_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post)) or 0


def reader_sees(client: FlaskClient, slug: str) -> tuple[int, bool, bool]:
    """(the post URL's status, on the index, in the feed) for a reader."""
    status = client.get(f"/posts/{slug}").status_code
    index = f'href="/posts/{slug}"' in text(client.get("/"))
    feed = f"/posts/{slug}" in text(client.get("/feed.atom"))
    return status, index, feed


def future(days: int = 3) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)


def test_preview_renders_like_the_site_and_saves_nothing(
    app: Flask, owner_client: FlaskClient
) -> None:
    answer = write(owner_client, "preview")
    assert answer.status_code == 200
    page = text(answer)
    assert markdown_html(BODY) in page, "the same pipeline as the site"
    assert "<strong>bold</strong>" in page and "<script>alert" not in page
    assert textarea(page) == BODY, "the text stays in the form"
    assert post_count(app) == 0


def test_a_draft_is_the_owners_only_until_published(app: Flask, owner_client: FlaskClient) -> None:
    answer = write(owner_client, "draft")
    assert answer.status_code == 303
    post = the_post(app, "a-new-post")
    assert post.status == PostStatus.DRAFT
    edit_url = answer.headers["Location"]
    assert edit_url == f"/admin/posts/{post.id}"
    assert "Saved as a draft" in text(owner_client.get(edit_url))
    reader = app.test_client()
    assert reader_sees(reader, "a-new-post") == (404, False, False)
    listing = text(owner_client.get("/admin/posts"))
    assert "A new post" in listing and 'class="status status-draft">draft' in listing
    answer = write(owner_client, "publish", edit_url)
    assert answer.status_code == 303
    assert the_post(app, "a-new-post").status == PostStatus.PUBLISHED
    assert reader_sees(reader, "a-new-post") == (200, True, True)
    page = text(reader.get("/posts/a-new-post"))
    assert "<strong>bold</strong>" in page


def test_a_scheduled_post_stays_hidden_until_its_date(
    app: Flask, owner_client: FlaskClient
) -> None:
    when = future()
    answer = write(owner_client, "schedule", published_at=when.strftime("%Y-%m-%dT%H:%M"))
    assert answer.status_code == 303
    post = the_post(app, "a-new-post")
    assert (post.status, post.published_at) == (PostStatus.PUBLISHED, when)
    assert reader_sees(app.test_client(), "a-new-post") == (404, False, False)
    assert "status-scheduled" in text(owner_client.get("/admin/posts?show=scheduled"))
    # The date comes: readers see it.
    with app.app_context():
        db.session.get(Post, post.id).published_at = datetime.now(UTC) - timedelta(minutes=1)  # type: ignore[union-attr]
        db.session.commit()
    assert reader_sees(app.test_client(), "a-new-post") == (200, True, True)


def test_scheduling_needs_a_date_still_to_come_and_keeps_the_text(
    app: Flask, owner_client: FlaskClient
) -> None:
    answer = write(owner_client, "schedule", published_at="2001-01-01T10:00")
    assert answer.status_code == 422
    page = text(answer)
    assert "give a date and time still to come" in page
    assert textarea(page) == BODY
    assert post_count(app) == 0


def test_an_empty_title_is_marked_and_the_text_kept(app: Flask, owner_client: FlaskClient) -> None:
    answer = write(owner_client, "publish", title="")
    assert answer.status_code == 422
    assert 'id="title-error"' in text(answer)
    assert textarea(text(answer)) == BODY
    assert post_count(app) == 0


def test_editing_title_excerpt_date_and_a_new_slug_that_redirects(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    url = f"/admin/posts/{post.id}"
    answer = write(
        owner_client,
        "save",
        url,
        title="A better title",
        slug="better-slug",
        excerpt="Hand-made summary.",
        published_at="2020-05-06T07:08",
    )
    assert answer.status_code == 303, text(answer)
    edited = the_post(app, "better-slug")
    assert edited.title == "A better title"
    assert edited.excerpt == "Hand-made summary."
    assert edited.published_at == datetime(2020, 5, 6, 7, 8, tzinfo=UTC)
    reader = app.test_client()
    moved = reader.get(f"/posts/{post.slug}")
    assert moved.status_code == 301
    assert moved.headers["Location"] == "/posts/better-slug"
    assert reader.get("/posts/better-slug").status_code == 200
    # Back to the first slug: no loop, and the second one now redirects.
    write(owner_client, "save", url, title="A better title", slug=post.slug)
    assert reader.get(f"/posts/{post.slug}").status_code == 200
    assert reader.get("/posts/better-slug").headers["Location"] == f"/posts/{post.slug}"
    with app.app_context():
        assert db.session.scalars(select(PostSlug.slug)).all() == ["better-slug"]


def test_a_bad_or_taken_slug_is_refused(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    add_post(app, "Other", "other")
    url = f"/admin/posts/{post.id}"
    for slug, says in [
        ("Not A Slug!", "is not usable"),
        ("other", "a post with slug &#39;other&#39;"),
    ]:
        answer = write(owner_client, "save", url, slug=slug)
        assert answer.status_code == 422
        assert says in text(answer)
    assert the_post(app, post.slug).title == post.title


def test_closed_comments_show_so_and_a_post_is_refused_with_its_text(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    reader = app.test_client()
    form_page = text(reader.get(f"/posts/{post.slug}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page)
    assert token is not None
    url = f"/admin/posts/{post.id}"
    form = csrf_of(owner_client, url)
    form.update({"title": post.title, "body": "x", "action": "save"})  # comments_open unticked
    assert owner_client.post(url, data=form).status_code == 303
    page = text(reader.get(f"/posts/{post.slug}"))
    assert "Comments are closed." in page and "Post comment" not in page
    typed = "My reply, typed before the owner closed comments."
    answer = reader.post(
        f"/posts/{post.slug}/comments",
        data={"csrf_token": token.group(1), "author": "Ada", "body": typed},
    )
    assert answer.status_code == 403
    assert "Comments on this post are closed." in text(answer)
    assert textarea(text(answer)) == typed
    with app.app_context():
        assert get_service().store.list_for_post(post.uid, None) == []


def test_trash_restore_and_delete_for_good_only_with_the_comment_count(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    add_comment(app, post.uid, "approved one")
    add_comment(app, post.uid, "held one", status=Status.PENDING)
    url = f"/admin/posts/{post.id}"
    # Not from outside the trash.
    page = text(owner_client.get(f"{url}/delete"))
    assert "Only a post in the trash can be deleted for good" in page

    answer = owner_client.post(f"{url}/trash", data=csrf_of(owner_client, url))
    assert answer.status_code == 303
    assert the_post(app, post.slug).status == PostStatus.TRASH
    assert app.test_client().get(f"/posts/{post.slug}").status_code == 404
    assert post.title in text(owner_client.get("/admin/posts?show=trash"))
    assert post.title not in text(owner_client.get("/admin/posts"))

    owner_client.post(f"{url}/restore", data=csrf_of(owner_client, url))
    assert the_post(app, post.slug).status == PostStatus.DRAFT
    owner_client.post(f"{url}/trash", data=csrf_of(owner_client, url))

    page = text(owner_client.get(f"{url}/delete"))
    assert "It has 2 comments" in page
    for wrong in ("", "1"):
        form = csrf_of(owner_client, f"{url}/delete") | {"comments": wrong}
        answer = owner_client.post(f"{url}/delete", data=form)
        assert answer.status_code == 422
        assert "Nothing was deleted: type 2" in text(answer)
    assert post_count(app) == 1
    form = csrf_of(owner_client, f"{url}/delete") | {"comments": "2"}
    answer = owner_client.post(f"{url}/delete", data=form)
    assert answer.status_code == 303
    assert post_count(app) == 0
    with app.app_context():
        assert get_service().store.list_for_post(post.uid, None) == []


def test_the_list_shows_every_status_with_comment_counts(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    add_comment(app, post.uid, "one")
    add_comment(app, post.uid, "two")
    add_comment(app, post.uid, "held", status=Status.PENDING)
    write(owner_client, "draft", title="Draft one")
    page = text(owner_client.get("/admin/posts"))
    assert "A post to talk about" in page and "Draft one" in page
    assert re.search(r"<td>2 <a [^>]*>\+1 pending</a></td>", page)
    for label, count in (("All", 2), ("Published", 1), ("Drafts", 1), ("Trash", 0)):
        assert re.search(rf">{label} <span class=\"count\">\({count}\)</span>", page), label


def test_the_list_costs_the_same_statements_for_1_or_4_posts(
    app: Flask, owner_client: FlaskClient, post: PostInfo
) -> None:
    one = statements_for(app, owner_client, "/admin/posts")
    for n in range(3):
        add_post(app, f"Post {n}", f"post-{n}")
    four = statements_for(app, owner_client, "/admin/posts")
    assert len(one) == len(four)
