"""The reader's side: the index, the post page and the Atom feeds."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import func, or_, select
from werkzeug.exceptions import HTTPException

from . import fastpage, pagecache
from .comments import get_service
from .comments.contracts import StoreError
from .config import site_timezone
from .extensions import db
from .freshness import Stamp, reader_post_stamp, site_stamp
from .identicon import DIGEST_BYTES, avatar_url, identicon_svg
from .models import Post
from .post_page import get_post_or_404, serve_post, shown_kinds, shown_to_readers
from .posts.service import moved_to, newest_first
from .timeutil import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("blog", __name__)

#: Template suffixes escaped by default, on top of Flask's own (.html, .xml, ...).
AUTOESCAPED_SUFFIXES = (".atom",)

FEED_ENTRIES = 20
ATOM = "application/atom+xml"
VISIBLE_COUNT_KEY = "blogengine.visible_posts"
PAGE_STARTS_KEY = "blogengine.index_page_starts"
#: Beyond any blog's size; a larger ?page= is a 404, not a number the database cannot hold.
MAX_PAGE = 1_000_000


@bp.record_once
def _autoescape_feeds(state: BlueprintSetupState) -> None:
    """Feeds carry readers' text, so ``.atom`` templates escape like ``.html`` ones do."""
    app = state.app
    flask_default = app.select_jinja_autoescape

    def select(name: str | None) -> bool:
        return flask_default(name) or (name or "").endswith(AUTOESCAPED_SUFFIXES)

    app.jinja_env.autoescape = select


class NewestFirstPagination(Pagination):
    """A page of the index, by keyset: page N starts at the sort key (``newest_first``: time,
    id) of the post that begins it, so every page is one seek on ``ix_posts_sort`` and reads
    ``per_page`` index entries, page 500 as page 1 (an OFFSET walked 4,990 entries first).
    ``?page=N`` stays the URL: each process keeps where every page begins (``page_starts``)
    for the site stamp, which changes whenever a post is added, edited, deleted or appears.
    """

    def _query_items(self) -> list[Any]:
        visible = self._query_args["visible"]
        ids = select(Post.id).where(visible)
        if self.page > 1:
            starts = page_starts(self._query_args["stamp"], visible, self.per_page)
            if self.page > len(starts):
                return []
            time, post_id = starts[self.page - 1]
            # (time, id) <= (t, i), spelt so that SQLite seeks the index at t (it does not
            # for a row-value comparison on an expression column).
            sort_time = SORT_TIME
            ids = ids.where(sort_time <= time, or_(sort_time < time, Post.id <= post_id))
        ids = ids.order_by(*newest_first()).limit(self.per_page)
        query = select(Post).where(Post.id.in_(ids.scalar_subquery())).order_by(*newest_first())
        return list(db.session.scalars(query))

    def _query_count(self) -> int:
        """How many posts readers see: counted once per site stamp in this process (the stamp
        changes whenever that number can), not on every page at 10,000 posts."""
        stamp: Stamp = self._query_args["stamp"]
        kept = current_app.extensions.get(VISIBLE_COUNT_KEY)
        if isinstance(kept, tuple) and kept[0] == stamp.version:
            return int(kept[1])
        visible = self._query_args["visible"]
        count = db.session.scalar(select(func.count(Post.id)).where(visible)) or 0
        current_app.extensions[VISIBLE_COUNT_KEY] = (stamp.version, count)
        return count


#: The index's sort time (``newest_first``), as ``ix_posts_sort`` holds it.
SORT_TIME = func.coalesce(Post.published_at, Post.created_at)


