"""The desk's front door and what every desk page shows in its header."""

from __future__ import annotations

import logging
from typing import Any

from flask import redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..comments.contracts import StoreError
from .blueprint import bp
from .forms import ActionForm
from .nav import BADGES, NAV

log = logging.getLogger(__name__)


@bp.get("/")
def index() -> ResponseReturnValue:
    """The desk opens on what needs the owner most: the comments awaiting moderation."""
    return redirect(url_for("desk.comments"))


@bp.context_processor
def header_counts() -> dict[str, Any]:
    """The nav and its badges' counts (pending comments, failed email), on every desk page."""
    if not current_user.is_authenticated:
        return {"desk_nav": NAV, "badges": {}, "signout_form": None}
    badges = {}
    for name, count in BADGES.items():
        try:
            badges[name] = count()
        except (StoreError, SQLAlchemyError):  # the page still opens; the badge is left out
            log.warning("the desk's %r badge could not be counted", name, exc_info=True)
            continue
    return {"desk_nav": NAV, "badges": badges, "signout_form": ActionForm()}
