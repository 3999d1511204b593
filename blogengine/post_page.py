"""The post page: the article, its comments and the comment form, fresh or with a reader's text.

The one owner of the comment form's page. The post's URL (``blog.post``) renders it; the
comment POST (``comments.views``) and the answers that refuse a comment before that view runs
(CSRF, rate limit, size limit) render it again with the reader's text kept. Everything a
page needs to show the form (the submission key, the CAPTCHA, the reader's own comment that
awaits moderation) is decided here and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

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
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import defer
from werkzeug.security import safe_join
from wtforms.csrf.core import CSRFTokenField

from . import pagecache
from .authors import role_for
from .comments import get_service, reader_fields
from .comments.contracts import CommentKind, PostRef, Role, Status, StoredComment, StoreError
from .comments.forms import CommentForm
from .comments.names import names_to_protect
from .comments.reader_fields import new_submission_key
from .comments.service import PENDING_MESSAGE, PUBLISHED_MESSAGE, CommentService
from .comments.threads import ThreadNode, build_threads
from .extensions import db, read_without_transaction, single_statement_connection
from .freshness import Stamp
from .models import Post, User
from .timeutil import UTCDateTime, utcnow

log = logging.getLogger(__name__)

#: The session key holding the id of the reader's comment that awaits moderation.
PENDING_SESSION_KEY = "pending_comment"
#: The session key holding the id of the comment the reader just published.
PUBLISHED_SESSION_KEY = "published_comment"
#: Where each process keeps its posts' numbers of threads (``_thread_count``), and how many.
THREAD_COUNTS_KEY = "blogengine.thread_counts"
THREAD_COUNTS_KEPT = 1000
#: Beyond any post's comments; a larger number is a 404, not one the database cannot hold.
MAX_COMMENT_NUMBER = 1_000_000_000
CANNOT_ANSWER = (
    "Comment #{number} cannot be answered: it is not published (it may be awaiting "
    "moderation or have been removed). You can still leave a new comment."
)
#: Pages that carry the comment form hold a per-reader CSRF token and submission key: a
#: shared cache must never hand them to another reader.
FORM_PAGE_HEADERS = {"Cache-Control": "private, no-store"}


def get_post_or_404(slug: str, *, text: bool = True) -> Post:
    """The post with this slug as a reader may see it, or the 404 page (drafts, trash and
    scheduled posts are not there for readers). ``text=False``: its body and excerpt are
    read only if asked for (a comment POST needs them only to show the form again)."""
    post = find_reader_post(slug, text=text)
    if post is None:
        abort(404)
    return post


def find_reader_post(slug: str, *, text: bool = True) -> Post | None:
    """The published post with this slug whose date has come, else None.

    A reader's request reads through the session without a transaction from here on (it
    writes nothing through it): no BEGIN and ROLLBACK around the page's reads."""
    read_without_transaction(db.session())
    query = _READER_POST if text else _READER_POST_HEAD
    return db.session.scalar(query, {"slug": slug, "now": utcnow()})


#: The post at ``slug`` as a reader may see it at ``now`` (bound when the query runs).
_SHOWN_AT_SLUG = (
    Post.slug == bindparam("slug"),
    Post.visible_to_readers(bindparam("now", type_=UTCDateTime())),
)
#: Built once: every rendered post page reads it.
_READER_POST = select(Post).where(*_SHOWN_AT_SLUG)
#: The same without the post's texts (its largest columns), loaded on first use.
_READER_POST_HEAD = _READER_POST.options(
    defer(Post.body_source), defer(Post.body_html), defer(Post.excerpt)
)


class PostKeys(Protocol):
    """What finding a post's comments needs: a Post, or a CommentTarget."""

    @property
    def uid(self) -> str: ...

    @property
    def slug(self) -> str: ...


@dataclass(frozen=True)
class CommentTarget:
    """What storing a comment needs of its post, read in one statement without the ORM
    (loading the Post was an eighth of a comment POST's time): the form coming back with a
    problem loads the whole post (``get_post_or_404``)."""

    uid: str
    slug: str
    title: str
    author: str | None
    comments_open: bool
    #: The owner accounts' names (the impersonation filter protects them).
    owners: tuple[str, ...]


def comment_target_or_404(slug: str) -> CommentTarget:
    """The post a comment is sent to, as a reader may see it (else the 404 page): one Core
    statement, no ORM session (its setup cost more than the statement)."""
    with single_statement_connection(db.engine) as conn:
        row = conn.execute(_COMMENT_TARGET, {"slug": slug, "now": utcnow()}).first()
    if row is None:
        abort(404)
    owners = tuple(name for name in (row.owners or "").split(_OWNERS_SEPARATOR) if name)
    return CommentTarget(row.uid, row.slug, row.title, row.author, row.comments_open, owners)


