"""When the database fails: bounded waits, one 503 page for every view, recovery by itself.

* **Bounded waits.** PostgreSQL gets a ``connect_timeout`` and a server-side
  ``statement_timeout`` (``DATABASE_CONNECT_TIMEOUT``, ``DATABASE_STATEMENT_TIMEOUT``). A
  server whose processes are frozen (SIGSTOP) cannot time a statement out itself and the
  kernel keeps its sockets open, so a client-side watchdog also shuts the socket of a
  statement that outlives the timeout: the request fails with OperationalError instead of
  hanging until gunicorn kills the worker. SQLite waits ``SQLITE_BUSY_TIMEOUT`` for a lock.
* **A ping after a quiet spell.** A connection taken from the pool after lying unused for
  ``DATABASE_PING_AFTER_IDLE`` seconds is pinged first (under the watchdog), so a connection
  to a server that went away and came back while the site was quiet is replaced: the first
  request after the database returns works, without a restart. A connection used a moment
  ago is not pinged (a round trip per checkout, several per request, cost PostgreSQL a third
  of its rate): if the server went away since, its statement fails (a 503), SQLAlchemy sees a
  disconnect and replaces the pool's connections, and the next request works.
* **One mechanism for "the database cannot be reached".** OperationalError/InterfaceError
  (or any DBAPIError that invalidated its connection), raised by any view, becomes the 503
  page; the session is rolled back. On the comment POST the form comes back from
  ``request.form`` with every field as typed, without reading the post (the database is the
  thing that is down).
* **SQLite made read-only and writable again.** SQLite creates its ``-wal``/``-shm`` files
  with the database file's mode, so a ``-shm`` made while the database was read-only stays
  read-only after the operator restores the database's mode. The site gives the side files
  the database file's mode again (when it owns them), reopens its connections, and logs
  exactly which file to fix when it cannot.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.pool import ConnectionPoolEntry
from werkzeug.wrappers import Response

from .extensions import db
from .watchdog import SocketWatchdog

log = logging.getLogger(__name__)

COMMENT_ENDPOINT = "comments.post_comment"

DATABASE_DOWN_PROBLEM = (
    "The blog's database cannot be reached; your comment is below, nothing was saved; "
    "try again in a minute."
)
DATABASE_DOWN_MESSAGE = (
    "The blog's database cannot be reached just now. Nothing is lost: please try again in a minute."
)
#: Seconds the watchdog lets a statement run past the server's own statement_timeout: a live
#: server cancels it first (a clean error); only a frozen one is cut off by the client.
WATCHDOG_GRACE = 1.0
SQLITE_SIDE_FILES = ("-wal", "-shm")
#: Marks a pooled SQLite connection opened while a file could not be written.
READ_ONLY_KEY = "blogengine.opened_read_only"
#: When a pooled server connection was last opened or given back (``time.monotonic``).
LAST_USED_KEY = "blogengine.last_used"
#: Each watched engine's watchdog and its statement limit (``watched``).
_WATCHDOGS: weakref.WeakKeyDictionary[Engine, tuple[SocketWatchdog, float]] = (
    weakref.WeakKeyDictionary()
)


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS with the timeouts for this database, the owner's keys winning."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql":
        # connect_args replace the URL's own ``options`` (a search_path, say): keep both.
        given = url.query.get("options") or ()
        server = [*([given] if isinstance(given, str) else given)]
        server.append(f"-c statement_timeout={_millis(config['DATABASE_STATEMENT_TIMEOUT'])}")
        connect_args = {
            "connect_timeout": max(1, round(float(config["DATABASE_CONNECT_TIMEOUT"]))),
            "options": " ".join(server),
            **(options.get("connect_args") or {}),
        }
        options["connect_args"] = connect_args
    return options


def _millis(seconds: Any) -> int:
    return int(float(seconds) * 1000)


@contextlib.contextmanager
def watched(engine: Engine, dbapi_conn: Any) -> Iterator[None]:
    """Run a statement on ``dbapi_conn`` outside SQLAlchemy's execution (the page stamp's
    own connection) under the engine's watchdog, as every statement through the engine is."""
    found = _WATCHDOGS.get(engine)
    if found is None:  # SQLite: nothing to cut off
        yield
        return
    watchdog, limit = found
    token = watchdog.arm(dbapi_conn, limit)
    try:
        yield
    finally:
        watchdog.disarm(token)


