"""`blogengine backup`: an online copy that restores, taken while comments keep arriving."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from support import build_app, make_config, make_post

from blogengine import create_app
from blogengine.comments import get_service
from blogengine.comments.contracts import (
    BackupCapable,
    CommentDraft,
    NewComment,
    Status,
    StoredComment,
)
from blogengine.extensions import db
from blogengine.models import Post
from blogengine.timeutil import utcnow

PROJECT = Path(__file__).resolve().parent.parent


def add_comment(app: Flask, post_uid: str, n: int) -> StoredComment:
    with app.app_context():
        draft = CommentDraft(post_id=post_uid, author=f"Writer {n}", body=f"Comment {n}.")
        new = NewComment(draft, Status.APPROVED, f"<p>Comment {n}.</p>", utcnow())
        return get_service().store.add(new)


def all_comments(app: Flask) -> dict[str, StoredComment]:
    with app.app_context():
        store = get_service().store
        return {c.id: c for status in Status for c in store.list_by_status(status)}


def post_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Post)) or 0


def seed_site(app: Flask) -> list[str]:
    """Two posts with five comments each; returns the posts' uids."""
    with app.app_context():
        uids = [make_post(title=f"Post {i}", slug=f"post-{i}").uid for i in (1, 2)]
    for uid in uids:
        for n in range(5):
            add_comment(app, uid, n)
    return uids


class Writer(threading.Thread):
    """Keeps adding comments until stopped, as gunicorn workers would during a backup."""

    def __init__(self, app: Flask, post_uids: list[str]) -> None:
        super().__init__(daemon=True)
        self.app, self.post_uids = app, post_uids
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.written = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set() or self.written < 20:
                add_comment(self.app, self.post_uids[self.written % 2], 100 + self.written)
                self.written += 1
                if self.written >= 5:
                    self.started_writing.set()
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
            self.started_writing.set()


@pytest.fixture
def writing(app: Flask) -> Iterator[Writer]:
    """A Writer on a seeded site, already writing when the test starts its backup."""
    writer = Writer(app, seed_site(app))
    writer.start()
    assert writer.started_writing.wait(10)
    yield writer
    writer.stop.set()
    writer.join(20)
    assert not writer.is_alive()
    assert not writer.errors, writer.errors


def restored_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_file: Path, **config: Any):
    """A new app on the backup file, as an owner restoring it would run the site."""
    assert db_file.is_file()
    return build_app(
        tmp_path / "restored", monkeypatch, SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_file}", **config
    )


def integrity(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as conn:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]


def assert_a_moment_between(
    before: dict[str, StoredComment],
    copied: dict[str, StoredComment],
    after: dict[str, StoredComment],
) -> None:
    """The copy is the store at one moment while a writer kept writing: no torn state."""
    assert before.keys() <= copied.keys() <= after.keys(), "one moment between before and after"
    assert all(copied[i] == after[i] for i in copied)
    assert len(after) > len(before), "the writer kept writing during the backup"
    assert_numbers_unique(copied)


def assert_numbers_unique(comments: dict[str, StoredComment]) -> None:
    by_post: dict[str, list[int]] = {}
    for comment in comments.values():
        by_post.setdefault(comment.post_id, []).append(comment.number)
    for numbers in by_post.values():
        assert len(numbers) == len(set(numbers)), numbers


# -- the sql store, in the app's database -----------------------------------------------


def test_sql_store_backup_while_writing_restores(
    app: Flask, writing: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = all_comments(app)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backups")])
    writing.stop.set()
    writing.join(20)
    assert result.exit_code == 0, result.output
    after = all_comments(app)

    [db_line] = [line for line in result.output.splitlines() if line.startswith("wrote ")]
    match = re.fullmatch(r"wrote (.+\.db) \(([\d,]+) bytes\): 2 posts, ([\d,]+) comments", db_line)
    assert match, result.output
    db_file = Path(match.group(1))
    assert db_file.parent == tmp_path / "backups"
    assert re.fullmatch(r"blogengine-\d{8}-\d{6}\.db", db_file.name)
    assert int(match.group(2).replace(",", "")) == db_file.stat().st_size
    assert not list(db_file.parent.glob("*.partial")) and not list(db_file.parent.glob("*-wal"))
    assert integrity(db_file) == ["ok"]

    restored = restored_app(tmp_path, monkeypatch, db_file)
    copied = all_comments(restored)
    assert post_count(restored) == 2
    assert len(copied) == int(match.group(3).replace(",", ""))
    assert_a_moment_between(before, copied, after)
    with restored.app_context():
        db.engine.dispose()


def test_existing_file_is_not_overwritten(app: Flask, tmp_path: Path) -> None:
    seed_site(app)
    target = tmp_path / "site.db"
    target.write_bytes(b"precious")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert "exists already" in result.output
    assert target.read_bytes() == b"precious"


@pytest.mark.parametrize(
    "url", ["postgresql://blog@db.invalid/blog", "postgres://blog@db.invalid/blog"]
)
def test_postgresql_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BLOGENGINE_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=url))  # never connects
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code != 0
    assert "use pg_dump; blogengine backs up SQLite only" in result.output
    assert not (tmp_path / "b").exists()