#: Between the owners' names in one string (a name is typed, and no one types this).
_OWNERS_SEPARATOR = "\x1f"
_COMMENT_TARGET = select(
    Post.uid,
    Post.slug,
    Post.title,
    Post.author,
    Post.comments_open,
    select(func.aggregate_strings(User.username, _OWNERS_SEPARATOR))
    .scalar_subquery()
    .label("owners"),
).where(*_SHOWN_AT_SLUG)


def post_ref(post: CommentTarget) -> PostRef:
    """What the spam filters may know about ``post``."""
    return PostRef(
        id=post.uid,
        title=post.title,
        url=url_for("blog.post", slug=post.slug),
        protected_names=names_to_protect(post.author, post.owners),
    )


def shown_kinds() -> tuple[CommentKind, ...] | None:
    """The kinds of comment readers see (None: all of them, pingbacks too)."""
    return None if current_app.config["COMMENTS_SHOW_PINGBACKS"] else (CommentKind.COMMENT,)


def shown_to_readers(comments: list[StoredComment]) -> list[StoredComment]:
    """Pingbacks and trackbacks (from imported archives) only when COMMENTS_SHOW_PINGBACKS."""
    if current_app.config["COMMENTS_SHOW_PINGBACKS"]:
        return comments
    return [c for c in comments if c.kind is CommentKind.COMMENT]


def serve_post(slug: str, stamp: Stamp) -> Response:
    """The post page for a GET, given its stamp (``freshness.reader_post_stamp``): 304, or from
    the page cache for an anonymous reader (pagecache.py); the post is loaded only to render.

    A page of comments (``?cpage=K``) is its own cache entry (the key holds the full path); a
    reply form (``?replyto=N``) is rendered for its reader alone, never kept: any number may
    be asked for, and each would fill the cache."""
    return pagecache.serve(
        stamp,
        lambda: render_post(get_post_or_404(slug), shared=True),
        per_reader=reader_fields.fill,
        cacheable="replyto" not in request.args,
    )


@dataclass(frozen=True)
class CommentPage:
    """One page of a post's comments: whole threads, and where the other pages are."""

    threads: list[ThreadNode]
    count: int  # the post's published comments, all pages
    page: int
    pages: int

    def links(self) -> list[tuple[int, str]]:
        """The pager's items, (page, "current" | "link" | "gap"): the first and last page,
        two either side of this one, and a gap where pages are left out. Only those pages
        are looked at, not all of them (a post of 10,000 threads has 200 pages)."""
        near = range(max(1, self.page - 3), min(self.pages, self.page + 3) + 1)
        items = []
        for page in sorted({1, self.pages, *near}):
            distance = abs(page - self.page)
            if distance == 0:
                items.append((page, "current"))
            elif page in (1, self.pages) or distance <= 2:
                items.append((page, "link"))
            elif distance == 3:
                items.append((page, "gap"))
        return items


def render_post(
    post: Post,
    form: CommentForm | None = None,
    *,
    status: int = 200,
    problem: str | None = None,
    shared: bool = False,
) -> tuple[str, int, dict[str, str]]:
    """The post page with a page of its comments and the form.

    ``form`` is the reader's form when re-rendering after a problem, so every field comes
    back as typed (whom a reply answers too); ``problem`` says what went wrong, in words,
    above the form. ``?cpage=K`` chooses the page of comments, ``?replyto=N`` makes the form
    a reply to comment N. ``shared`` renders the page every anonymous reader gets, with
    stand-ins where each reader's own token, submission key and CAPTCHA go
    (``reader_fields.fill`` puts them in).
    """
    service = get_service()
    if form is None:
        form = CommentForm(formdata=None)
        form.replyto.data = request.args.get("replyto", "")
    if not shared and not form.submission_key.data:
        form.submission_key.data = new_submission_key()
    role = role_for(post.uid)
    if role is Role.OWNER and not form.author.data:
        form.author.data = current_user.username
    wanted_page = _wanted_page()
    reply_problem = None
    try:
        comments: CommentPage | None = _comment_page(service, post, wanted_page)
        own_pending = _own_pending_comment(service)
        # pop() on an empty session would mark it changed (a Set-Cookie on a shared page)
        published_id = session.pop(PUBLISHED_SESSION_KEY, None) if session else None
        wanted = (form.replyto.data or "").strip()
        replying_to = reply_target(post, wanted) if wanted else None
    except StoreError as exc:
        # The reader may have just typed a comment: keep the page and their text, say why.
        log.error("comment store failed showing %s: %s", post.slug, exc)
        comments, own_pending, published_id, replying_to = None, None, None, None
        status = 503 if status == 200 else status
    else:
        if wanted and replying_to is None:
            reply_problem = CANNOT_ANSWER.format(number=form.replyto.data)
            form.replyto.data = ""
    if comments is not None and wanted_page > comments.pages:
        abort(404)
    this_page = comments.page if comments is not None and comments.page > 1 else None
    captcha_html = None if role else service.render_captcha(request.remote_addr)
    if shared:
        stand_ins = reader_fields.slots()
        form.submission_key.data = stand_ins.submission_key
        token_field = getattr(form, "csrf_token", None)  # none when CSRF is switched off
        if isinstance(token_field, CSRFTokenField):
            token_field.current_token = stand_ins.csrf_token
        captcha_html = reader_fields.captcha_slot() if captcha_html else captcha_html
    html = render_template(
        "post.html",
        post=post,
        # Each comment's Reply link is this plus its number: one url_for, not one per comment.
        reply_prefix=url_for("blog.post", slug=post.slug, cpage=this_page, replyto=""),
        image_url=archived_image_url(post.image_name),
        comments=comments,
        own_pending=own_pending,
        pending_message=PENDING_MESSAGE,
        published_id=published_id,
        published_message=PUBLISHED_MESSAGE,
        notices=get_flashed_messages(with_categories=True),
        form=form,
        role=role,
        replying_to=replying_to,
        reply_problem=reply_problem,
        captcha_html=captcha_html,
        extra_fields=None if role else service.form_fields(),
        problem=problem,
    )
    return html, status, FORM_PAGE_HEADERS


