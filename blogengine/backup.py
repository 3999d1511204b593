"""`blogengine backup PATH`: an online, consistent copy of the SQLite database and the store.

The database is copied with SQLite's online backup API (``sqlite3.Connection.backup``) in one
step: it reads one snapshot while gunicorn workers go on writing (WAL mode lets readers and
writers pass each other), so the copy is exactly the database at one moment, never a file
copied half-way through a write. The copy is checked (``PRAGMA integrity_check``), switched
to a plain rollback journal so it is one self-contained file, and only then renamed into
place. A comment store that keeps comments elsewhere and is ``BackupCapable`` (the jsonl
store) copies its own files beside it, under its own locks.

Not backed up: PostgreSQL (use pg_dump), and a ``sql`` comment store given its own ``url``
(back that database up as well; the command says so).

To restore, stop the site and put the ``.db`` file where SQLALCHEMY_DATABASE_URI points
(and a store's copied files where its options point).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .comments.contracts import BackupCapable, CommentStore, Status, StoreError
from .extensions import db
from .timeutil import utcnow

POSTGRES_REFUSAL = "use pg_dump; blogengine backs up SQLite only"
NAME_FORMAT = "blogengine-%Y%m%d-%H%M%S"


class BackupError(Exception):
    """The backup could not be made; nothing is left at the destination."""


@dataclass(frozen=True)
class DatabaseCopy:
    """The copied database file, its size and what it holds."""

    path: Path
    size: int
    posts: int
    comments: int | None  # None: the copy has no comment table (another store keeps them)


def destination_for(target: Path, when_name: str) -> Path:
    """``target`` if it names a ``.db`` file, else a time-stamped file in that directory."""
    if target.suffix == ".db":
        return target
    return target / f"{when_name}.db"


def sqlite_path() -> Path:
    """The app's SQLite file; BackupError for PostgreSQL, other servers or a memory database."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRES_REFUSAL)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"the database {url.database or ':memory:'!r} is not a plain file")
    return Path(url.database)


def backup_database(source: Path, destination: Path, busy_timeout: float = 30) -> DatabaseCopy:
    """Copy ``source`` to a new file ``destination`` at one consistent moment, then check it."""
    if destination.exists():
        raise BackupError(f"{destination} exists already; choose another name")
    if not source.is_file():
        raise BackupError(f"the database {source} does not exist")
    destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # mode: if made here
    partial = destination.with_name(f".{destination.name}.partial")
    partial.unlink(missing_ok=True)
    # Owner-only from the first byte: the copy holds emails, addresses and password hashes.
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        src = sqlite3.connect(source, timeout=busy_timeout)  # it only reads
        with closing(src), closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # pages=-1: the whole database from one read snapshot
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
            problems = [row[0] for row in dst.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"the copy failed its integrity check: {problems[:5]}")
            posts = _count(dst, "posts")
            comments = _count(dst, "comments")
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        raise BackupError(f"could not copy the database {source}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    if posts is None:
        raise BackupError(f"{source} has no posts table: is it a blogengine database?")
    return DatabaseCopy(destination, destination.stat().st_size, posts, comments)


def _count(conn: sqlite3.Connection, table: str) -> int | None:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if exists is None:
        return None
    return int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def count_comments(store: CommentStore) -> int:
    """Every comment in a store, whatever its status (through the contract, any backend)."""
    return sum(len(store.list_by_status(status)) for status in Status)


def keeps_comments_in_app_db(store: CommentStore) -> bool:
    """True for the ``sql`` store on the app's own database (its comments are in the copy)."""
    from .comments.builtin.store_sql import SqlCommentStore
    from .freshness import unwrap

    store = unwrap(store)
    return isinstance(store, SqlCommentStore) and store.engine.url == db.engine.url


@contextmanager
def _cleanup_on_error(paths: list[Path]) -> Iterator[None]:
    """Remove what was written so far when a later step fails: no half backup is left."""
    try:
        yield
    except BaseException:
        for path in reversed(paths):
            if path.is_dir():
                for child in path.iterdir():
                    child.unlink(missing_ok=True)
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Copy the SQLite database (and a file comment store) while the site runs.

    PATH is a directory (the copy is PATH/blogengine-YYYYmmdd-HHMMSS.db, UTC) or a file name
    ending in .db. A BackupCapable comment store writes its files into a directory named like
    the copy, plus the store's name. PostgreSQL is refused: use pg_dump.
    """
    from .comments import get_service

    store = get_service().store
    store_name = current_app.config["COMMENTS_STORE"]
    try:
        source = sqlite_path()
        destination = destination_for(path, utcnow().strftime(NAME_FORMAT))
        written: list[Path] = []
        with _cleanup_on_error(written):
            copy = backup_database(
                source, destination, float(current_app.config["SQLITE_BUSY_TIMEOUT"])
            )
            written.append(copy.path)
            click.echo(f"backed up {source} at one moment, integrity check ok")
            what = plural(copy.posts, "post")
            if copy.comments is not None and keeps_comments_in_app_db(store):
                what += ", " + plural(copy.comments, "comment")
            click.echo(f"wrote {copy.path} ({copy.size:,} bytes): {what}")
            if keeps_comments_in_app_db(store):
                return
            if not isinstance(store, BackupCapable):
                click.echo(
                    f"WARNING: the comment store {store_name!r} keeps its comments outside "
                    "this database and cannot back itself up: back them up separately.",
                    err=True,
                )
                return
            folder = copy.path.with_name(f"{copy.path.stem}-{store_name}")
            folder.mkdir(mode=0o700)  # the store's copies are as private as the database's
            written.append(folder)
            before = count_comments(store)
            files = store.backup(folder)
            after = count_comments(store)
            counted = plural(after, "comment")
            if before != after:  # writers were busy: the copy holds one moment in between
                counted = f"{before} to {after} comments"
            for file in files:
                click.echo(f"wrote {file} ({file.stat().st_size:,} bytes)")
            click.echo(f"comment store {store_name!r}: {counted} when copied")
    except (BackupError, StoreError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
