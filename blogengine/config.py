"""Configuration: DefaultConfig < instance/config.py < BLOGENGINE_* env < test config."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from sqlalchemy.engine import make_url

from .safe_read import DEFAULT_MAX_BYTES

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DefaultConfig:
    """Every key blogengine reads, with its default. Override in instance/config.py."""

    #: Signs sessions, CSRF tokens and CAPTCHA tokens. Left empty, a random key is generated
    #: on first run and kept in instance/secret_key (never a fixed key in code).
    SECRET_KEY: str | None = None

    #: Site identity shown in the header and feeds.
    SITE_TITLE = "blogengine"
    SITE_TAGLINE = "Articles and the conversation around them"

    #: Database URL; None means SQLite at instance/blogengine.db (WAL mode, busy timeout).
    SQLALCHEMY_DATABASE_URI: str | None = None
    #: Seconds SQLite waits for a lock before giving up (the reader then gets the 503 page
    #: with their text, well before gunicorn's 30 s worker timeout).
    SQLITE_BUSY_TIMEOUT = 5
    #: PostgreSQL: seconds to wait for a connection, and for one statement (the server cancels
    #: it; if the server is frozen, the client cuts the connection a second later). Past
    #: either, the reader gets the 503 page (with their comment's text) instead of a hang.
    DATABASE_CONNECT_TIMEOUT = 3
    DATABASE_STATEMENT_TIMEOUT = 5
    #: PostgreSQL: a pooled connection unused for this many seconds is pinged before use (one
    #: that went away while the site was quiet is replaced; one in steady use is not pinged).
    DATABASE_PING_AFTER_IDLE = 1.0

    #: Largest archive file `blogengine seed` reads, in bytes (`--max-bytes` for one run).
    SEED_MAX_BYTES = DEFAULT_MAX_BYTES  # 8 MiB

    #: Posts per index page.
    POSTS_PER_PAGE = 10

    #: The time zone comment times are shown in (an IANA name, e.g. "Europe/Paris").
    SITE_TIMEZONE = "UTC"
    #: Top-level comments (threads, kept whole with their replies) per page of a post.
    COMMENTS_PER_PAGE = 50
    #: How deep replies nest; deeper replies are shown at the last level, saying whom they
    #: answer (1: every reply at the top level).
    COMMENTS_MAX_DEPTH = 5
    #: Show Gravatar images for commenters who gave an email (asks gravatar.com, with a hash
    #: of the email in the page). Off: a local identicon, drawn here, that reveals nothing.
    COMMENTS_GRAVATAR = False
    #: Days an author link (`blogengine posts author-link SLUG`) can be opened.
    AUTHOR_LINK_DAYS = 30

    #: The CAPTCHA backend by name (`blogengine plugins` lists them). `altcha`: a proof of work
    #: the browser does, with the `math` question for readers without JavaScript.
    COMMENTS_CAPTCHA = "altcha"
    #: Options per CAPTCHA backend name, passed as keyword arguments.
    COMMENTS_CAPTCHA_OPTIONS: dict[str, dict[str, Any]] = {}
    #: The spam-filter chain, run in this order (README: "Spam filters" says why these).
    COMMENTS_SPAM_FILTERS = ["honeypot", "impersonation", "links", "duplicate", "learning"]
    #: Options per spam-filter name.
    COMMENTS_SPAM_FILTERS_OPTIONS: dict[str, dict[str, Any]] = {}
    #: Seconds a spam filter may take before the comment is sent to moderation instead.
    COMMENTS_FILTER_TIMEOUT = 5.0
    #: The comment store by name.
    COMMENTS_STORE = "sql"
    #: Options per store name.
    COMMENTS_STORE_OPTIONS: dict[str, dict[str, Any]] = {}
    #: Hold every accepted comment for moderation instead of publishing it.
    COMMENTS_MODERATE_ALL = False
    #: Show imported pingbacks and trackbacks among a post's comments (marked as such). On by
    #: default: an imported site then reads as it did on WordPress, and the comment counts
    #: (which count every kind) match what the page shows.
    COMMENTS_SHOW_PINGBACKS = True
    #: Longest name, website, email and text a reader may send (characters).
    COMMENT_MAX_AUTHOR = 100
    COMMENT_MAX_EMAIL = 254
    COMMENT_MAX_WEBSITE = 300
    COMMENT_MAX_BODY = 10_000

    #: Folder of plugin files (*.py with register(registry)); None means the project's plugins/.
    PLUGINS_FOLDER: str | None = None

    #: Largest request body accepted, in bytes.
    MAX_CONTENT_LENGTH = 256 * 1024
    #: Seconds a request's body may take to arrive under gunicorn (then 408); 0 for no bound.
    REQUEST_BODY_TIMEOUT = 30

    WTF_CSRF_TIME_LIMIT = None  # the form may stay open while the reader writes
    #: Seconds a comment form's token stays good (it is signed, bound to the post and the
    #: form, and needs no session); an older form comes back with its text and a new token.
    COMMENT_FORM_MAX_AGE = 7 * 24 * 3600

    #: The page cache for anonymous readers (Flask-Caching): "SimpleCache" keeps pages in each
    #: process, "FileSystemCache" (with CACHE_DIR) in a folder, "RedisCache" (with
    #: CACHE_REDIS_URL, e.g. redis://127.0.0.1:6379/0) shared by every process and machine;
    #: "NullCache" turns it off. Pages are keyed by their change stamp, so a new comment, a
    #: moderation or an edit is seen on the next read whatever the backend.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 3600
    #: Prepended to every cache key (lets several sites, or tests, share one Redis).
    CACHE_KEY_PREFIX = "blogengine:"
    CACHE_THRESHOLD = 500  # pages kept per process by SimpleCache / FileSystemCache
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False

    #: Where Flask-Limiter counts requests: memory:// (one process) or redis://host:port.
    #: memory:// counts in each gunicorn worker apart, so N workers allow N times the comment
    #: limit (gunicorn logs a warning once when it starts serving: blogengine/serving.py); use
    #: Redis when the site runs more than one process.
    RATELIMIT_STORAGE_URI = "memory://"
    #: Prepended to every rate-limit key (lets several sites, or tests, share one Redis).
    RATELIMIT_KEY_PREFIX = ""
    #: Kept explicit: Flask-Limiter copies this onto its one shared instance, so a single app
    #: that switched it off would switch it off for every app built later in the process.
    RATELIMIT_ENABLED = True
    #: If the storage (Redis) is down, count in this process's memory instead, and never let
    #: a limiter error fail the request: no reader's comment is lost to the rate limiter.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    #: Comments one address may post; "" posts without a limit.
    COMMENTS_RATE_LIMIT = "5 per minute; 50 per day"
    #: Host names this site answers to; a request for any other Host gets 400 (Flask checks
    #: it). None accepts any Host, and the feeds' absolute links and ids then repeat whatever
    #: Host a client sent (a cache in front would keep and serve those): set it in production,
    #: e.g. ["blog.example.org"] (a leading dot, ".example.org", also allows subdomains).
    TRUSTED_HOSTS: list[str] | None = None
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto. 0 trusts none
    #: (a reader could forge their address); set it to the exact number of proxies.
    TRUSTED_PROXIES = 0
    #: Sent on every response; no inline script or style is allowed (templates have none).
    CONTENT_SECURITY_POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )

    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}

    #: The site's public address, e.g. "https://blog.example.org": links in emails and the
    #: moderation feed's URL start with it. None: the request's host (set TRUSTED_HOSTS), or
    #: SERVER_NAME when there is no request (the outbox worker, the CLI).
    SITE_URL: str | None = None

    # -- email (the outbox) ----------------------------------------------------------------
    #: The SMTP server that sends this site's mail. None switches mail off: nothing is queued
    #: (no owner notifications, no "email me replies" box on the form).
    MAIL_SERVER: str | None = None
    #: 25 (plain or STARTTLS), 587 (submission, with MAIL_USE_TLS) or 465 (MAIL_USE_SSL).
    MAIL_PORT = 25
    #: STARTTLS after connecting (port 587); MAIL_USE_SSL: TLS from the start (port 465).
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    #: Sign in to the SMTP server when a user name is given.
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    #: The From address of every message, e.g. "Blog <blog@example.org>"; required with
    #: MAIL_SERVER.
    MAIL_DEFAULT_SENDER: str | None = None
    #: Where the owner is told of new comments (held or published); None: the owner is not told.
    MAIL_OWNER_ADDRESS: str | None = None
    #: Seconds to wait for the SMTP server before counting the attempt as failed.
    MAIL_TIMEOUT = 30.0
    #: Attempts per message before it is marked failed (a 5xx refusal fails at once).
    MAIL_MAX_ATTEMPTS = 8
    #: Seconds before the first retry; each next retry waits twice as long, up to the maximum.
    MAIL_RETRY_DELAY = 60.0
    MAIL_RETRY_MAX_DELAY = 6 * 3600.0
    #: Seconds the outbox worker sleeps when nothing is due.
    MAIL_WORKER_INTERVAL = 5.0
    #: Days a sent message (a reader's address, a comment's text) stays in the outbox table;
    #: failed ones stay until sent again or the owner removes them.
    MAIL_KEEP_SENT_DAYS = 30

    #: Failed sign-ins to the desk allowed per name and, apart, per address before the sign-in
    #: page refuses more for a while (counted where RATELIMIT_STORAGE_URI says).
    DESK_SIGNIN_LIMIT = "5 per 15 minutes"
    #: Comments per page of the desk's moderation queue, and posts per page of its list.
    DESK_PER_PAGE = 25


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config in the documented order; tests skip instance/config.py and env."""
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("BLOGENGINE")
        # `create-admin` reads BLOGENGINE_ADMIN_PASSWORD itself; it is no setting to keep.
        app.config.pop("ADMIN_PASSWORD", None)
    else:
        app.config.from_mapping(test_config)

    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        db_path = Path(app.instance_path) / "blogengine.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    _private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))
    if not app.config["PLUGINS_FOLDER"]:
        app.config["PLUGINS_FOLDER"] = str(PROJECT_ROOT / "plugins")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    site_timezone(app.config)  # a misspelt zone stops start-up, not the first page


