"""The outbox page: every email the site sends, by state, and "Send again" for failed ones.

It reads and changes the outbox only through ``mail.Outbox`` (``recent``, ``counts``,
``retry``), the same methods `blogengine outbox list` and `outbox retry` use.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..mail import get_mail
from ..mail.errors import in_words
from ..mail.models import MailState
from ..timeutil import utcnow
from .blueprint import bp
from .forms import ActionForm
from .paging import tab_and_page

#: The tabs, in order: "all" first, then the failed messages, which need the owner.
TABS: tuple[tuple[str, str], ...] = (
    ("all", "All"),
    (MailState.FAILED.value, "Failed"),
    (MailState.QUEUED.value, "Queued"),
    (MailState.SENDING.value, "Sending"),
    (MailState.SENT.value, "Sent"),
)
#: A queued message due longer ago than this says the worker is not running.
STALLED_AFTER = timedelta(minutes=10)
#: What each kind of message is, for the owner (``Mail.kind``).
KINDS = {
    "owner": "To you: a comment",
    "confirm": "To a reader: confirm reply emails",
    "reply": "To a reader: a reply",
}


@bp.get("/outbox")
def outbox() -> ResponseReturnValue:
    tab, page = tab_and_page("state", dict(TABS), "all")
    mail = get_mail()
    per_page = int(current_app.config["DESK_PER_PAGE"])
    state = None if tab == "all" else MailState(tab)
    found = mail.outbox.recent(state, limit=per_page + 1, offset=(page - 1) * per_page)
    counts = mail.outbox.counts()
    waiting_since = mail.outbox.waiting_since()
    return render_template(
        "desk/outbox.html",
        tabs=TABS,
        tab=tab,
        counts={"all": sum(counts.values()), **{s.value: n for s, n in counts.items()}},
        messages=found[:per_page],
        page=page,
        has_next=len(found) > per_page,
        settings=mail.settings,
        stalled_since=(
            waiting_since
            if waiting_since is not None and waiting_since < utcnow() - STALLED_AFTER
            else None
        ),
        kinds=KINDS,
        in_words=in_words,
        form=ActionForm(),
    )


@bp.post("/outbox/retry")
def retry_mail() -> ResponseReturnValue:
    """Queue one failed message again (its "Send again" button), as `outbox retry ID` does."""
    tab = request.form.get("state", "failed")
    back = url_for("desk.outbox", state=tab if tab in dict(TABS) and tab != "all" else None)
    if not ActionForm().validate_on_submit():
        flash("The form had expired; nothing was changed. Please try again.", "problem")
        return redirect(back, code=303)
    message_id = request.form.get("id", type=int)
    mail = get_mail()
    if message_id is None or not mail.outbox.retry([message_id]):
        flash("That message is not a failed one (any more); nothing was changed.", "problem")
    elif not mail.settings.enabled:
        flash(
            f"Message {message_id} is queued again, but mail is off (no MAIL_SERVER): "
            "nothing is sent until it is set.",
            "problem",
        )
    else:
        flash(
            f"Message {message_id} is queued again: the outbox worker "
            "(`blogengine outbox run`) sends it on its next pass.",
            "done",
        )
    return redirect(back, code=303)
