"""When a reader's page last changed: the stamps that ETags and the page cache are made of.

A post's page changes when the post is edited (the ORM bumps ``Post.revision`` and
``changed_at``) or when its comments change. Comments live behind the CommentStore contract,
possibly outside the database, so the host stamps the post itself: ``StampingStore`` wraps
whichever store the config chose and, after each write that readers can see, bumps the post's
revision in the posts table. Every process reads the stamp from the database, so a cache entry
made by one gunicorn worker (or another machine) is never served after a change made by another.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import Connection, Engine, Select, Table, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError

from .comments.contracts import CommentKind, CommentStore, NewComment, Status, StoredComment
from .dbfaults import watched
from .extensions import db
from .models import Post
from .timeutil import UTCDateTime, utcnow

#: Config keys whose value shows on readers' pages: a change must not be answered "304".
PAGE_CONFIG_KEYS = (
    "SITE_TITLE",
    "SITE_TAGLINE",
    "POSTS_PER_PAGE",
    "COMMENTS_CAPTCHA",
    "COMMENTS_SPAM_FILTERS",
    "COMMENTS_SPAM_FILTERS_OPTIONS",
    "COMMENTS_SHOW_PINGBACKS",
    "COMMENTS_PER_PAGE",
    "COMMENTS_MAX_DEPTH",
    "COMMENTS_GRAVATAR",
    "SITE_TIMEZONE",
)
FINGERPRINT_KEY = "blogengine.page_fingerprint"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stamp:
    """A page's version (ETag and cache key part) and when it last changed (Last-Modified)."""

    version: str
    changed_at: datetime


def post_stamp(post: Post) -> Stamp:
    """The post page's and its comment feed's stamp, from a post already loaded."""
    return Stamp(f"p{post.id}r{post.revision}", post.changed_at)


_POSTS: Table = Post.__table__  # type: ignore[assignment]  # a mapped class's is a Table
#: The post a reader may see under a slug (``Post.visible_to_readers``): its stamp only.
_READER_POST_STAMP = select(_POSTS.c.id, _POSTS.c.revision, _POSTS.c.changed_at).where(
    _POSTS.c.slug == bindparam("slug"),
    Post.visible_to_readers(bindparam("now", type_=UTCDateTime())),
)
#: The site's newest change, its number of posts, its newest publication date that has come.
_SITE_STAMP = select(
    select(func.max(_POSTS.c.changed_at)).scalar_subquery(),
    select(func.count(_POSTS.c.id)).scalar_subquery(),
    select(func.max(_POSTS.c.published_at))
    .where(_POSTS.c.published_at <= bindparam("now", type_=UTCDateTime()))
    .scalar_subquery(),
)
STAMP_QUERIES_KEY = "blogengine.stamp_queries"


class StampQuery:
    """One stamp statement, compiled once for the app's database and run on a DBAPI
    connection: every cached page costs this query, and SQLAlchemy's session (or Core) around
    it cost ten times the query itself. The time parameter goes through the column type's own
    bind processor, so it is compared as the ORM would send it.

    Each thread keeps one connection of its own for it, taken from the pool once and
    detached: checking a connection out of the pool and back cost twice the query. The query
    sees every commit made before it, whoever made it (an autocommit SELECT in SQLite's WAL
    mode; on PostgreSQL the connection is in autocommit, each statement its own snapshot). A
    server's statement runs under the engine's watchdog (``dbfaults.watched``: a frozen
    server is cut off); a failed query drops the connection, and the next one opens anew.
    """

    def __init__(self, engine: Engine, statement: Select[Any]) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.engine = engine
        self.compiled = compiled
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or []) if compiled.positional else None
        self.to_db = UTCDateTime().bind_processor(engine.dialect) or _same
        self._own = threading.local()
        #: The (detached, pool-proxied) connections threads keep for this query.
        self.kept: weakref.WeakSet[Any] = weakref.WeakSet()

    def first(self, **params: Any) -> tuple[Any, ...] | None:
        if "now" in params:
            params["now"] = self.to_db(params["now"])
        values = self.compiled.construct_params(params)  # with the statement's own constants
        args: Any = [values[name] for name in self.order] if self.order is not None else values
        driver_error = self.engine.dialect.loaded_dbapi.Error
        try:
            return self._on_own_connection(args)
        except driver_error as exc:  # as SQLAlchemy would raise it: a down database is a 503
            raise DBAPIError.instance(self.sql, args, exc, driver_error) from exc

    def _on_own_connection(self, args: Any) -> tuple[Any, ...] | None:
        """The query on this thread's connection; one kept from before that fails (a server
        that went away and came back) is replaced and the query sent again, once."""
        held: tuple[int, Any] | None = getattr(self._own, "held", None)
        if held is not None and held[0] == os.getpid():  # a forked worker opens its own
            try:
                return self._run_on(held[1], args)
            except self.engine.dialect.loaded_dbapi.Error:
                if self.engine.dialect.name == "sqlite":
                    raise  # a file does not go away: the error is the answer
        return self._run_on(self._open(), args)

    def _open(self) -> Any:
        fairy = self.engine.raw_connection()
        fairy.detach()  # closed, not returned to the pool, when it is closed
        if self.engine.dialect.name != "sqlite":
            server: Any = fairy.dbapi_connection
            server.rollback()  # idle first: autocommit cannot be set inside a transaction
            server.autocommit = True  # no transaction, no old snapshot, left open
        self._own.held = (os.getpid(), fairy)
        self.kept.add(fairy)
        return fairy

    def _run_on(self, fairy: Any, args: Any) -> tuple[Any, ...] | None:
        try:
            with watched(self.engine, fairy.dbapi_connection):
                return _run(fairy.cursor(), self.sql, args)
        except Exception:
            self._own.held = None
            with contextlib.suppress(Exception):
                fairy.close()
            raise

    @staticmethod
    def time(value: Any) -> datetime:
        """A time from this query's row (SQLite gives text), aware UTC; EPOCH for none."""
        return _aware(value) if value is not None else EPOCH


