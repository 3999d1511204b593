"""The private moderation feed from the desk: a new secret address, or the feed off.

Through ``mail.ModerationFeedToken``, as `blogengine moderation-feed rotate/off` does. Only a
digest of the address is stored, so the new one is shown once, on the page the POST answers
(never put in the session cookie or the URL); the old address stops working at once.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from ..mail import get_mail
from ..mail.links import external_url
from .blueprint import bp
from .forms import ActionForm
from .settings import settings_page

EXPIRED = "The form had expired; nothing was changed. Please try again."


def _back() -> ResponseReturnValue:
    return redirect(url_for("desk.settings", _anchor="moderation-feed"), code=303)


@bp.post("/settings/moderation-feed/new")
def rotate_moderation_feed() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "problem")
        return _back()
    token = get_mail().feed_token.rotate()
    return settings_page(new_feed_url=external_url("mail.moderation_feed", token=token))


@bp.post("/settings/moderation-feed/off")
def moderation_feed_off() -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        flash(EXPIRED, "problem")
    elif get_mail().feed_token.switch_off():
        flash("The moderation feed is off: its address no longer works.", "done")
    else:
        flash("The moderation feed was off already.", "done")
    return _back()
