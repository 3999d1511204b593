"""The database stopped, frozen or locked: a 503 page that keeps the comment, then recovery.

Against a real PostgreSQL cluster the tests start, stop and SIGSTOP themselves (pg_cluster.py),
not a mock. Each request runs in a thread joined with a generous bound, so a hang fails the
test instead of stalling the suite; no test asserts how long anything took.
"""

from __future__ import annotations

import html
import shutil
import sqlite3
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live import BIN, PROJECT, free_port, gunicorn, site_env, stop, wait_until_up
from pg_cluster import Cluster, why_not_available
from support import PostInfo, add_post, build_app, hidden_fields, input_value, textarea

from blogengine.comments import get_service
from blogengine.comments.service import STORE_FAILED_MESSAGE
from blogengine.dbfaults import DATABASE_DOWN_PROBLEM, engine_options
from blogengine.extensions import db

#: A request that has not answered by then is a hang (the timeouts under test are 1 s).
HANG = 60.0

FIELDS = {
    "author": "Grace Hopper",
    "email": "grace@example.org",
    "website": "https://example.org/grace",
    "body": "Line one of a careful comment.\n\nA second paragraph, typed with care.",
    "captcha_answer": "human",
}

needs_cluster = pytest.mark.skipif(why_not_available() is not None, reason=str(why_not_available()))


