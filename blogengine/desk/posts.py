"""The owner's posts: the list, writing with a preview, publishing, the trash.

Every change goes through ``posts.service``, as `blogengine posts` does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..comments import get_service
from ..comments.contracts import Status
from ..models import Post, PostStatus
from ..posts import service as posts
from .blueprint import bp
from .forms import ActionForm, ConfirmDeleteForm, PostForm
from .paging import tab_and_page

#: The list's tabs: (value of ?show=, label).
SHOWS = (
    ("all", "All"),
    ("published", "Published"),
    ("scheduled", "Scheduled"),
    ("draft", "Drafts"),
    ("trash", "Trash"),
)
#: What each button of the post form does when saving.
ACTIONS = {
    "draft": posts.Publish.DRAFT,
    "publish": posts.Publish.NOW,
    "schedule": posts.Publish.SCHEDULE,
    "save": posts.Publish.KEEP,
}
SAVED = {
    "draft": "Saved as a draft: readers do not see it.",
    "publish": "Published: readers see it now.",
    "schedule": "Scheduled: readers see it from {when}.",
    "save": "Saved.",
}


@bp.get("/posts")
def posts_list() -> ResponseReturnValue:
    show, page = tab_and_page("show", dict(SHOWS), "all")
    per_page = int(current_app.config["DESK_PER_PAGE"])
    found = posts.listing(show, (page - 1) * per_page, per_page + 1)
    shown = found[:per_page]
    store = get_service().store
    uids = [p.uid for p in shown]
    return render_template(
        "desk/posts.html",
        posts=shown,
        show=show,
        shows=SHOWS,
        page=page,
        has_next=len(found) > per_page,
        counts=posts.counts_by_status(),
        approved=store.count_for_posts(uids, Status.APPROVED),
        pending=store.count_for_posts(uids, Status.PENDING),
        status_of=posts.display_status,
    )


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post() -> ResponseReturnValue:
    form = PostForm()
    if request.method == "GET":
        form.comments_open.data = True
    return _write(form, None)


@bp.route("/posts/<int:post_id>", methods=["GET", "POST"])
def edit_post(post_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    form = PostForm(obj=post) if request.method == "GET" else PostForm()
    if request.method == "GET":
        form.body.data = post.body_source
        form.published_at.data = _naive_utc(post.published_at)
    return _write(form, post)


def _write(form: PostForm, post: Post | None) -> ResponseReturnValue:
    """Show the form; on POST preview it, or save it as the pressed button says."""
    action = request.form.get("action", "")
    preview = None
    problem = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if action == "preview":
                body_format = post.body_format if post is not None else "markdown"
                preview = posts.preview_html(form.body.data or "", body_format)
            elif action in ACTIONS:
                try:
                    saved = _save(form, post, ACTIONS[action])
                except posts.PostError as exc:
                    problem = f"Not saved: {exc}."
                else:
                    when = saved.published_at
                    flash(
                        SAVED[action].format(when=f"{when:%Y-%m-%d %H:%M} UTC" if when else ""),
                        "done",
                    )
                    return redirect(url_for("desk.edit_post", post_id=saved.id), code=303)
            else:
                problem = "Not saved: choose one of the buttons below the form."
        else:
            problem = "Not saved yet: please correct what is marked below."
        status = 422 if problem else 200
    return (
        render_template(
            "desk/post_form.html",
            form=form,
            post=post,
            post_status=posts.display_status(post) if post is not None else "new",
            preview=preview,
            problem=problem,
        ),
        status,
    )


def _save(form: PostForm, post: Post | None, mode: posts.Publish) -> Post:
    when = form.published_at.data
    data: dict[str, Any] = {
        "title": form.title.data or "",
        "slug": (form.slug.data or "").strip() or None,
        "author": form.author.data or "",
        "published_at": when.replace(tzinfo=UTC) if when else None,
        "comments_open": bool(form.comments_open.data),
    }
    body = (form.body.data or "").replace("\r\n", "\n")
    excerpt = (form.excerpt.data or "").strip()
    if post is None:
        return posts.create(posts.PostInput(body=body, excerpt=excerpt, **data), mode)
    # Unchanged text and excerpt are left alone (an archived post keeps its own excerpt).
    data["body"] = body if body != post.body_source else None
    data["excerpt"] = excerpt if excerpt != post.excerpt else None
    return posts.update(post, posts.PostInput(**data), mode)


@bp.post("/posts/<int:post_id>/trash")
def trash_post(post_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    if ActionForm().validate_on_submit():
        posts.trash(post)
        flash(f"“{post.title}” moved to the trash: readers no longer see it.", "done")
    return redirect(url_for("desk.posts_list", show="trash"), code=303)


@bp.post("/posts/<int:post_id>/restore")
def restore_post(post_id: int) -> ResponseReturnValue:
    post = _post_or_404(post_id)
    if ActionForm().validate_on_submit():
        try:
            posts.restore(post)
        except posts.PostError as exc:
            flash(f"Nothing changed: {exc}.", "problem")
        else:
            flash(f"“{post.title}” restored as a draft.", "done")
    return redirect(url_for("desk.edit_post", post_id=post.id), code=303)


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete_post(post_id: int) -> ResponseReturnValue:
    """Delete for good, from the trash only; with comments, the owner confirms their number."""
    post = _post_or_404(post_id)
    store = get_service().store
    comments = posts.comment_total(post, store)
    form = ConfirmDeleteForm()
    problem = None
    if post.status != PostStatus.TRASH:
        problem = "Only a post in the trash can be deleted for good: move it to the trash first."
    elif form.validate_on_submit():
        try:
            deleted = posts.delete_for_good(post, store, confirmed_comments=form.comments.data or 0)
        except posts.NeedsConfirmation:
            problem = (
                f"Nothing was deleted: type {comments}, the number of its comments, to "
                "confirm they are deleted with it."
            )
        else:
            flash(f"“{post.title}” deleted for good, with {deleted} comment(s).", "done")
            return redirect(url_for("desk.posts_list", show="trash"), code=303)
    status = 422 if problem and request.method == "POST" else 200
    return (
        render_template(
            "desk/post_delete.html", post=post, comments=comments, form=form, problem=problem
        ),
        status,
    )


def _post_or_404(post_id: int) -> Post:
    post = posts.get(post_id)
    if post is None:
        abort(404)
    return post


def _naive_utc(when: datetime | None) -> datetime | None:
    """The stored aware time as the naive UTC a datetime-local field shows."""
    return when.astimezone(UTC).replace(tzinfo=None) if when is not None else None