def _run(cursor: Any, sql: str, args: Any) -> tuple[Any, ...] | None:
    try:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    finally:
        cursor.close()  # ends SQLite's read of this statement: no snapshot is held
    return tuple(row) if row is not None else None


def own_connections(app: Flask) -> list[Any]:
    """The DBAPI connections threads keep for the stamp queries (tests trace them)."""
    found: dict[str, StampQuery] = app.extensions.get(STAMP_QUERIES_KEY) or {}
    return [fairy.dbapi_connection for query in found.values() for fairy in list(query.kept)]


def _same(value: Any) -> Any:
    return value


def _queries() -> dict[str, StampQuery]:
    found: dict[str, StampQuery] | None = current_app.extensions.get(STAMP_QUERIES_KEY)
    if found is None or found["post"].engine is not db.engine:
        found = current_app.extensions[STAMP_QUERIES_KEY] = {
            "post": StampQuery(db.engine, _READER_POST_STAMP),
            "site": StampQuery(db.engine, _SITE_STAMP),
        }
    return found


def reader_post_stamp(slug: str) -> Stamp | None:
    """The stamp of the post a reader may see under this slug (as ``Post.visible_to_readers``
    decides), or None: the post page and its feed answer 404 or 304 without loading the post."""
    query = _queries()["post"]
    row = query.first(slug=slug, now=utcnow())
    if row is None:
        return None
    post_id, revision, changed_at = row
    return Stamp(f"p{post_id}r{revision}", query.time(changed_at))


def site_stamp() -> Stamp:
    """The index's and the posts feed's stamp: any post added, edited, deleted or commented on,
    or a scheduled post whose time has come.

    One statement of three index lookups: the newest change (``ix_posts_changed_at``), the
    count (a deletion leaves no newer time behind) and the newest publication date that has
    come (``ix_posts_published_at``: it moves when a scheduled post appears, with no write).
    """
    query = _queries()["site"]
    row = query.first(now=utcnow())
    assert row is not None  # an aggregate always has its one row
    newest, count, published = row
    changed, shown = query.time(newest), query.time(published)
    return Stamp(f"s{count}t{_micros(changed)}p{_micros(shown)}", max(changed, shown))


def _micros(when: datetime) -> int:
    return int(when.timestamp() * 1_000_000)


