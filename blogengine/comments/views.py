"""Posting a comment: every answer either stores it or gives the reader's text back."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import NotFound

from ..extensions import csrf
from ..post_page import (
    get_post_or_404,
    post_ref,
    remember_pending,
    render_comment_problem,
    render_post,
)
from ..security import limit_comments
from . import get_service
from .contracts import CommentDraft
from .forms import CommentForm
from .service import OutcomeKind, raw_fields

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
    form = CommentForm()  # reads the body first: one too large is a 413 whatever the post
    post = get_post_or_404(slug)
    if not post.comments_open:
        return render_post(post, form, status=403, problem="Comments on this post are closed.")
    if not form.validate_on_submit():
        if form.meta.csrf and form.csrf_token.errors:  # forged, foreign, expired or missing
            log.info("comment form token refused on %s: %s", slug, form.csrf_token.errors)
            return render_post(post, form, status=400, problem=CSRF_PROBLEM)
        return render_post(post, form, status=422, problem=INVALID_FORM)

    outcome = get_service().submit(_draft(form, post.uid), post_ref(post))

    if outcome.kind is OutcomeKind.CAPTCHA_FAILED:
        form.captcha_error = outcome.message
        return render_post(post, form, status=422, problem=outcome.message)
    if outcome.kind in (OutcomeKind.STORE_FAILED, OutcomeKind.FAILED):
        return render_post(post, form, status=503, problem=outcome.message)

    comment = outcome.comment
    assert comment is not None
    if outcome.kind is OutcomeKind.PUBLISHED:
        flash(outcome.message, "published")
        anchor = f"comment-{comment.number}"
    else:
        flash(outcome.message, "pending")
        remember_pending(comment)
        anchor = "your-comment"
    return redirect(url_for("blog.post", slug=post.slug, _anchor=anchor), code=303)


# The comment form checks its own token (reader_fields.PostBoundCSRF, no session); every
# other POST route keeps Flask-WTF's session-bound check.
csrf.exempt(post_comment)


def _draft(form: CommentForm, post_id: str) -> CommentDraft:
    return CommentDraft(
        post_id=post_id,
        author=(form.author.data or "").strip(),
        body=(form.body.data or "").strip("\n"),  # the form already made line breaks "\n"
        email=(form.email.data or "").strip() or None,
        website=(form.website.data or "").strip() or None,
        remote_addr=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:500] or None,
        submission_key=form.submission_key.data,
        fields=raw_fields(request.form),
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
