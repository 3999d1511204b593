"""Signing in and out of the desk: throttled, the session renewed, ``next`` kept on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from ..extensions import db, limiter
from ..owner import authenticate
from .blueprint import bp
from .forms import ActionForm, LoginForm
from .throttle import failed_attempt, limit_per_address, name_key, signin_limit

WRONG = "That name and password do not match an owner's account. Please try again."


@bp.route("/login", methods=["GET", "POST"])
@limit_per_address
@limiter.limit(
    signin_limit,
    key_func=name_key,
    methods=["POST"],
    scope="desk-signin-name",
    deduct_when=failed_attempt,
)
def login() -> ResponseReturnValue:
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("desk.index"))
    form = LoginForm()
    problem = None
    if form.validate_on_submit():
        user = authenticate(form.name.data or "", form.password.data or "")
        if user is not None:
            # A fresh session: nothing a visitor (or an attacker) put in it before sign-in
            # carries over, and the CSRF token is new.
            session.clear()
            login_user(user)
            flash(f"Signed in as {user.username}.", "info")
            return redirect(target or url_for("desk.index"), code=303)
        g.signin_failed = True
        problem = WRONG
    # A failed sign-in is the form again with a message (200): 401 would need an HTTP
    # authentication scheme to offer, and this is a form.
    return render_template("desk/login.html", form=form, problem=problem)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (POST, CSRF-checked): every copy of this account's session cookie stops working."""
    form = ActionForm()
    if form.validate_on_submit():
        current_user.end_sessions()
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("desk.login"), code=303)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never a way off the site.

    Only a path beginning with one "/" is kept: no scheme, no host, no "//" or backslash
    (browsers read "/\\evil.example" as another host), no control characters.
    """
    if not target:
        return None
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target