def site_timezone(config: Mapping[str, Any]) -> ZoneInfo:
    """The zone comment times are shown in (SITE_TIMEZONE); ValueError naming a bad one."""
    name = str(config["SITE_TIMEZONE"])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"SITE_TIMEZONE {name!r} is not a time zone (use an IANA name such as "
            "'Europe/Paris' or 'UTC')"
        ) from exc


def database_url(url: str) -> str:
    """Plain postgresql:// URLs use psycopg 3, the driver blogengine installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_instance_folder(instance: Path) -> None:
    """Create the instance folder owner-only (0700): it holds the secret and the data.

    A folder that exists already is left as its owner made it.
    """
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)


def _private_sqlite_file(url: str, instance: Path) -> None:
    """Create a new SQLite database file 0600 (its -wal and -shm files follow its mode).

    It holds readers' emails and addresses and password hashes; SQLite itself would make it
    world-readable (0644). A relative path is in the instance folder, as Flask-SQLAlchemy has
    it. An existing file, memory and other databases are left alone.
    """
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return
    if name.startswith("file:") or parsed.query.get("uri"):
        return
    path = instance / name  # an absolute name stays itself
    if path.is_relative_to(instance):
        make_instance_folder(instance)
    with contextlib.suppress(OSError):  # exists already, or SQLite will say what is wrong
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _instance_secret(instance: Path) -> str:
    """Read the site's secret from instance/secret_key, creating it (mode 0600) on first run.

    Written to a temporary file and linked into place, so workers starting together agree.
    """
    path = instance / "secret_key"
    if not path.exists():
        make_instance_folder(instance)
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
        try:
            os.write(fd, secrets.token_hex(32).encode())
            os.close(fd)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return path.read_text().strip()
