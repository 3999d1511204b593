"""The `sql` comment store: comments in a SQL database through SQLAlchemy.

By default it uses the app's own database (SQLite in WAL mode, or PostgreSQL by URL) and its
tables are created by the app's migrations; given ``url`` it keeps comments in that database
instead and creates its tables there itself. ``blogengine backup`` copies the app's SQLite
database only: with ``url`` given, back that database up as well (the command warns).

Numbers within a post are never given twice, even after a comment is deleted for good: each
post's highest number ever given is kept in ``comment_counters`` and bumped in the insert's
transaction. On SQLite (whose BEGIN IMMEDIATE serialises all writers) and PostgreSQL (where the
upsert's row lock serialises the writers of one post) that is one INSERT ... ON CONFLICT DO
UPDATE ... RETURNING; other databases lock the row with SELECT ... FOR UPDATE and retry on a
unique constraint. Only ``delete_for_post`` (a re-import) lets numbering start again from 1.

The same row keeps the post's count of approved comments, changed in the transaction of each
write that changes it, so the index reads one row per post instead of counting comments.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Executable,
    Index,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    create_engine,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ...extensions import Model, db, engine_with, single_statement_connection
from ...timeutil import UTCDateTime
from ..contracts import (
    CommentKind,
    NewComment,
    Role,
    Status,
    StoredComment,
    StoreError,
    Verdict,
    text_fingerprint,
)

log = logging.getLogger(__name__)


class CommentRow(Model):
    """One comment; keyed by the post's stable uid, not a foreign key, like any store."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("post_id", "number", name="uq_comments_post_number"),
        Index("ix_comments_status_created", "status", "created_at"),
        Index("ix_comments_remote_created", "remote_addr", "created_at"),
        Index("ix_comments_post_created", "post_id", "created_at"),
        Index("ix_comments_post_fingerprint", "post_id", "fingerprint", "created_at"),
        # Pages of threads: the top-level comments in number order, then their threads.
        Index("ix_comments_post_status_number", "post_id", "status", "number"),
        Index("ix_comments_post_thread", "post_id", "thread_id", "status"),
        # Top-level comments only (a thread's root is its own thread): counting a post's
        # threads reads this index, not every comment's row (migration 0012).
        Index(
            "ix_comments_thread_roots",
            "post_id",
            "status",
            "number",
            sqlite_where=text("thread_id = id"),
            postgresql_where=text("thread_id = id"),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    post_id: Mapped[str] = mapped_column(String(64))
    #: None until the comment is first approved (numbers readers see have no gaps).
    number: Mapped[int | None]
    author: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[str | None] = mapped_column(String(32))
    #: The id of the thread's top-level comment (its own id for a top-level comment).
    thread_id: Mapped[str | None] = mapped_column(String(32))
    #: "owner" or "author" for the author mark, set by the host; None for readers.
    role: Mapped[str | None] = mapped_column(String(10))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: None when unknown (archives that kept no times).
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))
    #: The verdict trail as JSON: [{"action", "reason", "source"}, ...].
    verdicts: Mapped[str] = mapped_column(Text, default="[]")
    #: "comment", "pingback" or "trackback" (migration 0010).
    kind: Mapped[str] = mapped_column(String(10), default="comment", server_default="comment")
    #: ``text_fingerprint(body)``, so the duplicate filter finds equal texts in the index.
    fingerprint: Mapped[str | None] = mapped_column(String(32))


class CommentCounterRow(Model):
    """The highest number a post's comments were ever given, so a deleted one's is not reused."""

    __tablename__ = "comment_counters"

    post_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int]
    #: How many of the post's comments are approved (what readers see counted).
    approved: Mapped[int] = mapped_column(default=0, server_default="0")
    #: How many of those are top-level: the post's threads (the page a new one is on).
    threads: Mapped[int] = mapped_column(default=0, server_default="0")


_TABLE: Table = CommentRow.__table__  # type: ignore[assignment]  # a mapped class's is a Table
_COUNTERS: Table = CommentCounterRow.__table__  # type: ignore[assignment]  # as above
_UPSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
#: The moderation queue's order: newest first, comments without a time (archives) last.
_NEWEST_FIRST = (
    CommentRow.created_at.is_(None),
    CommentRow.created_at.desc(),
    CommentRow.number.desc(),
    CommentRow.id,
)
#: Numbered comments by number, then the unnumbered (held, spam) by time, unknown times last.
_LISTING_ORDER = (
    CommentRow.number.is_(None),
    CommentRow.number,
    CommentRow.created_at.is_(None),
    CommentRow.created_at,
    CommentRow.id,
)


