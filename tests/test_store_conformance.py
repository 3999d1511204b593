"""Every comment store we ship passes blogengine.testing.StorageContract."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from blogengine.comments import get_service
from blogengine.comments.builtin.store_sql import SqlCommentStore
from blogengine.comments.contracts import CommentStore, Status
from blogengine.comments.registry import COMMENT_STORES
from blogengine.config import PROJECT_ROOT
from blogengine.freshness import StampingStore, unwrap
from blogengine.testing import StorageContract, new_comment, plugin_backend, run_in_threads

POSTGRES_URL = os.environ.get("BLOGENGINE_TEST_POSTGRES_URL")


def jsonl_store_class() -> type:
    """The jsonl store as a site gets it: from the plugins folder, through the registry."""
    return plugin_backend(PROJECT_ROOT / "plugins", COMMENT_STORES, "jsonl")


class TestSqlOnSqlite(StorageContract):
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"COMMENTS_STORE": "sql"}

    @pytest.fixture
    def store(self, app: Flask) -> Iterator[CommentStore]:
        with app.app_context():
            store = unwrap(get_service().store)
            assert isinstance(store, SqlCommentStore)
            yield store


class TestStampedSqlStore(StorageContract):
    """The store as the site uses it: wrapped so each change stamps its post (freshness.py)."""

    @pytest.fixture
    def store(self, app: Flask) -> Iterator[CommentStore]:
        with app.app_context():
            store = get_service().store
            assert isinstance(store, StampingStore)
            yield store


@pytest.mark.postgres
@pytest.mark.skipif(
    not POSTGRES_URL,
    reason="set BLOGENGINE_TEST_POSTGRES_URL=postgresql://user@host/db to test the sql store on "
    "PostgreSQL",
)
class TestSqlOnPostgres(StorageContract):
    @pytest.fixture
    def store(self) -> Iterator[CommentStore]:
        with postgres_store() as store:
            yield store


class TestSqlLockingFallback(StorageContract):
    """The numbering for databases without our upsert (SELECT ... FOR UPDATE), forced here."""

    @pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
    def store(
        self, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> Iterator[CommentStore]:
        from blogengine.comments.builtin import store_sql

        monkeypatch.setattr(store_sql, "_UPSERTS", {})
        yield from sql_store_on(request.param, tmp_path)


@contextmanager
def postgres_store() -> Iterator[SqlCommentStore]:
    """A store in a schema of its own, dropped afterwards: every test starts empty."""
    import psycopg

    assert POSTGRES_URL is not None
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    store = SqlCommentStore(url=f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}")
    try:
        yield store
    finally:
        store.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


class TestJsonl(StorageContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> CommentStore:
        return jsonl_store_class()(path=tmp_path / "comments.jsonl")


# -- the sql store's own promises --------------------------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCommentStore]:
    """A sql store with its own database (``url``), on SQLite and, if configured, PostgreSQL."""
    yield from sql_store_on(request.param, tmp_path)


def sql_store_on(dialect: str, tmp_path: Path) -> Iterator[SqlCommentStore]:
    """A sql store with its own database: a SQLite file, or a PostgreSQL schema (or skip)."""
    if dialect == "sqlite":
        store = SqlCommentStore(url=f"sqlite:///{tmp_path / 'comments.db'}")
        yield store
        store.dispose()
    elif not POSTGRES_URL:
        pytest.skip("set BLOGENGINE_TEST_POSTGRES_URL to test the sql store on PostgreSQL")
    else:
        with postgres_store() as store:
            yield store


def test_sql_post_without_counter_goes_on_from_its_highest(sql_store: SqlCommentStore) -> None:
    """Comments stored before the counters existed (a store with its own ``url``) don't clash."""
    added = [sql_store.add(new_comment(body=f"c{i}")) for i in range(3)]
    sql_store.delete(added[1].id)
    with sql_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM comment_counters"))
    assert sql_store.add(new_comment()).number == 4
    sql_store.delete(added[2].id)
    assert sql_store.add(new_comment()).number == 5
    with sql_store.engine.begin() as conn:
        conn.execute(text("DELETE FROM comment_counters"))
    assert sql_store.add_many([new_comment(number=2), new_comment()])[1].number == 6