def page_starts(stamp: Stamp, visible: Any, per_page: int) -> Sequence[tuple[Any, int]]:
    """(sort time, id) of the first post of every index page, for this site stamp: one read
    of the sort index (every ``per_page``-th entry, numbered by a window function) when the
    site changes, kept in this process until it changes again."""
    key = (stamp.version, per_page)
    kept = current_app.extensions.get(PAGE_STARTS_KEY)
    if isinstance(kept, tuple) and kept[0] == key:
        return kept[1]  # type: ignore[no-any-return]  # app.extensions holds Any
    numbered = (
        select(
            SORT_TIME.label("sort_time"),
            Post.id.label("id"),
            func.row_number().over(order_by=newest_first()).label("n"),
        )
        .where(visible)
        .subquery()
    )
    rows = db.session.execute(
        select(numbered.c.sort_time, numbered.c.id)
        .where((numbered.c.n - 1) % per_page == 0)
        .order_by(numbered.c.n)
    ).all()
    starts = tuple((time, post_id) for time, post_id in rows)
    current_app.extensions[PAGE_STARTS_KEY] = (key, starts)
    return starts


@bp.get("/")
def index() -> Response:
    per_page = max(1, int(current_app.config["POSTS_PER_PAGE"]))
    page = request.args.get("page", 1, type=int) or 1
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    stamp = site_stamp()
    return pagecache.serve(stamp, lambda: _render_index(page, per_page, stamp))


def _render_index(page: int, per_page: int, stamp: Stamp) -> tuple[str, int, dict[str, str]]:
    pagination = NewestFirstPagination(
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        visible=Post.visible_to_readers(utcnow()),
        stamp=stamp,
    )
    if page > 1 and not pagination.items:
        abort(404)
    counts = get_service().store.count_for_posts(
        [p.uid for p in pagination.items], kinds=shown_kinds()
    )
    html = render_template(
        "index.html", pagination=pagination, posts=pagination.items, counts=counts
    )
    return html, 200, {}


@bp.get("/posts/<slug>")
def post(slug: str) -> ResponseReturnValue:
    """The post page (post_page.py owns it: the article, its comments and the form)."""
    known, stamp = fastpage.known_stamp(request.environ, slug)
    if not known:
        stamp = reader_post_stamp(slug)
    if stamp is None:
        return _moved_or_404(slug)
    return serve_post(slug, stamp)


def _moved_or_404(slug: str) -> ResponseReturnValue:
    """A slug the owner changed answers 301 with the post's address now (posts.service)."""
    moved = moved_to(slug)
    if moved is None:
        abort(404)
    return redirect(url_for("blog.post", slug=moved.slug), code=301)


@bp.get("/feed.atom")
def posts_feed() -> Response:
    return pagecache.serve(site_stamp(), _render_posts_feed, mimetype=ATOM)


def _render_posts_feed() -> tuple[str, int, dict[str, str]]:
    posts = db.session.scalars(
        select(Post)
        .where(Post.visible_to_readers(utcnow()))
        .order_by(*newest_first())
        .limit(FEED_ENTRIES)
    ).all()
    updated = max((entry_updated(p) for p in posts), default=None) or utcnow()
    return render_template("feeds/posts.atom", posts=posts, updated=updated), 200, {}


@bp.get("/posts/<slug>/comments.atom")
def comments_feed(slug: str) -> Response:
    stamp = reader_post_stamp(slug)
    if stamp is None:
        abort(404)
    return pagecache.serve(
        stamp, lambda: _render_comments_feed(get_post_or_404(slug)), mimetype=ATOM
    )


def _render_comments_feed(post: Post) -> tuple[str, int, dict[str, str]]:
    """The post's newest published comments; a reply says which comment it answers
    (RFC 4685 ``thr:in-reply-to``, and in words). Three reads however many comments."""
    store = get_service().store
    count = store.count_for_posts([post.uid])[post.uid]
    newest = shown_to_readers(store.list_for_post(post.uid, offset=max(0, count - FEED_ENTRIES)))[
        ::-1
    ]
    parents = store.get_many(sorted({c.parent_id for c in newest if c.parent_id}))
    # Archived comments may have no time: Atom needs one, so they carry the post's.
    times = [c.created_at for c in newest if c.created_at is not None]
    updated = max(times, default=None) or entry_updated(post)
    body = render_template(
        "feeds/comments.atom",
        post=post,
        comments=newest,
        parents=parents,
        updated=updated,
        fallback_time=post.sort_time,
    )
    return body, 200, {}


