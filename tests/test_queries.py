"""Reading a page costs the same number of SQL statements however many posts or comments it has.

A query per post or per comment (an N+1) would make a popular page slow; these tests count the
statements sent to the app's engine and insist that 1 post and 30, or 0 comments and 50, or 10
posts and 10,000 (page 1 and page 500), cost exactly the same. The page cache is off here
(NullCache) so every read renders; the cached read is counted on its own at the end.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, text
from support import CommentPoster, app_in_postgres_schema, make_post

from blogengine.blog import newest_first
from blogengine.comments import get_service
from blogengine.comments.contracts import CommentDraft, NewComment, Status
from blogengine.extensions import db
from blogengine.freshness import own_connections
from blogengine.models import Post
from blogengine.rendering import comment_html
from blogengine.timeutil import utcnow


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement SQLite runs for the app inside the block, whoever sends it (the ORM,
    Core, or the page cache's stamp query on its own DBAPI connection): SQLite's own trace."""
    statements: list[str] = []

    def trace(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.set_trace_callback(statements.append)

    def untrace(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.set_trace_callback(None)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", trace)
    event.listen(engine, "checkin", untrace)
    kept = own_connections(app)  # the stamp query's own connection, out of the pool for good
    for conn in kept:
        conn.set_trace_callback(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine, "checkout", trace)
        event.remove(engine, "checkin", untrace)
        for conn in kept:
            conn.set_trace_callback(None)


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


def test_index_comment_counts_come_from_one_query_of_the_kept_counts(app, client):
    add_posts(app, 12)
    statements = statements_for(app, client, "/")
    counted = [s for s in statements if "FROM comment_counters" in s]
    assert len(counted) == 1, statements
    assert not [s for s in statements if re.search(r"FROM comments\b", s)], "no comment is read"
    assert "2 comments" in client.get("/").get_data(as_text=True)


def add_bare_posts(app: Flask, count: int) -> None:
    """``count`` posts in one executemany (no comments): a 10,000-post site in a second."""
    start = utcnow() - timedelta(days=count)
    rows = [
        {
            "uid": f"{n:032x}",
            "slug": f"bulk-{n}",
            "title": f"Bulk post {n}",
            "body_format": "text",
            "body_source": "Text.",
            "body_html": "<p>Text.</p>",
            "excerpt": "Text.",
            "published_at": start + timedelta(days=n),
        }
        for n in range(count)
    ]
    with app.app_context():
        db.session.execute(insert(Post), rows)
        db.session.commit()


def test_the_index_costs_the_same_at_10_posts_and_10000_on_page_1_and_500(app, client):
    add_posts(app, 10)
    small = statements_for(app, client, "/")
    assert "Post 9" in client.get("/").get_data(as_text=True)

    add_bare_posts(app, 10_000 - 10)
    first = statements_for(app, client, "/")
    far = statements_for(app, client, "/?page=500")
    page = client.get("/?page=500").get_data(as_text=True)
    assert "page 500 of 1,000" in page.replace("1000", "1,000")
    assert page.count('class="post-summary"') == 10
    assert len(first) == len(small) == len(far), "\n".join(far)


def test_the_index_order_is_read_from_an_index_not_sorted(app):
    """SQLite's plan for the page's ids: no temporary sort of every post."""
    add_bare_posts(app, 50)
    with app.app_context():
        ids = (
            db.select(Post.id)
            .where(Post.visible_to_readers(utcnow()))
            .order_by(*newest_first())
            .limit(10)
            .offset(4990)
        )
        compiled = ids.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    details = " / ".join(str(row[-1]) for row in plan)
    assert "ix_posts_sort" in details, details
    assert "TEMP B-TREE" not in details, details


@pytest.mark.parametrize("app_config", [{"CACHE_TYPE": "SimpleCache"}])
@pytest.mark.parametrize("url", ["/", "/posts/post-0", "/feed.atom", "/posts/post-0/comments.atom"])
def test_a_cached_read_costs_one_statement(app, client, url):
    """From the page cache, a page costs the query that finds its stamp, nothing else."""
    add_posts(app, 3)
    statements = statements_for(app, client, url)
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1, statements
    assert "FROM posts" in reads[0] and "FROM comment" not in reads[0], reads


@pytest.mark.parametrize(
    "app_config",
    [{"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True, "COMMENTS_SHOW_PINGBACKS": False}],
)
def test_index_comment_counts_without_pingbacks_come_from_one_count_query(app, client):
    """Pingbacks hidden: the kept count (every kind) does not serve, one COUNT query does."""
    add_posts(app, 12)
    statements = statements_for(app, client, "/")
    from_comments = [s for s in statements if "FROM comments" in s]
    assert len(from_comments) == 1, from_comments
    assert "2 comments" in client.get("/").get_data(as_text=True)


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


def test_a_comment_post_reads_without_transactions_and_writes_in_one(app, client):
    """On SQLite a read of one statement takes no BEGIN (a transaction of its own, as in
    autocommit on a server): the request's own reads (the post, the owners' names), the
    store's and the learning filter's. The write is the only transaction, and the post's
    texts are not read to store a comment, nor its page found by another read."""
    with app.app_context():
        make_post(title="Busy", slug="busy", paragraphs=["A long body. " * 2000])
    poster = CommentPoster(client)
    form = poster.form_for("busy")
    with counting_statements(app) as statements:
        assert poster.post("busy", reuse=form, body="Hi there.").status_code == 303
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE"], statements
    (post_read,) = [s for s in statements if re.search(r"FROM posts\b", s)]
    assert "body_html" not in post_read and "body_source" not in post_read, post_read
    assert [s for s in statements if s.startswith("INSERT INTO comments")], statements
    # The new thread's page comes from the write's own counter (its threads): nothing is
    # read after the commit to find where the comment landed.
    assert statements[-1] == "COMMIT", statements


def test_a_comment_post_takes_one_connection_to_read_and_one_to_write(app, client):
    """Its reads of one statement (the post, the submission key, the duplicate check) share
    one connection (extensions.reads_on_one_connection); the write takes its own."""
    with app.app_context():
        make_post(title="Busy", slug="busy")
        engine = db.engine
    poster = CommentPoster(client)
    form = poster.form_for("busy")
    checkouts: list[int] = []

    def taken(dbapi_conn, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        checkouts.append(id(dbapi_conn))

    event.listen(engine, "checkout", taken)
    try:
        assert poster.post("busy", reuse=form, body="Hi there.").status_code == 303
    finally:
        event.remove(engine, "checkout", taken)
    assert len(checkouts) == 2, checkouts


def test_the_shared_read_connection_is_taken_at_the_first_read_and_given_back(app):
    """reads_on_one_connection holds no connection while nothing is read (a slow body is
    still arriving), one for every read after, and none once the block ends."""
    from blogengine.extensions import reads_on_one_connection, single_statement_connection

    with app.app_context():
        engine = db.engine
        pool = engine.pool
        before = pool.checkedout()
        with reads_on_one_connection(engine):
            assert pool.checkedout() == before
            with single_statement_connection(engine) as first:
                first.exec_driver_sql("SELECT 1")
            with single_statement_connection(engine) as second:
                assert second is first
            assert pool.checkedout() == before + 1
        assert pool.checkedout() == before


def test_a_post_page_reads_without_a_transaction(app, client):
    with app.app_context():
        uid = make_post(title="Busy", slug="busy").uid
    with app.app_context():
        add_comments(uid, 3)
    statements = statements_for(app, client, "/posts/busy")
    assert not [s for s in statements if s.startswith(("BEGIN", "ROLLBACK", "COMMIT"))], statements


def test_a_refused_comment_still_shows_the_post_and_its_text(app, client):
    """The texts left out of the POST's read are read when the form comes back."""
    with app.app_context():
        make_post(title="Busy", slug="busy", paragraphs=["The one and only body text."])
    answer = CommentPoster(client).post("busy", body="")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "The one and only body text." in page and "Please write a comment." in page


POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")


@pytest.mark.skipif(not POSTGRES_URL, reason="set BLOGENGINE_TEST_POSTGRES_URL")
def test_round_trips_to_postgresql_per_request(tmp_path, monkeypatch):
    """libpq's own trace of every connection: each Query or Sync the client sends is a round
    trip. A cached read is one (the stamp); reads are one statement each, not BEGIN and
    ROLLBACK around it; a connection in steady use is not pinged."""
    assert POSTGRES_URL is not None
    traces = tmp_path / "traces"
    traces.mkdir()
    opened: list[Any] = []

    def trace(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        handle = open(traces / f"{len(opened)}.txt", "w")  # noqa: SIM115  (closed below)
        opened.append(handle)
        dbapi_conn.pgconn.trace(handle.fileno())

    def round_trips() -> int:
        for handle in opened:
            handle.flush()
        sent = re.compile(r"\tF\t\d+\t(Query|Sync)\b")
        return sum(
            1
            for path in traces.iterdir()
            for line in path.read_text().splitlines()
            if sent.search(line)
        )

    default_chain = ["honeypot", "impersonation", "links", "duplicate", "learning"]
    config = {
        "CACHE_TYPE": "SimpleCache",
        "COMMENTS_CAPTCHA": "none",
        "COMMENTS_SPAM_FILTERS": default_chain,
        "DATABASE_PING_AFTER_IDLE": 60,  # a slow test machine's pauses are not quiet spells
    }
    with app_in_postgres_schema(POSTGRES_URL, tmp_path, monkeypatch, **config) as app:
        with app.app_context():
            make_post(title="Busy", slug="busy")
            make_post(title="Quiet", slug="quiet")
            engine = db.engine
        event.listen(engine, "connect", trace)
        engine.dispose()
        try:
            reader = app.test_client()
            assert reader.get("/posts/busy").status_code == 200  # rendered and kept
            poster = CommentPoster(app.test_client())
            form = poster.form_for("busy")
            counts = {}
            for label, call in [
                ("cached read", lambda: reader.get("/posts/busy")),
                ("uncached read", lambda: reader.get("/posts/quiet")),
                ("first comment", lambda: poster.post("busy", body="The first.")),
                ("comment", lambda: poster.post("busy", reuse=form, body="Hi there.")),
            ]:
                before = round_trips()
                assert call().status_code in (200, 303)
                counts[label] = round_trips() - before
            assert counts["cached read"] == 1, counts
            # The stamp, the post, the comment counts, the page of threads and their number:
            # each read its own transaction, no BEGIN and ROLLBACK around them.
            assert counts["uncached read"] == 5, counts
            # The post with the owners' names; the submission key and duplicate reads (the
            # learned weights come from the worker's copy: read by the first POST); the write
            # (BEGIN, counter, insert, the post's stamp, COMMIT). The new thread's page comes
            # from the write's counter.
            assert counts["comment"] == 8, counts
        finally:
            event.remove(engine, "connect", trace)
            for handle in opened:
                handle.close()


@pytest.mark.skipif(not POSTGRES_URL, reason="set BLOGENGINE_TEST_POSTGRES_URL")
def test_a_pinged_postgresql_connection_is_handed_over_idle(tmp_path, monkeypatch):
    """Every checkout pinged (a quiet site): the store's autocommit reads and the stamp's own
    connection still get a connection outside a transaction (the ping's was left open)."""
    assert POSTGRES_URL is not None
    config = {"DATABASE_PING_AFTER_IDLE": 0, "CACHE_TYPE": "SimpleCache"}
    with app_in_postgres_schema(POSTGRES_URL, tmp_path, monkeypatch, **config) as app:
        with app.app_context():
            make_post(title="Quiet", slug="quiet")
        poster = CommentPoster(app.test_client())
        assert poster.post("quiet", body="Said on a quiet site.").status_code == 303
        assert "Said on a quiet site." in app.test_client().get("/posts/quiet").get_data(
            as_text=True
        )
