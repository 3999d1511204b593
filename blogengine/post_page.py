"""The post page: the article, its comments and the comment form, fresh or with a reader's text.

The one owner of the comment form's page. The post's URL (``blog.post``) renders it; the
comment POST (``comments.views``) and the answers that refuse a comment before that view runs
(CSRF, rate limit, size limit) render it again with the reader's text kept. Everything a
page needs to show the form (the submission key, the CAPTCHA, the reader's own comment that
awaits moderation) is decided here and nowhere else.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    get_flashed_messages,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.security import safe_join
from wtforms.csrf.core import CSRFTokenField

from . import pagecache
from .comments import get_service, reader_fields
from .comments.contracts import CommentKind, PostRef, Status, StoredComment, StoreError
from .comments.forms import CommentForm
from .comments.names import protected_names
from .comments.reader_fields import new_submission_key
from .comments.service import CommentService
from .extensions import db
from .freshness import Stamp
from .models import Post
from .timeutil import utcnow

log = logging.getLogger(__name__)

#: The session key holding the id of the reader's comment that awaits moderation.
PENDING_SESSION_KEY = "pending_comment"
#: Pages that carry the comment form hold a per-reader CSRF token and submission key: a
#: shared cache must never hand them to another reader.
FORM_PAGE_HEADERS = {"Cache-Control": "private, no-store"}


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
    """What the spam filters may know about ``post``."""
    return PostRef(
        id=post.uid,
        title=post.title,
        url=url_for("blog.post", slug=post.slug),
        protected_names=protected_names(post.author),
    )


def shown_to_readers(comments: list[StoredComment]) -> list[StoredComment]:
    """Pingbacks and trackbacks (from imported archives) only when COMMENTS_SHOW_PINGBACKS."""
    if current_app.config["COMMENTS_SHOW_PINGBACKS"]:
        return comments
    return [c for c in comments if c.kind is CommentKind.COMMENT]


def serve_post(slug: str, stamp: Stamp) -> Response:
    """The post page for a GET, given its stamp (``freshness.reader_post_stamp``): 304, or from
    the page cache for an anonymous reader (pagecache.py); the post is loaded only to render."""
    return pagecache.serve(
        stamp,
        lambda: render_post(get_post_or_404(slug), shared=True),
        per_reader=reader_fields.fill,
    )


def render_post(
    post: Post,
    form: CommentForm | None = None,
    *,
    status: int = 200,
    problem: str | None = None,
    shared: bool = False,
) -> tuple[str, int, dict[str, str]]:
    """The post page with its comments and the form.

    ``form`` is the reader's form when re-rendering after a problem, so every field comes
    back as typed; ``problem`` says what went wrong, in words, above the form. ``shared``
    renders the page every anonymous reader gets, with stand-ins where each reader's own
    token, submission key and CAPTCHA go (``reader_fields.fill`` puts them in).
    """
    service = get_service()
    try:
        comments: list[StoredComment] | None = shown_to_readers(
            service.store.list_for_post(post.uid)
        )
        own_pending = _own_pending_comment(service)
    except StoreError as exc:
        # The reader may have just typed a comment: keep the page and their text, say why.
        log.error("comment store failed showing %s: %s", post.slug, exc)
        comments, own_pending = None, None
        status = 503 if status == 200 else status
    notices = get_flashed_messages(with_categories=True)
    if form is None:
        form = CommentForm(formdata=None)
    captcha_html = service.render_captcha(request.remote_addr)
    if shared:
        stand_ins = reader_fields.slots()
        form.submission_key.data = stand_ins.submission_key
        token_field = getattr(form, "csrf_token", None)  # none when CSRF is switched off
        if isinstance(token_field, CSRFTokenField):
            token_field.current_token = stand_ins.csrf_token
        captcha_html = reader_fields.captcha_slot() if captcha_html else captcha_html
    elif not form.submission_key.data:
        form.submission_key.data = new_submission_key()
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


def render_comment_problem(
    problem: str, status: int, *, keep_text: bool = True, formdata: Any = None
) -> Any:
    """The post being commented on, again, with ``problem`` above its form; None if no post.

    For the answers that refuse a comment before the view runs (a stale CSRF token, a rate
    limit, a request too large): the form is refilled from the request as typed (or from
    ``formdata``, the body read again), unless the body was never read (``keep_text=False``).
    """
    slug = (request.view_args or {}).get("slug")
    post = find_reader_post(slug) if slug else None
    if post is None:
        return None
    if formdata is not None:
        form = CommentForm(formdata=formdata)
    else:
        form = CommentForm() if keep_text else CommentForm(formdata=None)
    return current_app.make_response(render_post(post, form, status=status, problem=problem))


def remember_pending(comment: StoredComment) -> None:
    """Show the reader their held comment on the next page (to them only, once)."""
    session[PENDING_SESSION_KEY] = comment.id


def _own_pending_comment(service: CommentService) -> StoredComment | None:
    """The comment the reader just left, if it awaits moderation (shown only to them, once)."""
    if PENDING_SESSION_KEY not in session:  # pop() would mark the session changed: a cookie
        return None
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