#: Statements on every comment POST, built once: building a statement (and its cache key)
#: cost SQLAlchemy more than running it.
_BY_SUBMISSION_KEY = select(_TABLE).where(CommentRow.submission_key == bindparam("key"))
_BY_ID = select(_TABLE).where(CommentRow.id == bindparam("comment_id"))
_INSERT = insert(_TABLE)
_BY_FINGERPRINT = (
    select(_TABLE)
    .where(
        CommentRow.post_id == bindparam("post_id"),
        CommentRow.fingerprint == bindparam("fingerprint"),
        CommentRow.created_at >= bindparam("since", type_=UTCDateTime()),
    )
    .order_by(CommentRow.created_at, CommentRow.number.is_(None), CommentRow.number, CommentRow.id)
)


def _thread_index_statement() -> Select[Any]:
    """(the thread's root number, how many shown threads come before it) of comment
    ``number`` of ``post_id``, in one statement (it runs after every comment POST)."""
    shown = _shown_threads(bindparam("post_id"))
    thread = (
        select(CommentRow.thread_id)
        .where(
            CommentRow.post_id == bindparam("post_id"),
            CommentRow.number == bindparam("number"),
            CommentRow.status == Status.APPROVED.value,
        )
        .correlate(None)
        .scalar_subquery()
    )
    root = (
        select(CommentRow.number)
        .where(CommentRow.id == thread, *shown)
        .correlate(None)
        .scalar_subquery()
    )
    before = (
        select(func.count())
        .where(*shown, CommentRow.number < root)
        .correlate(None)
        .scalar_subquery()
    )
    # The comment given the post's last number, if a thread of its own, is its newest:
    # the threads before it are all but one of the kept count (no counting them).
    counter = _COUNTERS.c
    newest = (
        select(CommentRow.id)
        .where(
            *shown,
            CommentRow.number == bindparam("number"),
            CommentRow.number
            == select(counter.last_number)
            .where(counter.post_id == bindparam("post_id"))
            .scalar_subquery(),
        )
        .correlate(None)
        .exists()
    )
    kept = select(counter.threads - 1).where(counter.post_id == bindparam("post_id"))
    return select(root, case((newest, kept.scalar_subquery()), else_=before))


def _next_number_statement(upsert: Any) -> Any:
    """Bump a post's counter (``post_id``, adding ``shown`` to its approved count and
    ``root`` to its threads) and return the next number: one past both the counter and the
    highest number stored."""
    counter = _COUNTERS.c.last_number
    stmt: Any = upsert(_COUNTERS).values(
        post_id=bindparam("post_id"),
        last_number=_highest_stored(bindparam("post_id")) + 1,
        approved=bindparam("shown"),
        threads=bindparam("root"),
    )
    given = stmt.excluded.last_number
    return stmt.on_conflict_do_update(
        index_elements=[_COUNTERS.c.post_id],
        set_={
            "last_number": case((counter + 1 < given, given), else_=counter + 1),
            "approved": _COUNTERS.c.approved + stmt.excluded.approved,
            "threads": _COUNTERS.c.threads + stmt.excluded.threads,
        },
    ).returning(counter, _COUNTERS.c.threads)