def watch_engine(
    engine: Engine,
    *,
    ping_timeout: float,
    statement_timeout: float,
    ping_after_idle: float = 1.0,
) -> None:
    """A server: ping a connection idle for ``ping_after_idle`` seconds when it is checked
    out, cut off frozen statements. SQLite: reopen once writable.

    SQLite has no socket to cut and its own busy timeout, and a ping would find nothing: a
    file does not go away between two requests.
    """
    path = sqlite_path(engine)
    if engine.dialect.name == "sqlite":
        if path is not None:
            _watch_sqlite_file(engine, path)
        return
    watchdog = SocketWatchdog(what="database statement")

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[LAST_USED_KEY] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[LAST_USED_KEY] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        last_used = record.info.get(LAST_USED_KEY)
        if last_used is not None and time.monotonic() - last_used < ping_after_idle:
            return  # in use a moment ago: a server gone since fails its statement instead
        token = watchdog.arm(dbapi_conn, ping_timeout)
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()  # the driver began a transaction: hand the connection idle
        except Exception as exc:  # the driver's own error class: any failure means "replace it"
            raise DisconnectionError(f"stale connection replaced: {exc}") from exc
        finally:
            watchdog.disarm(token)

    limit = statement_timeout + WATCHDOG_GRACE
    _WATCHDOGS[engine] = (watchdog, limit)
    armed: dict[int, int] = {}  # id(DBAPI connection) -> its watchdog token

    def arm(dbapi_conn: Any) -> None:
        if dbapi_conn is not None:
            disarm(dbapi_conn)
            armed[id(dbapi_conn)] = watchdog.arm(dbapi_conn, limit)

    def disarm(dbapi_conn: Any) -> None:
        token = armed.pop(id(dbapi_conn), None)
        if token is not None:
            watchdog.disarm(token)

    # Statements, COMMIT/ROLLBACK and the pool's reset each run under the limit; a
    # connection back in the pool is never watched.
    def _statement(conn: Any, *_args: Any) -> None:
        if conn.invalidated:  # the ROLLBACK after a lost connection: no socket to watch
            return
        arm(conn.connection.dbapi_connection)

    def _answered(conn: Any, *_args: Any) -> None:
        disarm(conn.connection.dbapi_connection)

    def _failed(context: Any) -> None:
        if context.connection is not None and not context.connection.invalidated:
            disarm(context.connection.connection.dbapi_connection)

    event.listen(engine, "before_cursor_execute", _statement)
    event.listen(engine, "after_cursor_execute", _answered)
    event.listen(engine, "commit", _statement)
    event.listen(engine, "rollback", _statement)
    event.listen(engine, "handle_error", _failed)
    event.listen(engine, "reset", lambda dbapi_conn, *_: arm(dbapi_conn))
    event.listen(engine, "checkin", lambda dbapi_conn, *_: disarm(dbapi_conn))
    event.listen(engine, "close", lambda dbapi_conn, *_: disarm(dbapi_conn))


# -- the 503 page ---------------------------------------------------------------------------


def is_unreachable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the database cannot be used just now."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OperationalError | InterfaceError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


def database_unreachable(error: DBAPIError) -> Response:
    """Every view: the 503 page; the comment POST: the form again with the reader's text."""
    if not is_unreachable(error):
        raise error  # a bug (IntegrityError, a typo in SQL): the 500 page and the log
    log.error("database unreachable on %s %s: %s", request.method, request.path, error.orig)
    _forget_session()
    return render_unavailable(DATABASE_DOWN_PROBLEM, DATABASE_DOWN_MESSAGE)


