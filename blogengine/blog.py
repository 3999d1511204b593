"""The reader's side: the index, the post page and the Atom feeds."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    get_flashed_messages,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import func, select

from .comments import get_service
from .comments.contracts import PostRef, Status, StoredComment
from .comments.forms import CommentForm
from .extensions import db
from .models import Post

bp = Blueprint("blog", __name__)

#: The session key holding the id of the reader's comment that awaits moderation.
PENDING_SESSION_KEY = "pending_comment"

FEED_ENTRIES = 20


def newest_first():  # type: ignore[no-untyped-def]
    """Posts newest first; undated posts sort by when they were added."""
    return (func.coalesce(Post.published_at, Post.created_at).desc(), Post.id.desc())


@bp.get("/")
def index() -> str:
    per_page = max(1, int(_config("POSTS_PER_PAGE")))
    page = request.args.get("page", 1, type=int) or 1
    if page < 1:
        abort(404)
    pagination = db.paginate(
        select(Post).order_by(*newest_first()), page=page, per_page=per_page, error_out=False
    )
    if page > 1 and not pagination.items:
        abort(404)
    counts = get_service().store.count_for_posts([p.uid for p in pagination.items])
    return render_template(
        "index.html", pagination=pagination, posts=pagination.items, counts=counts
    )


@bp.get("/posts/<slug>")
def post(slug: str) -> str:
    return render_post(get_post_or_404(slug))


def get_post_or_404(slug: str) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    if post is None:
        abort(404)
    return post


def post_ref(post: Post) -> PostRef:
    return PostRef(id=post.uid, title=post.title, url=url_for("blog.post", slug=post.slug))


def render_post(
    post: Post,
    form: CommentForm | None = None,
    *,
    status: int = 200,
    problem: str | None = None,
) -> Any:
    """The post page with its comments and the form.

    ``form`` is the reader's form when re-rendering after a problem, so every field comes
    back as typed; ``problem`` says what went wrong, in words, above the form.
    """
    service = get_service()
    comments = service.store.list_for_post(post.uid)
    own_pending = _own_pending_comment(service)
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
        comments=comments,
        own_pending=own_pending,
        notices=notices,
        form=form,
        captcha_html=captcha_html,
        extra_fields=extra_fields,
        problem=problem,
    )
    return html, status


def _own_pending_comment(service) -> StoredComment | None:  # type: ignore[no-untyped-def]
    """The comment the reader just left, if it awaits moderation (shown only to them, once)."""
    comment_id = session.pop(PENDING_SESSION_KEY, None)
    if not comment_id:
        return None
    comment = service.store.get(comment_id)
    if comment is None or comment.status is Status.APPROVED:
        return None
    return comment


def new_submission_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


@bp.get("/feed.atom")
def posts_feed() -> Response:
    posts = db.session.scalars(select(Post).order_by(*newest_first()).limit(FEED_ENTRIES)).all()
    updated = max((p.updated_at for p in posts), default=None)
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


def _config(key: str) -> Any:
    from flask import current_app

    return current_app.config[key]
