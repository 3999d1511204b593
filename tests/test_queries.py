"""Reading a page costs the same number of SQL statements however many posts or comments it has.

A query per post or per comment (an N+1) would make a popular page slow; these tests count the
statements sent to the app's engine and insist that 1 post and 30, or 0 comments and 50, cost
exactly the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from support import make_post

from blogengine.comments import get_service
from blogengine.comments.contracts import CommentDraft, NewComment, Status
from blogengine.extensions import db
from blogengine.rendering import comment_html
from blogengine.timeutil import utcnow


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_for(app: Flask, client: FlaskClient, url: str) -> list[str]:
    """The statements one GET of ``url`` runs (after a warm-up request, so caches are even)."""
    assert client.get(url).status_code == 200
    with counting_statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    assert statements, "the page reads the database, so something must be counted"
    return statements


def add_posts(app: Flask, count: int, start: int = 0) -> list[str]:
    """``count`` posts, each with two approved comments; returns their slugs.

    Each write gets its own app context: db.session's open read snapshot must not outlive
    the store's own writes, or SQLite refuses db.session's next write.
    """
    slugs = []
    for n in range(start, start + count):
        with app.app_context():
            post = make_post(title=f"Post {n}", slug=f"post-{n}")
            uid, slug = post.uid, post.slug
        with app.app_context():
            add_comments(uid, 2)
        slugs.append(slug)
    return slugs


def add_comments(post_uid: str, count: int) -> None:
    """Approved comments for a post (needs an app context)."""
    store = get_service().store
    for n in range(count):
        body = f"Comment {n} with a link https://example.org/{n}\nand a second line."
        store.add(
            NewComment(
                draft=CommentDraft(
                    post_id=post_uid,
                    author=f"Reader {n}",
                    body=body,
                    website=f"https://reader{n}.example",
                    email=f"reader{n}@example.org",
                ),
                status=Status.APPROVED,
                body_html=comment_html(body),
                created_at=utcnow(),
            )
        )


@pytest.mark.parametrize("url", ["/", "/feed.atom"])
def test_the_index_and_feed_cost_the_same_for_1_post_or_30(app, client, url):
    add_posts(app, 1)
    one = statements_for(app, client, url)

    add_posts(app, 29, start=1)
    thirty = statements_for(app, client, url)

    assert len(thirty) == len(one), "\n".join(thirty)


@pytest.mark.parametrize("suffix", ["", "/comments.atom"])
def test_a_post_costs_the_same_with_0_comments_or_50(app, client, suffix):
    with app.app_context():
        post = make_post(title="Busy", slug="busy")
        uid = post.uid
    url = f"/posts/busy{suffix}"
    none = statements_for(app, client, url)

    with app.app_context():
        add_comments(uid, 50)
    page = client.get(url).get_data(as_text=True)
    assert "Reader 49" in page, "the comments are really there"
    fifty = statements_for(app, client, url)

    assert len(fifty) == len(none), "\n".join(fifty)


def test_index_comment_counts_come_from_one_query(app, client):
    add_posts(app, 12)
    statements = statements_for(app, client, "/")
    from_comments = [s for s in statements if "FROM comments" in s]
    assert len(from_comments) == 1, from_comments


def add_threads(post_uid: str, count: int) -> None:
    """``count`` published comments in one batch: every third answers the one before it."""
    store = get_service().store
    comments = store.add_many([new_reader_comment(post_uid, n) for n in range(count)])
    replies = [
        NewComment(
            draft=CommentDraft(
                post_id=post_uid, author="Replier", body=f"Answer {n}", parent_id=comments[n].id
            ),
            status=Status.APPROVED,
            body_html=comment_html(f"Answer {n}"),
            created_at=utcnow(),
        )
        for n in range(0, count, 3)
    ]
    store.add_many(replies)


def new_reader_comment(post_uid: str, n: int) -> NewComment:
    body = f"Comment {n} with a link https://example.org/{n}"
    return NewComment(
        draft=CommentDraft(post_id=post_uid, author=f"Reader {n}", body=body),
        status=Status.APPROVED,
        body_html=comment_html(body),
        created_at=utcnow(),
    )


@pytest.mark.parametrize("url", ["/posts/busy", "/posts/busy?cpage=2", "/posts/busy?replyto=3"])
def test_a_page_of_comments_costs_the_same_at_11_or_thousands(app, client, url):
    """Pages of whole threads: 11 comments or 4,000 (3,000 threads and their replies)."""
    app.config["COMMENTS_PER_PAGE"] = 5
    with app.app_context():
        small = make_post(title="Small", slug="small").uid
        busy = make_post(title="Busy", slug="busy").uid
    with app.app_context():
        add_threads(small, 8)  # 8 threads, 3 replies: 11 comments, two pages
    few = statements_for(app, client, url.replace("busy", "small"))

    with app.app_context():
        add_threads(busy, 3_000)
    many = statements_for(app, client, url)
    html = client.get(url).get_data(as_text=True)
    assert html.count('class="comment ') >= 5 and "Page " in html, "the page is really there"

    assert len(many) == len(few), "\n".join(many)


def test_a_permalink_costs_the_same_at_11_or_thousands(app, client):
    app.config["COMMENTS_PER_PAGE"] = 5
    with app.app_context():
        small = make_post(title="Small", slug="small").uid
        busy = make_post(title="Busy", slug="busy").uid
    with app.app_context():
        add_threads(small, 8)
        add_threads(busy, 3_000)

    def redirect_statements(url: str) -> list[str]:
        with counting_statements(app) as statements:
            assert client.get(url).status_code == 302
        return statements

    few = redirect_statements("/posts/small/comments/11")
    many = redirect_statements("/posts/busy/comments/3900")
    assert len(many) == len(few), "\n".join(many)
