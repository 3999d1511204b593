"""The moderation queue: tabs by status, search, pages, and decisions one by one or in bulk."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..comments import get_moderation, get_registry
from ..comments.contracts import Status, StoredComment, Verdict
from ..comments.moderation import DECISIONS_FOR, Decision, UnknownComments
from ..comments.registry import CAPTCHA, SPAM_FILTERS
from ..posts import service as posts
from ..rendering import CONTROL_CHARACTERS
from .blueprint import bp
from .forms import ActionForm

#: The tabs, in order, with the words the owner reads (the trash is Status.DELETED).
TABS: tuple[tuple[Status, str], ...] = (
    (Status.PENDING, "Pending"),
    (Status.APPROVED, "Approved"),
    (Status.SPAM, "Spam"),
    (Status.DELETED, "Trash"),
)
TAB_NAMES = {status.value: status for status, _ in TABS}
#: The longest search text taken (the store scans text columns).
MAX_QUERY = 200


@bp.get("/comments")
def comments() -> ResponseReturnValue:
    status = TAB_NAMES.get(request.args.get("status", "pending"))
    page = request.args.get("page", 1, type=int) or 1
    if status is None or not 1 <= page <= 100_000:
        abort(404)
    # No control characters: no one types them, and PostgreSQL refuses a NUL in a query.
    query = CONTROL_CHARACTERS.sub("", request.args.get("q") or "")[:MAX_QUERY]
    per_page = int(current_app.config["DESK_PER_PAGE"])
    found = get_moderation().queue(status, query, page, per_page)
    return render_template(
        "desk/comments.html",
        queue=found,
        tabs=TABS,
        decisions=DECISIONS_FOR[status],
        posts_by_uid=posts.by_uid(sorted({c.post_id for c in found.comments})),
        form=ActionForm(),
        captcha=captcha_result,
        filter_verdicts=filter_verdicts,
        moderate_all=bool(current_app.config["COMMENTS_MODERATE_ALL"]),
    )


@bp.post("/comments")
def decide() -> ResponseReturnValue:
    """One decision on one comment (its own button) or on every ticked comment (bulk)."""
    form = ActionForm()
    status = TAB_NAMES.get(request.form.get("status", ""), Status.PENDING)
    page = request.form.get("page", 1, type=int) or 1
    back = url_for(
        "desk.comments",
        status=status.value,
        q=request.form.get("q") or None,
        page=page if page > 1 else None,
    )
    if not form.validate_on_submit():
        flash("The form had expired; nothing was changed. Please try again.", "problem")
        return redirect(back, code=303)
    decision, ids = _decision_and_ids()
    if decision is None:
        flash("Choose what to do with the selected comments.", "problem")
        return redirect(back, code=303)
    if not ids:
        flash("No comment was selected; nothing was changed.", "problem")
        return redirect(back, code=303)
    try:
        done = get_moderation().decide(decision, ids)
    except UnknownComments as exc:
        flash(f"Nothing was changed: {exc}.", "problem")
        return redirect(back, code=303)
    count = len(done)
    flash(f"{count} comment{'s' if count != 1 else ''} {decision.done}.", "done")
    return redirect(back, code=303)


def _decision_and_ids() -> tuple[Decision | None, list[str]]:
    """A comment's own button sends "decision:id"; the bulk button sends a decision and ids."""
    one = request.form.get("one")
    if one:
        name, _, comment_id = one.partition(":")
        return _decision(name), [comment_id]
    return _decision(request.form.get("bulk", "")), request.form.getlist("ids")


def _decision(name: str) -> Decision | None:
    try:
        return Decision(name)
    except ValueError:
        return None


def captcha_result(comment: StoredComment) -> str:
    """What the CAPTCHA said about a comment, as far as the store can tell.

    The service keeps a reader's comment only after its CAPTCHA accepted it, or could not
    decide (its service did not answer: that verdict is in the trail, under the CAPTCHA's
    name); the signed-in owner meets no CAPTCHA; an imported comment met none.
    """
    undecided = captcha_verdicts(comment)
    if undecided:
        return "not checked: " + "; ".join(v.reason for v in undecided)
    if comment.role is not None:
        return "none (written by the signed-in owner)"
    if comment.submission_key:
        return f"passed ({current_app.config['COMMENTS_CAPTCHA']})"
    return "none (imported, or added without the form)"


def captcha_verdicts(comment: StoredComment) -> list[Verdict]:
    """The trail's verdicts given by a CAPTCHA (by its name) rather than a spam filter."""
    captchas = set(get_registry().names(CAPTCHA)) - set(get_registry().names(SPAM_FILTERS))
    return [v for v in comment.verdicts if v.source in captchas]


def filter_verdicts(comment: StoredComment) -> list[Verdict]:
    """The trail without the CAPTCHA's verdict (shown on its own line)."""
    shown_apart = captcha_verdicts(comment)
    return [v for v in comment.verdicts if v not in shown_apart]
