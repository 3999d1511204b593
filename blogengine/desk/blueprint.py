"""The desk's blueprint and the rule that every page of it is the owner's alone."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from werkzeug.wrappers import Response

from ..extensions import login_manager

bp = Blueprint("desk", __name__, url_prefix="/admin")

#: The only desk endpoints a signed-out visitor reaches.
PUBLIC_ENDPOINTS = frozenset({"desk.login"})


@bp.before_request
def require_owner() -> Response | None:
    """Every desk page and action, present and future, is for the signed-in owner only.

    A check on the blueprint rather than a decorator on each view, so a view added later
    cannot be forgotten; a signed-out visitor is sent to the sign-in page.
    """
    from flask import request

    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()  # type: ignore[no-any-return]  # Flask-Login is untyped


@bp.after_request
def never_cached(response: Response) -> Response:
    """Desk pages hold readers' emails and addresses and CSRF tokens: no cache keeps them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response