def _aware(value: datetime | str) -> datetime:
    """max() over an aware column comes back as text or a naive time on SQLite."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def post_changed(post_uid: str) -> None:
    """Bump the post's revision: its comments changed. A short write transaction of its own.

    Never the request's session (on SQLite its read snapshot cannot be upgraded to a write
    once another worker wrote); ``updated_at`` is kept, as it means "the article was edited"
    in the feeds.
    """
    engine = db.engine
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="IMMEDIATE")
    else:  # one statement: one round trip, not BEGIN, UPDATE, COMMIT
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.begin() as conn:
        conn.execute(_BUMP_REVISION, {"post_uid": post_uid, "now": utcnow()})


def stamp_in(conn: Connection, post_uids: Sequence[str]) -> None:
    """Bump these posts' revisions in the caller's write transaction (a store's own)."""
    now = utcnow()
    rows = [{"post_uid": uid, "now": now} for uid in post_uids]
    # One post (a comment) is one plain execute.
    conn.execute(_BUMP_REVISION, rows[0] if len(rows) == 1 else rows)


#: Built once (it runs after every published comment).
_BUMP_REVISION = (
    update(_POSTS)
    .where(_POSTS.c.uid == bindparam("post_uid"))
    .values(
        revision=_POSTS.c.revision + 1,
        changed_at=bindparam("now", type_=UTCDateTime()),
        updated_at=_POSTS.c.updated_at,  # "the article was edited" in the feeds: it was not
    )
)


def page_fingerprint(app: Flask) -> str:
    """What else a page is made of: the templates and the config readers see.

    The same in every worker of one deploy, different after a deploy that changes a template
    or a setting, so a browser's copy or a cached page from before is not served as current.
    """
    # The secret shapes pages too (identicon hashes, the form's stand-ins): a new secret is
    # a new fingerprint, even in a running app. Kept with the secret it was made for.
    secret = str(app.config.get("SECRET_KEY"))
    kept = app.extensions.get(FINGERPRINT_KEY)
    if isinstance(kept, tuple) and kept[0] == secret:
        return str(kept[1])
    digest = hashlib.sha256(secret.encode())
    folder = Path(app.root_path) / (app.template_folder or "templates")
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    config = {key: app.config.get(key) for key in PAGE_CONFIG_KEYS}
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    found = digest.hexdigest()[:10]
    app.extensions[FINGERPRINT_KEY] = (secret, found)
    return found


class StampingStore:
    """The chosen comment store, stamping the post after each change readers can see.

    Reads, and any method a plugin's store adds (``backup``, say), are the wrapped store's
    own; ``inner`` is the store itself (see ``unwrap``). A store used outside a request or
    command (a script holding the service) stamps in the app it was built for.
    """

    def __init__(self, inner: CommentStore, app: Flask) -> None:
        self.inner = inner
        self._app = app
        # A store in the app's database stamps inside its own write (the `sql` store).
        stamp_with = getattr(inner, "stamp_with", None)
        self._stamped_inside = callable(stamp_with) and bool(stamp_with(stamp_in))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def get(self, comment_id: str) -> StoredComment | None:
        return self.inner.get(comment_id)

    def list_for_post(
        self,
        post_id: str,
        status: Status | None = Status.APPROVED,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        return self.inner.list_for_post(post_id, status, offset, limit)

    def count_for_posts(
        self,
        post_ids: Sequence[str],
        status: Status = Status.APPROVED,
        kinds: Sequence[CommentKind] | None = None,
    ) -> dict[str, int]:
        return self.inner.count_for_posts(post_ids, status, kinds)

    def list_by_status(
        self, status: Status, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        return self.inner.list_by_status(status, offset, limit)

    def find_by_submission_key(self, key: str) -> StoredComment | None:
        return self.inner.find_by_submission_key(key)

    def count_recent(self, remote_addr: str, since: datetime) -> int:
        return self.inner.count_recent(remote_addr, since)

    def list_recent_for_post(self, post_id: str, since: datetime) -> list[StoredComment]:
        return self.inner.list_recent_for_post(post_id, since)

    def add(self, new: NewComment) -> StoredComment:
        stored = self.inner.add(new)
        if stored.status is Status.APPROVED and not self._stamped_inside:
            self._stamp(stored.post_id)  # held comments change no public page
        return stored

    def add_many(self, news: Sequence[NewComment]) -> list[StoredComment]:
        stored = self.inner.add_many(news)
        for post_id in dict.fromkeys(c.post_id for c in stored):
            self._stamp(post_id)
        return stored

    def set_status(self, comment_id: str, status: Status) -> StoredComment:
        comment = self.inner.set_status(comment_id, status)
        self._stamp(comment.post_id)
        return comment

    def delete(self, comment_id: str) -> None:
        comment = self.inner.get(comment_id)
        self.inner.delete(comment_id)
        if comment is not None:
            self._stamp(comment.post_id)

    def delete_for_post(self, post_id: str) -> int:
        removed = self.inner.delete_for_post(post_id)
        self._stamp(post_id)
        return removed

    def _stamp(self, post_id: str) -> None:
        if has_app_context():
            post_changed(post_id)
        else:
            with self._app.app_context():
                post_changed(post_id)


def unwrap(store: CommentStore) -> CommentStore:
    """The configured store itself, for code that asks what kind of store it is."""
    inner = store.inner if isinstance(store, StampingStore) else store
    return inner