def test_sql_concurrent_adds_after_deleting_the_highest(sql_store: SqlCommentStore) -> None:
    """The counter, not the highest stored number, decides, under several writers too."""
    sql_store.delete(sql_store.add(new_comment()).id)

    def work(i: int) -> None:
        for j in range(10):
            sql_store.add(new_comment(body=f"thread {i} comment {j}"))

    assert run_in_threads(4, work) == []
    numbers = sorted(c.number for c in sql_store.list_for_post("post-a", None))
    assert numbers == list(range(2, 42))


def test_migration_fills_counters_from_existing_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flask_migrate import upgrade
    from support import make_config

    from blogengine import create_app
    from blogengine.extensions import db

    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path))
    with app.app_context():
        upgrade(revision="0001_initial")
        insert = text(
            "INSERT INTO comments (id, post_id, number, author, body, body_html, created_at,"
            " status, verdicts) VALUES (:id, :post, :number, 'Ada', 'b', '<p>b</p>',"
            " '2026-01-02 03:04:05', 'approved', '[]')"
        )
        with db.engine.begin() as conn:
            for post, number in [("post-a", 1), ("post-a", 3), ("post-b", 7)]:
                conn.execute(insert, {"id": uuid.uuid4().hex, "post": post, "number": number})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT post_id, last_number FROM comment_counters"))
            counters = {post_id: number for post_id, number in rows}
        assert counters == {"post-a": 3, "post-b": 7}
        store = get_service().store
        assert store.add(new_comment("post-a")).number == 4
        db.engine.dispose()