def entry_updated(post: Post) -> datetime:
    """A post's Atom <updated>: its last change, never before its publication date."""
    if post.published_at and post.published_at > post.updated_at:
        return post.published_at
    return post.updated_at


@bp.app_template_global()
def tag_uri(when: datetime, specific: str) -> str:
    """A stable Atom id (RFC 4151): survives a changed slug or a move to https."""
    host = urlsplit(request.host_url).hostname or "localhost"
    return f"tag:{host},{when.astimezone(UTC):%Y-%m-%d}:{specific}"


bp.add_app_template_global(entry_updated)


@bp.app_template_filter()
def rfc3339(when: datetime) -> str:
    """Atom wants RFC 3339 times; stored times are aware UTC."""
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@bp.app_template_filter()
def long_date(when: datetime) -> str:
    """A date people read without thinking: 8 December 2008."""
    when = when.astimezone(UTC)
    return f"{when.day} {when:%B %Y}"


@bp.app_template_filter()
def local_time(when: datetime) -> datetime:
    """A stored (UTC) time in the site's time zone, SITE_TIMEZONE."""
    return when.astimezone(site_timezone(current_app.config))


@bp.app_template_filter()
def rfc3339_local(when: datetime) -> str:
    """A ``<time datetime>`` value that keeps the zone's offset: 2026-12-02T10:15:00+01:00."""
    return when.isoformat(timespec="seconds")


@bp.app_template_filter()
def long_datetime(when: datetime) -> str:
    """A comment's date and time as people read it: 2 December 2026, 10:15 CET."""
    return f"{when.day} {when:%B %Y, %H:%M} {when.tzname() or ''}".rstrip()


bp.add_app_template_global(avatar_url)


@bp.get("/identicon/<name>.svg")
def identicon(name: str) -> Response:
    """A commenter's identicon; drawn from its name (a keyed hash), so cached for good."""
    if not re.fullmatch(rf"[0-9a-f]{{{DIGEST_BYTES * 2}}}", name):
        abort(404)
    response = Response(identicon_svg(bytes.fromhex(name)), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.app_template_filter()
def comment_count(count: int) -> str:
    """'No comments yet', '1 comment', '11 comments': the index says it in words."""
    if count == 0:
        return "No comments yet"
    return f"{count:,} comment{'' if count == 1 else 's'}"


@bp.app_template_filter()
def web_link(url: str | None) -> str | None:
    """Only http(s) addresses become links; a stored javascript: URL never does."""
    url = (url or "").strip()
    # A prefix test, not urlsplit: a malformed stored address must not break the page.
    return url if url.lower().startswith(("http://", "https://")) else None


@bp.app_errorhandler(404)
def not_found(_error: HTTPException) -> tuple[str, int]:
    """A 404 that looks like the site and leads back to it."""
    return render_template("errors/404.html"), 404


@bp.app_errorhandler(500)
def server_error(_error: HTTPException) -> tuple[str, int]:
    """The last resort looks like the site and says what a reader can do."""
    return (
        render_template(
            "errors/message.html",
            title="Something went wrong",
            message="This page could not be shown because of an error on our side. It has "
            "been logged. Please try again in a few minutes.",
        ),
        500,
    )


@bp.app_errorhandler(503)
def unavailable(_error: HTTPException) -> tuple[str, int]:
    return render_template("errors/503.html"), 503


@bp.app_errorhandler(StoreError)
def store_unavailable(error: StoreError) -> tuple[str, int]:
    """Comments could not be read: say so plainly (503) rather than a bare 500."""
    log.error("comment store failed on %s: %s", request.path, error)
    return render_template("errors/503.html"), 503