def render_unavailable(problem: str, message: str) -> Response:
    """The 503 page; on the comment form, that form refilled from the request, as typed."""
    from .comments import get_service
    from .comments.forms import CommentForm

    if request.endpoint == COMMENT_ENDPOINT and request.method == "POST":
        service = get_service()
        html = render_template(
            "comment_unavailable.html",
            problem=problem,
            form=CommentForm(),
            action=request.path,
            captcha_html=service.render_captcha(request.remote_addr),
            extra_fields=service.form_fields(),
        )
    else:
        html = render_template("errors/503.html", message=message)
    response = current_app.make_response((html, 503))
    response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _forget_session() -> None:
    """Roll back and drop the request's session: its connection is broken or gone."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    with contextlib.suppress(Exception):
        db.session.remove()


# -- SQLite read-only, then writable again ------------------------------------------------


def _watch_sqlite_file(engine: Engine, path: Path) -> None:
    """A connection opened while the files were read-only is replaced once they are not."""

    @event.listens_for(engine, "connect")
    def _opened(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info[READ_ONLY_KEY] = bool(mend_sqlite_files(path))

    @event.listens_for(engine, "checkout")
    def _reopen_when_writable(_dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if record.info.get(READ_ONLY_KEY) and not mend_sqlite_files(path):
            raise DisconnectionError(f"{path} is writable again: reopening the connection")

    event.listen(engine, "handle_error", _reopen_if_readonly)


def _reopen_if_readonly(context: Any) -> None:
    """ "attempt to write a readonly database": mend the side files, reopen every connection.

    A connection opened while the file was read-only stays read-only for good; marking the
    error a disconnect makes SQLAlchemy drop the whole pool, so the next request opens new
    connections, which can write once the files can be written.
    """
    error = context.original_exception
    if not isinstance(error, sqlite3.OperationalError) or "readonly" not in str(error):
        return
    path = sqlite_path(context.engine)
    if path is not None:
        for problem in mend_sqlite_files(path):
            log.error("%s", problem)
    context.is_disconnect = True


def sqlite_path(engine: Engine) -> Path | None:
    """The SQLite database file of ``engine``; None for memory or another database."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def mend_sqlite_files(path: Path) -> list[str]:
    """Give ``-wal``/``-shm`` the database's mode when we own them; say what cannot be fixed.

    Returns one sentence per file this process cannot write, naming the file and the fix.
    """
    problems: list[str] = []
    if not path.exists():
        return problems
    if not os.access(path, os.W_OK):
        problems.append(_cannot_write(path, "the database file"))
        return problems
    mode = stat.S_IMODE(path.stat().st_mode)
    for suffix in SQLITE_SIDE_FILES:
        side = Path(f"{path}{suffix}")
        if not side.exists() or os.access(side, os.W_OK):
            continue
        with contextlib.suppress(OSError):
            os.chmod(side, mode)
            log.warning("gave %s the database file's mode (%o) again", side, mode)
        if not os.access(side, os.W_OK):
            problems.append(_cannot_write(side, "SQLite's side file"))
    if not os.access(path.parent, os.W_OK):
        problems.append(_cannot_write(path.parent, "the database's folder"))
    return problems


def _cannot_write(path: Path, what: str) -> str:
    return (
        f"SQLite: {what} {path} is not writable by this process (uid {os.geteuid()}): "
        f"comments cannot be saved until it is (e.g. chown/chmod u+w {path})"
    )


def init_app(app: Flask) -> None:
    """Install the ping, the watchdog and the 503 handler; say which SQLite file to fix."""
    with app.app_context():
        engine = db.engine
        watch_engine(
            engine,
            ping_timeout=float(app.config["DATABASE_CONNECT_TIMEOUT"]),
            statement_timeout=float(app.config["DATABASE_STATEMENT_TIMEOUT"]),
            ping_after_idle=float(app.config["DATABASE_PING_AFTER_IDLE"]),
        )
        path = sqlite_path(engine)
    if path is not None:
        for problem in mend_sqlite_files(path):
            app.logger.error("%s", problem)
    app.register_error_handler(DBAPIError, database_unreachable)