def answer(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread; fail (not hang) if it gives no answer within HANG."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(call()), daemon=True)
    thread.start()
    thread.join(HANG)
    assert result, f"no answer within {HANG:.0f} s: the request hangs"
    return result[0]


def assert_comment_kept(page: str, problem: str = DATABASE_DOWN_PROBLEM) -> None:
    assert problem in html.unescape(page)
    assert textarea(page) == FIELDS["body"]
    for name in ("author", "email", "website"):
        assert input_value(page, name) == FIELDS[name]
    assert '<link rel="stylesheet"' in page  # the site's own page, styled


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    reason = why_not_available()
    if reason:
        pytest.skip(reason)
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_app(cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = build_app(
        tmp_path,
        monkeypatch,
        SQLALCHEMY_DATABASE_URI=cluster.url,
        DATABASE_CONNECT_TIMEOUT=1,
        DATABASE_STATEMENT_TIMEOUT=1,
    )
    yield app
    with app.app_context():
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.engine.dispose()


def open_form(app: Flask, slug: str) -> tuple[PostInfo, FlaskClient, dict[str, str]]:
    """A new post, a reader's client and the hidden fields of the post's comment form."""
    post = add_post(app, f"A post called {slug}", slug)
    client = app.test_client()
    return post, client, hidden_fields(client.get(f"/posts/{slug}").get_data(as_text=True))


def comment_count(app: Flask, uid: str) -> int:
    with app.app_context():
        return len(get_service().store.list_for_post(uid, status=None))


@needs_cluster
@pytest.mark.slow
def test_database_stopped_keeps_the_comment_and_the_same_form_posts_once_it_is_back(
    cluster: Cluster, pg_app: Flask
) -> None:
    post, client, form = open_form(pg_app, "stopped")

    cluster.stop()
    try:
        sent = answer(lambda: client.post("/posts/stopped/comments", data={**form, **FIELDS}))
        reading = answer(lambda: client.get("/"))
        post_page = answer(lambda: client.get("/posts/stopped"))
    finally:
        cluster.start()

    assert sent.status_code == 503
    page = sent.get_data(as_text=True)
    assert_comment_kept(page)
    for reader in (reading, post_page):
        assert reader.status_code == 503
        assert "database cannot be reached" in reader.get_data(as_text=True)

    again = hidden_fields(page)  # the refilled form, sent again as the reader would
    retried = client.post("/posts/stopped/comments", data={**again, **FIELDS})
    assert retried.status_code == 303
    assert comment_count(pg_app, post.uid) == 1
    assert client.get("/posts/stopped").status_code == 200


@needs_cluster
@pytest.mark.slow
def test_database_frozen_answers_503_with_the_text_and_recovers(
    cluster: Cluster, pg_app: Flask
) -> None:
    post, client, form = open_form(pg_app, "frozen")

    cluster.freeze()  # the pool holds a connection to a backend that no longer answers
    try:
        sent = answer(lambda: client.post("/posts/frozen/comments", data={**form, **FIELDS}))
        reading = answer(lambda: client.get("/posts/frozen"))
    finally:
        cluster.thaw()

    assert sent.status_code == 503
    assert_comment_kept(sent.get_data(as_text=True))
    assert reading.status_code == 503
    retried = client.post("/posts/frozen/comments", data={**form, **FIELDS})
    assert retried.status_code == 303
    assert comment_count(pg_app, post.uid) == 1


@needs_cluster
def test_a_nul_in_a_slug_is_a_404_on_postgresql(pg_app: Flask) -> None:
    """PostgreSQL refuses NUL in a string literal: the query must never be made."""
    add_post(pg_app, "A post", "a-post")
    client = pg_app.test_client()
    for path in ("/posts/a%00b", "/posts/a-post%00/comments.atom", "/posts/a%1bb"):
        assert client.get(path).status_code == 404
    assert client.get("/posts/a-post").status_code == 200


def test_sqlite_locked_past_the_busy_timeout_keeps_the_comment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(tmp_path, monkeypatch, SQLITE_BUSY_TIMEOUT=0.2)
    post, client, form = open_form(app, "locked")

    holder = sqlite3.connect(tmp_path / "test.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock, and readers out
    try:
        sent = answer(lambda: client.post("/posts/locked/comments", data={**form, **FIELDS}))
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert sent.status_code == 503
    # The post was read (WAL lets readers in); the store's write waited, then gave up.
    assert_comment_kept(sent.get_data(as_text=True), STORE_FAILED_MESSAGE)
    assert client.post("/posts/locked/comments", data={**form, **FIELDS}).status_code == 303
    assert comment_count(app, post.uid) == 1


# -- SQLite made read-only, then writable again (real gunicorn, without root's powers) --------

#: Root writes through any file mode; without these capabilities it obeys them like a user.
NOT_ROOT = ("setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner")


def site_with_a_post(root: Path, slug: str, config: dict[str, str]) -> dict[str, str]:
    """A site's environment, its database made and one post at ``/posts/<slug>``, through
    the owner's commands (the `fixed` CAPTCHA, so a form can be answered)."""
    env = site_env(root, {"COMMENTS_CAPTCHA": "fixed", **config})
    (root / "instance").mkdir()
    article = root / "post.md"
    article.write_text(f"# {slug}\n\nA post.\n")
    for command in (["db", "upgrade"], ["posts", "add", str(article), "--slug", slug]):
        subprocess.run(
            [str(BIN / "blogengine"), *command], cwd=PROJECT, env=env, check=True, timeout=120
        )
    return env


class Reader:
    """A browser's part over HTTP: cookies kept, the form's hidden fields sent back."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(), NoRedirect()
        )

    def fetch(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=HANG) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is missing")
def test_sqlite_read_only_then_writable_again_recovers_by_itself(tmp_path: Path) -> None:
    env = site_with_a_post(tmp_path, "ro", {})
    port, log = free_port(), tmp_path / "gunicorn.log"
    server = gunicorn(env, port, log, workers=1, prefix=NOT_ROOT)
    try:
        wait_until_up(server, f"http://127.0.0.1:{port}/", log)
        reader = Reader(f"http://127.0.0.1:{port}")
        form = hidden_fields(reader.fetch("/posts/ro")[1])
        assert reader.fetch("/posts/ro/comments", {**form, **FIELDS})[0] == 303
        files = [tmp_path / f"blog.db{suffix}" for suffix in ("", "-wal", "-shm")]

        for path in files:  # the operator makes the database read-only, and restarts
            path.chmod(0o444)
        stop(server)
        server = gunicorn(env, port, log, workers=1, prefix=NOT_ROOT)
        wait_until_up(server, f"http://127.0.0.1:{port}/", log)
        form = hidden_fields(reader.fetch("/posts/ro")[1])
        status, page = reader.fetch("/posts/ro/comments", {**form, **FIELDS, "body": "Second."})
        assert status == 503
        assert textarea(page) == "Second."

        files[0].chmod(0o644)  # ... then gives the database file its mode back, and only it
        status, page = reader.fetch("/posts/ro/comments", {**form, **FIELDS, "body": "Second."})
        assert status == 303, page
        assert "not writable by this process" in log.read_text()  # said which file, while it was
    finally:
        stop(server)


def test_the_timeouts_keep_the_urls_own_server_options() -> None:
    """connect_args replace the URL's ``options``: a search_path in the URL must survive."""
    config = {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/d?options=-csearch_path%3Dmine",
        "DATABASE_CONNECT_TIMEOUT": 2,
        "DATABASE_STATEMENT_TIMEOUT": 1.5,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3},
    }
    assert engine_options(config) == {
        "pool_size": 3,
        "connect_args": {
            "connect_timeout": 2,
            "options": "-csearch_path=mine -c statement_timeout=1500",
        },
    }


def worker_pids(master: subprocess.Popen[bytes]) -> set[int]:
    """gunicorn's workers: the master's children."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


@needs_cluster
@pytest.mark.slow
def test_under_gunicorn_a_frozen_database_answers_within_10_s_and_the_worker_lives(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Issue 6's promise as a reader meets it: the site served as `make run` serves it, with
    the default timeouts; PostgreSQL's processes stopped (SIGSTOP). The reader's POST gets
    the 503 page with the text well before gunicorn's 30 s worker timeout would kill the
    worker (urllib gives up at 10 s: a slower answer fails), no worker is replaced, and the
    same form posts once the database is back."""
    import psycopg

    name = f"frozen_{free_port()}"
    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = cluster.url.rsplit("/", 1)[0] + f"/{name}"
    env = site_with_a_post(tmp_path, "frozen", {"SQLALCHEMY_DATABASE_URI": url})
    port, log = free_port(), tmp_path / "gunicorn.log"
    server = gunicorn(env, port, log, workers=1)
    try:
        wait_until_up(server, f"http://127.0.0.1:{port}/", log)
        reader = Reader(f"http://127.0.0.1:{port}")
        form = hidden_fields(reader.fetch("/posts/frozen")[1])
        workers = worker_pids(server)
        cluster.freeze()
        try:
            with urllib.request.urlopen(
                urllib.request.Request(
                    f"http://127.0.0.1:{port}/posts/frozen/comments",
                    urllib.parse.urlencode({**form, **FIELDS}).encode(),
                ),
                timeout=10,
            ) as done:
                raise AssertionError(f"answered {done.status} with the database frozen")
        except urllib.error.HTTPError as error:
            status, page = error.code, error.read().decode()
        finally:
            cluster.thaw()
        assert status == 503
        assert_comment_kept(page)
        assert worker_pids(server) == workers, "the worker was not killed and replaced"
        again = hidden_fields(page)
        assert reader.fetch("/posts/frozen/comments", {**again, **FIELDS})[0] == 303
    finally:
        stop(server)
        with psycopg.connect(cluster.url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