def test_migration_fills_fingerprints_of_existing_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comments stored before 0006_spam are found as duplicates too."""
    from flask_migrate import upgrade
    from support import make_config

    from blogengine import create_app
    from blogengine.comments.contracts import text_fingerprint
    from blogengine.extensions import db

    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path))
    with app.app_context():
        upgrade(revision="0010_import")
        insert = text(
            "INSERT INTO comments (id, post_id, number, author, body, body_html, created_at,"
            " status, verdicts) VALUES (:id, 'post-a', :number, 'Ada', :body, '<p>b</p>',"
            " '2026-01-02 03:04:05', 'approved', '[]')"
        )
        bodies = ["So catchy!", "Something else entirely", "so  CATCHY"]
        with db.engine.begin() as conn:
            for number, body in enumerate(bodies, start=1):
                conn.execute(insert, {"id": uuid.uuid4().hex, "number": number, "body": body})
        upgrade()
        found = get_service().store.find_by_fingerprint(
            "post-a", text_fingerprint("so catchy"), datetime(2026, 1, 1, tzinfo=UTC)
        )
        assert [c.number for c in found] == [1, 3]
        db.engine.dispose()


# -- the jsonl store's own promises ------------------------------------------------------------
def test_jsonl_reopened_file_remembers_numbers_given(tmp_path: Path) -> None:
    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    added = [store.add(new_comment(body=f"c{i}")) for i in range(2)]
    store.delete(added[1].id)
    assert jsonl_store_class()(path=path).add(new_comment()).number == 3
    store.delete_for_post("post-a")
    again = jsonl_store_class()(path=path)
    assert again.add(new_comment()).number == 1
    assert store.add(new_comment()).number == 2


def _add_in_other_process(path: str, count: int, start: Any) -> None:
    store = jsonl_store_class()(path=path)
    start.wait()
    for i in range(count):
        store.add(new_comment(body=f"from the other process {i}"))


def test_jsonl_two_processes_number_without_gaps(tmp_path: Path) -> None:
    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    other = ctx.Process(target=_add_in_other_process, args=(str(path), 50, start))
    other.start()
    start.wait()
    for i in range(50):
        store.add(new_comment(body=f"from this process {i}"))
    other.join(60)
    assert other.exitcode == 0
    comments = store.list_for_post("post-a", None)
    assert sorted(c.number for c in comments) == list(range(1, 101))
    assert sum(c.body.startswith("from the other") for c in comments) == 50
    # A store opened afterwards replays the same state from the file alone.
    again = jsonl_store_class()(path=path)
    assert again.list_for_post("post-a", None) == comments


def test_jsonl_sees_other_writers_changes(tmp_path: Path) -> None:
    path = tmp_path / "comments.jsonl"
    one, two = jsonl_store_class()(path=path), jsonl_store_class()(path=path)
    added = one.add(new_comment())
    assert two.get(added.id) == added
    two.delete(added.id)
    assert one.get(added.id) is None
    assert one.add(new_comment()).number == 2  # a deleted comment's number is not given again


TORN = b'{"op": "add", "id": "torn", "post_id": "post-a", "num'


def test_jsonl_torn_last_line_is_ignored_then_set_aside_never_deleted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    kept = store.add(new_comment(body="kept"))
    with path.open("ab") as f:
        f.write(TORN)
    reader = jsonl_store_class()(path=path)
    assert reader.list_for_post("post-a", None) == [kept]
    assert "incomplete" in caplog.text
    after = reader.add(new_comment(body="after the crash"))
    assert after.number == 2
    assert path.read_bytes().count(b"torn") == 0
    [aside] = tmp_path.glob("comments.jsonl.torn-*")
    assert aside.read_bytes() == TORN  # kept, byte for byte, for the owner to look at
    assert str(aside) in caplog.text
    assert [c.body for c in store.list_for_post("post-a")] == ["kept", "after the crash"]


def test_jsonl_a_last_record_without_its_newline_is_kept(tmp_path: Path) -> None:
    """An editor that saves without a final newline must not cost a published comment."""
    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    first = store.add(new_comment(body="published before the edit"))
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    reader = jsonl_store_class()(path=path)
    assert reader.list_for_post("post-a", None) == [first]
    reader.add(new_comment(body="the next one"))
    again = jsonl_store_class()(path=path)
    assert [c.body for c in again.list_for_post("post-a")] == [
        "published before the edit",
        "the next one",
    ]
    assert path.read_bytes().count(b"\n") == 2
    assert list(tmp_path.glob("comments.jsonl.torn-*")) == []


def test_jsonl_half_written_batch_keeps_none(tmp_path: Path) -> None:
    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    store.add_many([new_comment(body="one"), new_comment(body="two")])
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 2
    path.write_bytes(lines[0])  # the crash came after the first line of the batch
    reader = jsonl_store_class()(path=path)
    assert reader.list_for_post("post-a", None) == []


def test_jsonl_file_is_plain_lines(tmp_path: Path) -> None:
    import json

    path = tmp_path / "comments.jsonl"
    store = jsonl_store_class()(path=path)
    added = store.add(new_comment(body="hello"))
    store.set_status(added.id, Status.SPAM)
    ops = [json.loads(line)["op"] for line in path.read_text().splitlines()]
    assert ops == ["add", "status"]


def test_jsonl_relative_path_is_in_the_instance_folder_the_host_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugin imports only the contract: the app hands it its instance folder."""
    from support import build_app

    from blogengine.comments import get_service

    app = build_app(
        tmp_path,
        monkeypatch,
        PLUGINS_FOLDER=str(PROJECT_ROOT / "plugins"),
        COMMENTS_STORE="jsonl",
        COMMENTS_STORE_OPTIONS={"jsonl": {"path": "sub/c.jsonl"}},
    )
    get_service(app).store.add(new_comment())
    assert app.instance_path == str(tmp_path / "instance")
    assert (tmp_path / "instance" / "sub" / "c.jsonl").is_file()


def test_jsonl_unwritable_file_is_store_error(tmp_path: Path) -> None:
    from blogengine.comments.contracts import StoreError

    folder = tmp_path / "a-file"
    folder.write_text("not a folder")
    with pytest.raises(StoreError):
        jsonl_store_class()(path=folder / "comments.jsonl")
