"""The reader's side: the index, the post page and the Atom feeds."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_flashed_messages,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from sqlalchemy import ColumnElement, func, select
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

from .comments import get_service
from .comments.contracts import PostRef, Status, StoredComment, StoreError
from .comments.forms import CommentForm
from .comments.service import CommentService
from .extensions import db
from .models import Post
from .timeutil import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("blog", __name__)

#: Template suffixes escaped by default, on top of Flask's own (.html, .xml, ...).
AUTOESCAPED_SUFFIXES = (".atom",)

#: The session key holding the id of the reader's comment that awaits moderation.
PENDING_SESSION_KEY = "pending_comment"

FEED_ENTRIES = 20
#: Beyond any blog's size; a larger ?page= is a 404, not a number the database cannot hold.
MAX_PAGE = 1_000_000
#: Pages that carry the comment form hold a per-reader CSRF token and submission key: a
#: shared cache must never hand them to another reader.
FORM_PAGE_HEADERS = {"Cache-Control": "private, no-store"}


@bp.record_once
def _autoescape_feeds(state: BlueprintSetupState) -> None:
    """Feeds carry readers' text, so ``.atom`` templates escape like ``.html`` ones do."""
    app = state.app
    flask_default = app.select_jinja_autoescape

    def select(name: str | None) -> bool:
        return flask_default(name) or (name or "").endswith(AUTOESCAPED_SUFFIXES)

    app.jinja_env.autoescape = select


def newest_first() -> tuple[ColumnElement[Any], ...]:
    """Posts newest first; undated posts sort by when they were added."""
    return (func.coalesce(Post.published_at, Post.created_at).desc(), Post.id.desc())


@bp.get("/")
def index() -> str:
    per_page = max(1, int(current_app.config["POSTS_PER_PAGE"]))
    page = request.args.get("page", 1, type=int) or 1
    if not 1 <= page <= MAX_PAGE:
        abort(404)
    pagination = db.paginate(
        select(Post).where(Post.visible_to_readers(utcnow())).order_by(*newest_first()),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    if page > 1 and not pagination.items:
        abort(404)
    counts = get_service().store.count_for_posts([p.uid for p in pagination.items])
    return render_template(
        "index.html", pagination=pagination, posts=pagination.items, counts=counts
    )


@bp.get("/posts/<slug>")
def post(slug: str) -> tuple[str, int, dict[str, str]]:
    return render_post(get_post_or_404(slug))


def get_post_or_404(slug: str) -> Post:
    """The post with this slug as a reader may see it, or the 404 page (drafts, trash and
    scheduled posts are not there for readers)."""
    post = find_reader_post(slug)
    if post is None:
        abort(404)
    return post


def find_reader_post(slug: str) -> Post | None:
    """The published post with this slug whose date has come, else None."""
    return db.session.scalar(
        select(Post).where(Post.slug == slug, Post.visible_to_readers(utcnow()))
    )


def post_ref(post: Post) -> PostRef:
    return PostRef(id=post.uid, title=post.title, url=url_for("blog.post", slug=post.slug))


def render_post(
    post: Post,
    form: CommentForm | None = None,
    *,
    status: int = 200,
    problem: str | None = None,
) -> tuple[str, int, dict[str, str]]:
    """The post page with its comments and the form.

    ``form`` is the reader's form when re-rendering after a problem, so every field comes
    back as typed; ``problem`` says what went wrong, in words, above the form.
    """
    service = get_service()
    try:
        comments: list[StoredComment] | None = service.store.list_for_post(post.uid)
        own_pending = _own_pending_comment(service)
    except StoreError as exc:
        # The reader may have just typed a comment: keep the page and their text, say why.
        log.error("comment store failed showing %s: %s", post.slug, exc)
        comments, own_pending = None, None
        status = 503 if status == 200 else status
    notices = get_flashed_messages(with_categories=True)
    if form is None:
        form = CommentForm(formdata=None)
    if not form.submission_key.data:
        form.submission_key.data = new_submission_key()
    captcha_html = service.render_captcha(request.remote_addr)
    extra_fields = service.form_fields()
    html = render_template(
        "post.html",
        post=post,
        image_url=archived_image_url(post.image_name),
        comments=comments,
        own_pending=own_pending,
        notices=notices,
        form=form,
        captcha_html=captcha_html,
        extra_fields=extra_fields,
        problem=problem,
    )
    return html, status, FORM_PAGE_HEADERS


def render_comment_problem(problem: str, status: int, *, keep_text: bool = True) -> Any:
    """The post being commented on, again, with ``problem`` above its form; None if no post.

    For the answers that refuse a comment before the view runs (a stale CSRF token, a rate
    limit, a request too large): the form is refilled from the request as typed, unless the
    body was never read (``keep_text=False``).
    """
    slug = (request.view_args or {}).get("slug")
    post = find_reader_post(slug) if slug else None
    if post is None:
        return None
    form = CommentForm() if keep_text else CommentForm(formdata=None)
    return current_app.make_response(render_post(post, form, status=status, problem=problem))


def _own_pending_comment(service: CommentService) -> StoredComment | None:
    """The comment the reader just left, if it awaits moderation (shown only to them, once)."""
    comment_id = session.pop(PENDING_SESSION_KEY, None)
    if not comment_id:
        return None
    comment = service.store.get(comment_id)
    if comment is None or comment.status is Status.APPROVED:
        return None
    return comment


def archived_image_url(name: str | None) -> str | None:
    """The URL of the post's image if the file exists in static/uploads/; archives often lack it.

    Without the file the page shows a captioned placeholder instead of a broken <img>.
    """
    static = current_app.static_folder
    if not name or not static:
        return None
    path = safe_join(static, "uploads", name)
    if path is None or not Path(path).is_file():
        return None
    return url_for("static", filename=f"uploads/{name}")


def new_submission_key() -> str:
    """A fresh key per form: the same key twice means the same comment sent twice."""
    return secrets.token_urlsafe(24)


@bp.get("/feed.atom")
def posts_feed() -> Response:
    posts = db.session.scalars(
        select(Post)
        .where(Post.visible_to_readers(utcnow()))
        .order_by(*newest_first())
        .limit(FEED_ENTRIES)
    ).all()
    updated = max((entry_updated(p) for p in posts), default=None) or utcnow()
    body = render_template("feeds/posts.atom", posts=posts, updated=updated)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/posts/<slug>/comments.atom")
def comments_feed(slug: str) -> Response:
    post = get_post_or_404(slug)
    comments = get_service().store.list_for_post(post.uid)
    newest = comments[-FEED_ENTRIES:][::-1]
    updated = max((c.created_at for c in comments), default=post.updated_at)
    body = render_template("feeds/comments.atom", post=post, comments=newest, updated=updated)
    return Response(body, mimetype="application/atom+xml")


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
