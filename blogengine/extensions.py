"""The Flask extensions, created unbound here and bound in create_app()."""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Typed declarative base; named constraints so migrations work on SQLite too."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # mypy cannot see through ``db.Model`` (made at run time from Base): to it, the models'
    # base is Base, which is what db.Model is built from.
    class Model(Base):
        __abstract__ = True
else:
    Model = db.Model
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)
#: Readers' pages (pagecache.py); CACHE_TYPE chooses where they are kept.
cache = Cache()


class ReaderSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without its signing set up for requests that carry no
    session cookie (most readers: reading sets none, see pagecache.py)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_extensions(app: Flask) -> None:
    """Bind every extension to the app and tune SQLite for concurrent writers."""
    from .dbfaults import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    app.session_interface = ReaderSessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent / "migrations"


#: ``execution_options(sqlite_begin=SINGLE_STATEMENT)``: no BEGIN (each statement commits
#: on its own), for reads of one statement, as on a server database in autocommit.
SINGLE_STATEMENT = "single statement"


def read_without_transaction(session: Session) -> None:
    """Have each of ``session``'s statements be a transaction of its own until it is closed:
    on a server database autocommit, on SQLite no BEGIN.

    For a reader's request, which only reads through ``db.session`` (comments are written
    by the store's own sessions): BEGIN and ROLLBACK were two of the six round trips a post
    page made to PostgreSQL. Does nothing once the session's transaction has begun.
    """
    if not session.in_transaction():
        session.connection(execution_options=single_statement_options(session.get_bind()))


def single_statement_options(bind: Engine | Connection) -> dict[str, str]:
    """Execution options under which each statement is a transaction of its own: for reads
    of one statement, which need no BEGIN and ROLLBACK (two more round trips to a server)."""
    if bind.dialect.name == "sqlite":  # SQLite's BEGIN is ours (tune_sqlite)
        return {"sqlite_begin": SINGLE_STATEMENT}
    return {"isolation_level": "AUTOCOMMIT"}


def single_statement_engine(engine: Engine) -> Engine:
    """``engine`` for reads of one statement (``single_statement_options``), made once."""
    return engine_with(engine, **single_statement_options(engine))


#: This thread's shared read connection per engine inside ``reads_on_one_connection`` (None
#: until its first read).
_SHARED_READS = threading.local()


@contextmanager
def reads_on_one_connection(engine: Engine) -> Iterator[None]:
    """Within the block, this thread's reads of one statement on ``engine``
    (``single_statement_connection``) share one connection: a comment POST makes three (its
    post, the submission key, the duplicate check), and taking a connection from the pool and
    giving it back cost more than such a read. The connection is taken at the first read (not
    while a slow body arrives) and given back at the end. Another thread (a plugin filter's)
    takes its own, as outside the block."""
    shared: dict[Engine, Connection | None] | None = getattr(_SHARED_READS, "connections", None)
    if shared is None:
        shared = _SHARED_READS.connections = {}
    if engine in shared:  # nested: the outer block's connection serves
        yield
        return
    shared[engine] = None
    try:
        yield
    finally:
        conn = shared.pop(engine)
        if conn is not None:
            conn.close()


@contextmanager
def single_statement_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads of one statement each (``single_statement_options``): the
    thread's shared one inside ``reads_on_one_connection``, else one of its own."""
    shared: dict[Engine, Connection | None] | None = getattr(_SHARED_READS, "connections", None)
    if not shared or engine not in shared:
        with single_statement_engine(engine).connect() as own:
            yield own
        return
    conn = shared[engine]
    if conn is None or conn.invalidated:  # the first read, or the last one lost its server
        if conn is not None:
            conn.close()
        conn = shared[engine] = single_statement_engine(engine).connect()
    yield conn


@functools.lru_cache(maxsize=32)
def engine_with(engine: Engine, **options: str) -> Engine:
    """``engine.execution_options(**options)``, made once per engine and options: the hot
    paths (every store read and write) ask for the same few, and making one cost more than
    a short read."""
    return engine.execution_options(**options)


def tune_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL journal, a busy timeout and explicit BEGINs (IMMEDIATE for writers that ask).

    pysqlite starts transactions lazily, so two writers can each read and then both try to
    write, and one fails at once with "database is locked". Taking over BEGIN lets a writer
    say `execution_options(sqlite_begin="IMMEDIATE")` and wait its turn instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        if mode == SINGLE_STATEMENT:
            return  # a read of one statement is a transaction of its own
        conn.exec_driver_sql(f"BEGIN {mode}".strip())
