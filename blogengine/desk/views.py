"""The desk's front door and what every desk page shows in its header."""

from __future__ import annotations

from typing import Any

from flask import redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ..comments.contracts import StoreError
from .blueprint import bp
from .forms import ActionForm
from .nav import BADGES, NAV


@bp.get("/")
def index() -> ResponseReturnValue:
    """The desk opens on what needs the owner most: the comments awaiting moderation."""
    return redirect(url_for("desk.comments"))


@bp.context_processor
def header_counts() -> dict[str, Any]:
    """The nav and the counts its badges show (the pending comments), on every desk page."""
    if not current_user.is_authenticated:
        return {"desk_nav": NAV, "badges": {}, "signout_form": None}
    badges = {}
    for name, count in BADGES.items():
        try:
            badges[name] = count()
        except StoreError:  # the page still opens; the badge is left out
            continue
    return {"desk_nav": NAV, "badges": badges, "signout_form": ActionForm()}