class SqlCommentStore:
    """Comments in SQL. Options: ``url`` (another database than the app's), ``retries``."""

    def __init__(self, *, url: str | None = None, retries: int = 8) -> None:
        self._url = url
        self._own_engine: Engine | None = None
        self._stamper: Callable[[Connection, Sequence[str]], None] | None = None
        self._retries = retries
        if url is not None:
            self._own_engine = _make_engine(url)
            db.metadata.create_all(self._own_engine, tables=[_TABLE, _COUNTERS])

    def dispose(self) -> None:
        """Close our own engine's connections (``url`` given); the app's engine is the app's."""
        if self._own_engine is not None:
            self._own_engine.dispose()

    @property
    def engine(self) -> Engine:
        """The engine in use: our own (``url`` given) or the app's (needs an app context)."""
        return self._own_engine if self._own_engine is not None else db.engine

    # -- writing ------------------------------------------------------------------------
    def add(self, new: NewComment) -> StoredComment:
        return self.add_many([new])[0]

    def stamp_with(self, stamper: Callable[[Connection, Sequence[str]], None]) -> bool:
        """Let ``stamper`` mark posts changed inside each write that publishes a comment (one
        transaction, not two); only when the comments live in the app's own database, where
        the posts are. True when accepted (``freshness.StampingStore``)."""
        if self._own_engine is not None:
            return False
        self._stamper = stamper
        return True

    def add_many(self, news: Sequence[NewComment]) -> list[StoredComment]:
        for attempt in range(self._retries):
            try:
                with self._transaction() as conn:
                    # A key sent twice at once meets the unique constraint: looked up on retry.
                    stored = [self._insert(conn, new, attempt > 0) for new in news]
                    published = [c.post_id for c in stored if c.status is Status.APPROVED]
                    if self._stamper is not None and published:
                        self._stamper(conn, list(dict.fromkeys(published)))
                    return stored
            except IntegrityError as exc:
                # Two writers created a post's first counter at once (the FOR UPDATE path),
                # or the same submission key arrived twice at once: look again.
                log.info("comment insert conflict, retrying (%s): %s", attempt, exc.orig)
                time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
        raise StoreError("could not store comment: too many conflicting writers")

    def _insert(self, conn: Connection, new: NewComment, look: bool = True) -> StoredComment:
        """One comment in the caller's transaction, with Core statements: the ORM's unit of
        work (and its session) cost more than the rest of the write. ``look``: first for the
        same submission key (the service looked before the chain ran; the unique key catches
        a race)."""
        draft = new.draft
        if draft.submission_key and look:
            earlier = conn.execute(_BY_SUBMISSION_KEY, {"key": draft.submission_key}).first()
            if earlier is not None:
                return _to_comment(earlier)
        # Numbered on publish: a held or spam comment has none (an archive's own number kept).
        shown = int(new.status is Status.APPROVED)
        comment_id = uuid.uuid4().hex
        thread_id = _thread_of(conn, draft.post_id, draft.parent_id) or comment_id
        root = shown if thread_id == comment_id else 0
        number, threads = new.number, None
        if number is not None or shown:
            number, threads = self._next_number(conn, draft.post_id, new.number, shown, root)
        row = dict(
            id=comment_id,
            post_id=draft.post_id,
            number=number,
            author=draft.author,
            email=draft.email,
            website=draft.website,
            body=draft.body,
            body_html=new.body_html,
            parent_id=draft.parent_id,
            thread_id=thread_id,
            role=draft.role.value if draft.role else None,
            remote_addr=draft.remote_addr,
            user_agent=draft.user_agent,
            submission_key=draft.submission_key or None,
            created_at=_utc(new.created_at) if new.created_at is not None else None,
            status=new.status.value,
            verdicts=json.dumps([v.to_dict() for v in new.verdicts]),
            kind=draft.kind.value,
            fingerprint=text_fingerprint(draft.body),
        )
        conn.execute(_INSERT, row)
        stored = _to_comment(SimpleNamespace(**row))
        if root and threads is not None:  # the newest thread: the last of the post's threads
            stored = replace(stored, thread_index=threads - 1)
        return stored

    def _next_number(
        self, conn: Connection, post_id: str, explicit: int | None, shown: int = 0, root: int = 0
    ) -> tuple[int, int | None]:
        """Bump the post's counter and give the number to use, with the post's threads after
        the bump when the same statement said (else None); holds the counter row's lock.

        ``shown`` (0 or 1) is added to the post's approved count in the same statement, and
        ``root`` (0 or 1: a shown top-level comment) to its threads.

        An explicit number (an archive import) is kept unless stored already, and raises the
        counter to it. Otherwise the number is one past both the counter and the highest number
        stored, so a post whose counter row is missing (a database from before the counters)
        goes on where it was instead of clashing.
        """
        dialect = conn.dialect.name
        upsert = _UPSERTS.get(dialect)
        if upsert is None:
            number = self._next_number_locking(conn, post_id, explicit, shown, root)
        elif explicit is None:  # a reader's comment: the statement built once
            params = {"post_id": post_id, "shown": shown, "root": root}
            number, threads = conn.execute(_NEXT_NUMBER[dialect], params).one()
            return int(number), int(threads)
        else:  # an archive's own number: the counter rises to it if it is higher
            counter = _COUNTERS.c.last_number
            # sqlite's or postgresql's Insert: both have on_conflict_do_update and excluded.
            stmt: Any = upsert(_COUNTERS).values(
                post_id=post_id, last_number=explicit, approved=shown, threads=root
            )
            given = stmt.excluded.last_number
            stmt = stmt.on_conflict_do_update(
                index_elements=[_COUNTERS.c.post_id],
                set_={
                    "last_number": case((counter < given, given), else_=counter),
                    "approved": _COUNTERS.c.approved + shown,
                    "threads": _COUNTERS.c.threads + root,
                },
            ).returning(counter)
            number = conn.execute(stmt).scalar_one()
        if explicit is None:
            return number, None
        taken = conn.scalar(
            select(CommentRow.id).where(
                CommentRow.post_id == post_id, CommentRow.number == explicit
            )
        )
        if taken is not None:
            raise StoreError(f"post {post_id} already has a comment number {explicit}")
        return explicit, None

    def _next_number_locking(
        self, conn: Connection, post_id: str, explicit: int | None, shown: int, root: int
    ) -> int:
        """The counter for databases without our upsert: row lock, or insert (retried on clash)."""
        counters = _COUNTERS.c
        row = conn.execute(
            select(counters.last_number, counters.approved, counters.threads)
            .where(counters.post_id == post_id)
            .with_for_update()
        ).first()
        last, approved, threads = row if row is not None else (0, 0, 0)
        stored = conn.scalar(select(_highest_stored(post_id))) or 0
        last = max(last + 1, stored + 1) if explicit is None else max(last, explicit)
        values = dict(last_number=last, approved=approved + shown, threads=threads + root)
        if row is None:  # a counter inserted at the same time elsewhere: IntegrityError, retry
            conn.execute(insert(_COUNTERS).values(post_id=post_id, **values))
        else:
            conn.execute(update(_COUNTERS).where(counters.post_id == post_id).values(**values))
        return int(last)

    def set_status(self, comment_id: str, status: Status) -> StoredComment:
        with self._writing() as session:
            row = session.get(CommentRow, comment_id)
            if row is None:
                raise KeyError(comment_id)
            change = int(status is Status.APPROVED) - int(row.status == Status.APPROVED.value)
            roots = change if _is_root(row) else 0
            row.status = status.value
            if status is Status.APPROVED and row.number is None:
                row.number = self._next_number(
                    session.connection(), row.post_id, None, change, roots
                )[0]
            else:
                _move_kept_counts(session, row.post_id, change, roots)
            session.flush()
            return _to_comment(row)

    def delete(self, comment_id: str) -> None:
        with self._writing() as session:
            row = session.get(CommentRow, comment_id)
            if row is None:
                raise KeyError(comment_id)
            shown = int(row.status == Status.APPROVED.value)
            _move_kept_counts(session, row.post_id, -shown, -shown if _is_root(row) else 0)
            session.delete(row)

    def delete_for_post(self, post_id: str) -> int:
        with self._writing() as session:
            result = session.execute(delete(CommentRow).where(CommentRow.post_id == post_id))
            session.execute(delete(CommentCounterRow).where(CommentCounterRow.post_id == post_id))
            return result.rowcount or 0  # type: ignore[attr-defined]  # a DML Result has it

    # -- reading ------------------------------------------------------------------------
    def get(self, comment_id: str) -> StoredComment | None:
        with self._reading() as conn:
            row = conn.execute(_BY_ID, {"comment_id": comment_id}).first()
            return _to_comment(row) if row is not None else None

    def list_for_post(
        self,
        post_id: str,
        status: Status | None = Status.APPROVED,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        query = select(_TABLE).where(CommentRow.post_id == post_id)
        if status is not None:
            query = query.where(CommentRow.status == status.value)
        if status is Status.APPROVED:  # approved comments are numbered: the index's order
            query = query.order_by(CommentRow.number)
        else:
            query = query.order_by(*_LISTING_ORDER)
        return self._all(query.offset(offset).limit(limit))

    def get_many(self, comment_ids: Sequence[str]) -> dict[str, StoredComment]:
        if not comment_ids:
            return {}
        found = self._all(select(_TABLE).where(CommentRow.id.in_(list(comment_ids))))
        return {c.id: c for c in found}

    def get_by_number(self, post_id: str, number: int) -> StoredComment | None:
        rows = self._all(
            select(_TABLE).where(CommentRow.post_id == post_id, CommentRow.number == number)
        )
        return rows[0] if rows else None

    def count_threads(self, post_id: str) -> int:
        """The count kept on the post's counter row: one row read, not the post's threads. A
        post without one never had a comment published (publishing makes it; migration
        0002 made one for every post that had comments)."""
        with self._reading() as conn:
            return int(conn.scalar(_KEPT_THREADS, {"post_id": post_id}) or 0)

    def list_threads(
        self, post_id: str, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        # A derived table, not IN (... LIMIT): MySQL and MariaDB refuse LIMIT inside IN.
        roots = (
            select(CommentRow.id)
            .where(*_shown_threads(post_id))
            .order_by(CommentRow.number)
            .offset(offset)
            .limit(limit)
            .subquery()
        )
        query = (
            select(_TABLE)
            .join(roots, CommentRow.thread_id == roots.c.id)
            .where(CommentRow.post_id == post_id, CommentRow.status == Status.APPROVED.value)
            .order_by(CommentRow.number)
        )
        return self._all(query)

    def thread_index(self, post_id: str, number: int) -> int | None:
        with self._reading() as conn:
            found, count = conn.execute(_THREAD_INDEX, {"post_id": post_id, "number": number}).one()
        return None if found is None else count or 0

    def count_for_posts(
        self,
        post_ids: Sequence[str],
        status: Status = Status.APPROVED,
        kinds: Sequence[CommentKind] | None = None,
    ) -> dict[str, int]:
        counts = dict.fromkeys(post_ids, 0)
        if not post_ids:
            return counts
        if status is Status.APPROVED and kinds is None:
            # Every kind is shown: the count kept on the counter rows, one row per post.
            kept = select(_COUNTERS.c.post_id, _COUNTERS.c.approved).where(
                _COUNTERS.c.post_id.in_(list(post_ids))
            )
            with self._reading() as conn:
                counts.update({post_id: n for post_id, n in conn.execute(kept)})
            return counts
        query = select(CommentRow.post_id, func.count()).where(
            CommentRow.post_id.in_(list(post_ids)), CommentRow.status == status.value
        )
        if kinds is not None:
            query = query.where(CommentRow.kind.in_([k.value for k in kinds]))
        query = query.group_by(CommentRow.post_id)
        with self._reading() as conn:
            counts.update({post_id: n for post_id, n in conn.execute(query)})
        return counts

    def list_by_status(
        self, status: Status, offset: int = 0, limit: int | None = None
    ) -> list[StoredComment]:
        query = (
            select(_TABLE)
            .where(CommentRow.status == status.value)
            .order_by(*_NEWEST_FIRST)
            .offset(offset)
            .limit(limit)
        )
        return self._all(query)

    def find_by_submission_key(self, key: str) -> StoredComment | None:
        rows = self._all(_BY_SUBMISSION_KEY, {"key": key})
        return rows[0] if rows else None

    def count_recent(self, remote_addr: str, since: datetime) -> int:
        query = select(func.count()).where(
            CommentRow.remote_addr == remote_addr, CommentRow.created_at >= since
        )
        with self._reading() as conn:
            return conn.scalar(query) or 0

    def list_recent_for_post(self, post_id: str, since: datetime) -> list[StoredComment]:
        query = (
            select(_TABLE)
            .where(CommentRow.post_id == post_id, CommentRow.created_at >= since)
            .order_by(*_LISTING_ORDER)
        )
        return self._all(query)

    def find_by_fingerprint(
        self, post_id: str, fingerprint: str, since: datetime
    ) -> list[StoredComment]:
        params = {"post_id": post_id, "fingerprint": fingerprint, "since": since}
        return self._all(_BY_FINGERPRINT, params)

    def count_by_status(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        query = select(CommentRow.status, func.count()).group_by(CommentRow.status)
        with self._reading() as conn:
            counts.update({Status(status): n for status, n in conn.execute(query)})
        return counts

    def search(
        self,
        query: str = "",
        status: Status | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[StoredComment]:
        stmt = select(_TABLE)
        if status is not None:
            stmt = stmt.where(CommentRow.status == status.value)
        if query:
            stmt = stmt.where(
                or_(
                    *(
                        column.icontains(query, autoescape=True)
                        for column in (
                            CommentRow.body,
                            CommentRow.author,
                            CommentRow.email,
                            CommentRow.remote_addr,
                        )
                    )
                )
            )
        stmt = stmt.order_by(*_NEWEST_FIRST)
        return self._all(stmt.offset(offset).limit(limit))

    def find_by_id_prefix(self, prefix: str, limit: int = 2) -> list[StoredComment]:
        if not prefix:
            return []
        stmt = select(_TABLE).where(CommentRow.id.startswith(prefix, autoescape=True))
        return self._all(stmt.order_by(CommentRow.id).limit(limit))

    # -- sessions -----------------------------------------------------------------------
    def _all(self, query: Executable, params: dict[str, Any] | None = None) -> list[StoredComment]:
        """Plain rows, not ORM objects: a page of 2,000 comments reads about twice as fast."""
        with self._reading() as conn:
            return [_to_comment(row) for row in conn.execute(query, params)]

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A read: a Core connection (every read here is a Core statement, and the ORM's
        session cost more than the statement); on a server database in autocommit (each read
        is one statement), so it is one round trip, not BEGIN, the statement and ROLLBACK."""
        try:
            with single_statement_connection(self.engine) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"could not read comments: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """One write transaction on a Core connection, holding SQLite's write lock from its
        first statement. Adding comments uses it bare: every statement of it is Core, and an
        ORM session cost more than the rest of the write."""
        engine = engine_with(self.engine, sqlite_begin="IMMEDIATE")
        try:
            with engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"could not write comments: {exc}") from exc

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """``_transaction`` with an ORM session on its connection (moderation, deletion)."""
        with (
            self._transaction() as conn,
            Session(bind=conn, expire_on_commit=False) as session,
        ):
            yield session
            session.flush()


def _make_engine(url: str) -> Engine:
    from ...config import database_url

    engine = create_engine(database_url(url), pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        from ...extensions import tune_sqlite

        tune_sqlite(engine, 30)
    return engine


def _move_kept_counts(session: Session, post_id: str, change: int, roots: int = 0) -> None:
    """Move the post's kept approved count by ``change`` and its threads by ``roots`` (in
    the caller's transaction)."""
    if change or roots:
        session.execute(
            update(_COUNTERS)
            .where(_COUNTERS.c.post_id == post_id)
            .values(approved=_COUNTERS.c.approved + change, threads=_COUNTERS.c.threads + roots)
        )


def _is_root(row: CommentRow) -> bool:
    """A top-level comment: its own thread (as ``_shown_threads`` asks)."""
    return row.thread_id == row.id


def _highest_stored(post_id: str | ColumnElement[str]) -> ColumnElement[int]:
    """The post's highest stored number, 0 if none (one index lookup on post_id, number)."""
    return (
        select(func.coalesce(func.max(CommentRow.number), 0))
        .where(CommentRow.post_id == post_id)
        .scalar_subquery()
    )


def _shown_threads(post_id: str | ColumnElement[str]) -> tuple[ColumnElement[bool], ...]:
    """The conditions for a post's listed threads: its approved top-level comments."""
    return (
        CommentRow.post_id == post_id,
        CommentRow.status == Status.APPROVED.value,
        CommentRow.thread_id == CommentRow.id,
    )


def _thread_of(conn: Connection, post_id: str, parent_id: str | None) -> str | None:
    """The thread a reply joins: its parent's, if the parent is this post's (else None)."""
    if not parent_id:
        return None
    parent = conn.execute(_PARENT, {"parent_id": parent_id}).first()
    if parent is None or parent.post_id != post_id:
        return None
    return str(parent.thread_id or parent.id)


def _utc(when: datetime) -> datetime:
    """Aware UTC, as the contract promises back; a naive time is the caller's mistake."""
    if when.tzinfo is None:
        raise StoreError("naive created_at given; comments keep aware UTC times only")
    return when.astimezone(UTC)


def _to_comment(row: Any) -> StoredComment:
    """A StoredComment from a CommentRow or a plain result row of the comments table."""
    return StoredComment(
        id=row.id,
        post_id=row.post_id,
        number=row.number,
        author=row.author,
        body=row.body,
        body_html=row.body_html,
        created_at=row.created_at,
        status=Status(row.status),
        email=row.email,
        website=row.website,
        parent_id=row.parent_id,
        remote_addr=row.remote_addr,
        user_agent=row.user_agent,
        submission_key=row.submission_key,
        verdicts=_verdicts(row.verdicts),
        kind=CommentKind(row.kind),
        role=Role(row.role) if row.role else None,
    )


def _verdicts(trail: str | None) -> tuple[Verdict, ...]:
    if not trail or trail == "[]":  # most comments: no filter had an opinion
        return ()
    return tuple(Verdict.from_dict(v) for v in json.loads(trail))


_THREAD_INDEX = _thread_index_statement()
_KEPT_THREADS = select(_COUNTERS.c.threads).where(_COUNTERS.c.post_id == bindparam("post_id"))
_PARENT = select(CommentRow.id, CommentRow.post_id, CommentRow.thread_id).where(
    CommentRow.id == bindparam("parent_id")
)
_NEXT_NUMBER = {name: _next_number_statement(upsert) for name, upsert in _UPSERTS.items()}