def _wanted_page() -> int:
    """The page of comments asked for (?cpage=K, 1 if absent); absurd numbers are a 404."""
    page = request.args.get("cpage", 1, type=int) or 1
    if not 1 <= page <= MAX_COMMENT_NUMBER:
        abort(404)
    return page


def _comment_page(service: CommentService, post: Post, page: int) -> CommentPage:
    """Page ``page`` of the post's threads, nested; three reads however many comments."""
    config = current_app.config
    per_page = max(1, int(config["COMMENTS_PER_PAGE"]))
    store = service.store
    count = store.count_for_posts([post.uid], kinds=shown_kinds())[post.uid]
    pages = max(1, -(-_thread_count(service, post) // per_page))
    listed = shown_to_readers(
        store.list_threads(post.uid, offset=(page - 1) * per_page, limit=per_page)
    )
    threads = build_threads(listed, int(config["COMMENTS_MAX_DEPTH"]))
    return CommentPage(threads=threads, count=count, page=page, pages=pages)


def _thread_count(service: CommentService, post: Post) -> int:
    """The post's number of threads, counted once per revision of the post in this process.

    Counting reads an index entry per thread (10,000 at 10,000 comments), on every page of
    comments; every change to the post's threads bumps its revision (``freshness``: an
    approved comment, a moderation, a deletion), so a count kept under the revision read
    with the post is the count, in every process.
    """
    kept: dict[tuple[str, int], int] = current_app.extensions.setdefault(THREAD_COUNTS_KEY, {})
    key = (post.uid, post.revision)
    found = kept.get(key)
    if found is None:
        found = service.store.count_threads(post.uid)
        if len(kept) >= THREAD_COUNTS_KEPT:
            kept.clear()  # old revisions are never asked for again
        kept[key] = found
    return found


def comment_page_url(post: PostKeys, number: int, *, thread_index: int | None = None) -> str | None:
    """The URL that shows published comment ``number``: its page, at its anchor; None if
    it is not shown. ``thread_index``: its thread's place, when the store said as it stored
    the comment (``StoredComment.thread_index``); else the store is asked."""
    index = thread_index
    if index is None:
        index = get_service().store.thread_index(post.uid, number)
    if index is None:
        return None
    per_page = max(1, int(current_app.config["COMMENTS_PER_PAGE"]))
    page = index // per_page + 1
    return url_for(
        "blog.post",
        slug=post.slug,
        cpage=page if page > 1 else None,
        _anchor=f"comment-{number}",
    )


def reply_target(post: PostKeys, replyto: str) -> StoredComment | None:
    """The published comment of ``post`` that ``replyto`` (a number as typed) names, or None."""
    number = replyto.strip()
    if not number.isascii() or not number.isdigit() or not 1 <= int(number) <= MAX_COMMENT_NUMBER:
        return None
    comment = get_service().store.get_by_number(post.uid, int(number))
    if comment is None or comment.status is not Status.APPROVED:
        return None
    return comment


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


def remember_published(comment: StoredComment) -> None:
    """Say "published" inside the reader's comment on the next page, where they land."""
    session[PUBLISHED_SESSION_KEY] = comment.id


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
