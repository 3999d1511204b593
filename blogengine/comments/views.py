"""Posting a comment: every answer either stores it or gives the reader's text back."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound

from ..authors import accept_author_link, role_for
from ..extensions import csrf, db, reads_on_one_connection
from ..post_page import (
    MAX_COMMENT_NUMBER,
    CommentTarget,
    comment_page_url,
    comment_target_or_404,
    get_post_or_404,
    post_ref,
    remember_pending,
    remember_published,
    render_comment_problem,
    render_post,
    reply_target,
)
from ..security import limit_comments
from . import get_service
from .contracts import CommentDraft
from .forms import CommentForm
from .service import REPLY_REFUSED_MESSAGE, OutcomeKind, raw_fields

log = logging.getLogger(__name__)

bp = Blueprint("comments", __name__)

INVALID_FORM = "Your comment was not sent yet: please correct what is marked below."
CSRF_PROBLEM = (
    "Your comment was not sent: the form's security check had expired or was missing "
    "(this happens when a page stays open for a long time, or cookies are blocked). "
    "Your text is kept below; please send it again."
)


@bp.post("/posts/<slug>/comments")
@limit_comments  # security.py: per address, COMMENTS_RATE_LIMIT
def post_comment(slug: str) -> Any:
    # Its reads of one statement (the post, the store's) take one connection between them.
    with reads_on_one_connection(db.engine):
        return _post_comment(slug)


def _post_comment(slug: str) -> Any:
    form = CommentForm()  # reads the body first: one too large is a 413 whatever the post
    target = comment_target_or_404(slug)
    if not target.comments_open:
        return _form_again(slug, form, 403, "Comments on this post are closed.")
    if not form.validate_on_submit():
        if form.meta.csrf and form.csrf_token.errors:  # forged, foreign, expired or missing
            log.info("comment form token refused on %s: %s", slug, form.csrf_token.errors)
            return _form_again(slug, form, 400, CSRF_PROBLEM)
        return _form_again(slug, form, 422, INVALID_FORM)

    service = get_service()
    parent_id: str | None = None
    if (form.replyto.data or "").strip():
        parent = reply_target(target, form.replyto.data or "")
        if parent is None:
            return _reply_refused(slug, form)
        parent_id = parent.id
    outcome = service.submit(_draft(form, target, parent_id), post_ref(target))

    if outcome.kind is OutcomeKind.REPLY_REFUSED:
        return _reply_refused(slug, form)
    if outcome.kind is OutcomeKind.CAPTCHA_FAILED:
        form.captcha_error = outcome.message
        form.captcha_retry = service.captcha_retry_prompt()
        return _form_again(slug, form, 422, outcome.message)
    if outcome.kind in (OutcomeKind.STORE_FAILED, OutcomeKind.FAILED):
        return _form_again(slug, form, 503, outcome.message)

    comment = outcome.comment
    assert comment is not None
    if outcome.kind is OutcomeKind.PUBLISHED and comment.number is not None:
        # The notice is shown inside the comment, where the reader lands.
        remember_published(comment)
        url = comment_page_url(target, comment.number, thread_index=comment.thread_index)
        return redirect(url or url_for("blog.post", slug=target.slug, _anchor="comments"), code=303)
    remember_pending(comment)
    return redirect(url_for("blog.post", slug=target.slug, _anchor="your-comment"), code=303)


def _form_again(slug: str, form: CommentForm, status: int, problem: str) -> Any:
    """The post with the reader's form and ``problem`` above it (the whole post is read only
    now: storing a comment needs only its ``CommentTarget``)."""
    return render_post(get_post_or_404(slug), form, status=status, problem=problem)


# The comment form checks its own token (reader_fields.PostBoundCSRF, no session); every
# other POST route keeps Flask-WTF's session-bound check.
csrf.exempt(post_comment)


@bp.get("/posts/<slug>/comments")
def comment_form(slug: str) -> Any:
    """A GET of the POST URL (a reload, a shared link): the post's form, not a bare 405."""
    post = get_post_or_404(slug, text=False)
    return redirect(url_for("blog.post", slug=post.slug, _anchor="respond"), code=303)


@bp.get("/posts/<slug>/author/<token>")
def author_link(slug: str, token: str) -> Any:
    """An author link from the owner: this browser's comments on the post carry the mark."""
    post = get_post_or_404(slug, text=False)
    if not accept_author_link(post, token):
        html = render_template(
            "errors/message.html",
            title="This author link does not work",
            message="The link is damaged, is for another post, or has expired. Please ask "
            "the blog's owner for a new one.",
        )
        return html, 403
    # The form at #respond now says "You are this post's author", where the author lands.
    return redirect(url_for("blog.post", slug=post.slug, _anchor="respond"), code=303)


@bp.get("/posts/<slug>/comments/<int:number>")
def permalink(slug: str, number: int) -> Any:
    """Comment ``number`` of the post, on whichever page of comments holds it now."""
    post = get_post_or_404(slug, text=False)
    if number < 1 or number > MAX_COMMENT_NUMBER:
        abort(404)
    url = comment_page_url(post, number)
    if url is None:
        abort(404)
    return redirect(url, code=302)


def _reply_refused(slug: str, form: CommentForm) -> Any:
    """The reply's target is not published: keep the text, drop the target, say why."""
    log.info("reply to comment %r of %s refused", form.replyto.data, slug)
    form.replyto.data = ""
    return _form_again(slug, form, 422, REPLY_REFUSED_MESSAGE)


def _draft(form: CommentForm, post: CommentTarget, parent_id: str | None) -> CommentDraft:
    return CommentDraft(
        post_id=post.uid,
        author=(form.author.data or "").strip(),
        body=(form.body.data or "").strip("\n"),  # the form already made line breaks "\n"
        email=(form.email.data or "").strip() or None,
        website=(form.website.data or "").strip() or None,
        parent_id=parent_id,
        remote_addr=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:500] or None,
        submission_key=form.submission_key.data,
        fields=raw_fields(request.form),
        # From the session only (the owner signed in, or an author link), never from the form.
        role=role_for(post.uid),
    )


@bp.app_errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> Any:
    """A missing or stale CSRF token: 400, but the comment form comes back with the text."""
    if request.endpoint == "comments.post_comment":
        page = render_comment_problem(CSRF_PROBLEM, 400)
        # No such post: the site's 404 page (raising here would be a 500).
        return page if page is not None else current_app.handle_user_exception(NotFound())
    log.info("CSRF failure on %s: %s", request.path, error.description)
    return error.get_response()
