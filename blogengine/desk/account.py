"""The owner's account page: a new password, from the browser, without a shell.

The current password is asked (a session cookie left on a shared computer must not be enough
to take the account) and failed attempts count against the sign-in limit per address. A
change ends every other session of the account; this browser stays signed in with a new one.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user

from ..owner import AccountError, WrongPassword, change_password
from ..passwords import MIN_PASSWORD
from .blueprint import bp
from .forms import PasswordForm
from .throttle import limit_per_address


@bp.route("/account", methods=["GET", "POST"])
@limit_per_address
def account() -> ResponseReturnValue:
    form = PasswordForm()
    problem = None
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_password(user, form.current.data or "", form.new.data or "")
        except AccountError as exc:
            g.signin_failed = isinstance(exc, WrongPassword)
            problem = f"The password was not changed: {exc}."
        else:
            session.clear()  # a fresh session, as at sign-in, under the account's new token
            login_user(user)
            flash("Your password is changed. Every other browser signed in as you is signed out.")
            return redirect(url_for("desk.account"), code=303)
    # Password inputs never send their value back into the page (WTForms' PasswordInput).
    return render_template(
        "desk/account.html", form=form, problem=problem, min_password=MIN_PASSWORD
    )