def test_sql_store_with_its_own_database_is_named_as_not_backed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = f"sqlite:///{tmp_path / 'comments.db'}"
    app = build_app(tmp_path, monkeypatch, COMMENTS_STORE_OPTIONS={"sql": {"url": other}})
    with app.app_context():
        make_post(title="Post", slug="post")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'b.db'} (" in result.output
    assert "): 1 post\n" in result.output, "no comment count: they are not in this copy"
    assert "WARNING: the comment store 'sql' keeps its comments outside" in result.output
    with app.app_context():
        get_service().store.dispose()  # type: ignore[attr-defined]
        db.engine.dispose()


# -- the jsonl store: the database and the store's file ---------------------------------


@pytest.fixture
def jsonl_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    (tmp_path / "live").mkdir()
    app = build_app(
        tmp_path / "live",
        monkeypatch,
        COMMENTS_STORE="jsonl",
        COMMENTS_STORE_OPTIONS={"jsonl": {"path": str(tmp_path / "c.jsonl")}},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_jsonl_store_is_backup_capable(jsonl_app: Flask) -> None:
    assert isinstance(get_service(jsonl_app).store, BackupCapable)
    with jsonl_app.app_context():
        from blogengine.comments.builtin.store_sql import SqlCommentStore

        assert not isinstance(SqlCommentStore(), BackupCapable)


def test_jsonl_store_backup_while_writing_restores(
    jsonl_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = Writer(jsonl_app, seed_site(jsonl_app))
    writer.start()
    assert writer.started_writing.wait(10)
    before = all_comments(jsonl_app)
    target = tmp_path / "backups" / "site.db"
    result = jsonl_app.test_cli_runner().invoke(args=["backup", str(target)])
    writer.stop.set()
    writer.join(20)
    assert not writer.errors, writer.errors
    assert result.exit_code == 0, result.output
    after = all_comments(jsonl_app)

    copy = tmp_path / "backups" / "site-jsonl" / "c.jsonl"
    lines = result.output.splitlines()
    assert f"wrote {target} (" in lines[1] and lines[1].endswith("): 2 posts")
    assert re.fullmatch(rf"wrote {re.escape(str(copy))} \([\d,]+ bytes\)", lines[2])
    assert re.fullmatch(r"comment store 'jsonl': \d+( to \d+)? comments when copied", lines[3])
    assert integrity(target) == ["ok"]
    raw = copy.read_bytes()
    assert raw.endswith(b"\n") and all(json.loads(line) for line in raw.splitlines())

    restored = restored_app(
        tmp_path,
        monkeypatch,
        target,
        COMMENTS_STORE="jsonl",
        COMMENTS_STORE_OPTIONS={"jsonl": {"path": str(copy)}},
    )
    copied = all_comments(restored)
    assert post_count(restored) == 2
    assert_a_moment_between(before, copied, after)
    with restored.app_context():
        db.engine.dispose()


def test_jsonl_backup_leaves_out_a_torn_last_line(jsonl_app: Flask, tmp_path: Path) -> None:
    seed_site(jsonl_app)
    live = tmp_path / "c.jsonl"
    complete = live.read_bytes()
    with live.open("ab") as f:
        f.write(b'{"op": "add", "id": "half-writ')  # a writer that crashed mid-line
    target = tmp_path / "site.db"
    result = jsonl_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site-jsonl" / "c.jsonl").read_bytes() == complete
    assert "10 comments when copied" in result.output


# -- privacy: the copy, the database and the instance folder are the owner's alone -------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask (022), under which files are world-readable unless made otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_backup_is_readable_by_its_owner_only(
    app: Flask, tmp_path: Path, usual_umask: None
) -> None:
    seed_site(app)
    target = tmp_path / "new-folder" / "site.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700, "a folder the backup made is private too"


def test_the_jsonl_backup_folder_is_private(
    jsonl_app: Flask, tmp_path: Path, usual_umask: None
) -> None:
    seed_site(jsonl_app)
    target = tmp_path / "site.db"
    result = jsonl_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    assert mode(tmp_path / "site-jsonl") == 0o700


def test_an_instance_folder_blogengine_makes_is_private_and_so_is_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None
) -> None:
    instance = tmp_path / "instance"
    app = build_app(tmp_path, monkeypatch, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)
    seed_site(app)  # writes, so the -wal file exists too
    try:
        assert mode(instance) == 0o700
        assert mode(instance / "secret_key") == 0o600
        files = [instance / "blogengine.db", instance / "blogengine.db-wal"]
        assert all(path.exists() for path in files)
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_relative_sqlite_path_makes_a_private_instance_folder_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None
) -> None:
    app = build_app(tmp_path, monkeypatch, SQLALCHEMY_DATABASE_URI="sqlite:///site.db")
    try:
        assert mode(tmp_path / "instance") == 0o700
        assert mode(tmp_path / "instance" / "site.db") == 0o600
    finally:
        with app.app_context():
            db.engine.dispose()


def test_an_existing_instance_folder_and_database_keep_their_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o750)
    (instance / "blogengine.db").touch(mode=0o640)
    app = build_app(tmp_path, monkeypatch, SECRET_KEY=None, SQLALCHEMY_DATABASE_URI=None)
    try:
        assert mode(instance) == 0o750, "the owner's choice is not changed"
        assert mode(instance / "blogengine.db") == 0o640
        assert mode(instance / "secret_key") == 0o600
    finally:
        with app.app_context():
            db.engine.dispose()
