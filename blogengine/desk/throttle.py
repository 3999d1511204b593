"""Guessing passwords is slowed down: failed sign-ins (and wrong current passwords on the
Account page) count per address and per account name, within ``DESK_SIGNIN_LIMIT``.

Only a failure counts (a view sets ``g.signin_failed``); the 429 answer is the page that was
being filled in, saying for how long it is paused.
"""

from __future__ import annotations

from flask import current_app, g, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from werkzeug.wrappers import Response

from ..extensions import limiter
from ..passwords import MIN_PASSWORD
from ..security import _seconds_until_reset, duration_words, rate_limit_key
from .blueprint import bp
from .forms import LoginForm, PasswordForm

#: By the limit that was reached: failures counted per account name, or per address.
SIGNIN_PAUSED = {
    "desk-signin-name": (
        "Too many failed sign-ins for this name. Sign-in is paused for this name, from every "
        "address: please try again in {wait}."
    ),
    "desk-signin-address": (
        "Too many failed sign-ins from this address. Sign-in is paused from this address, for "
        "every name: please try again in {wait}."
    ),
}
CHANGE_PAUSED = (
    "Too many wrong passwords were given from this address. Changing the password is paused: "
    "please try again in {wait}."
)


def signin_limit() -> str:
    return str(current_app.config["DESK_SIGNIN_LIMIT"] or "")


def name_key() -> str:
    """Failed sign-ins counted per account name (any case), wherever they come from."""
    return "name:" + (request.form.get("name") or "").strip().lower()


def failed_attempt(_response: Response) -> bool:
    """Only a wrong password counts against the limits; signing in costs nothing."""
    return bool(g.get("signin_failed"))


#: Wrong passwords from one address, on the sign-in and the account pages together.
limit_per_address = limiter.limit(
    signin_limit,
    key_func=rate_limit_key,
    methods=["POST"],
    scope="desk-signin-address",
    deduct_when=failed_attempt,
)


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded) -> ResponseReturnValue:
    """The page again (sign-in, or the account's password), saying it is paused and how long."""
    wait = _seconds_until_reset()
    if request.endpoint == "desk.account":
        html = render_template(
            "desk/account.html",
            form=PasswordForm(),
            problem=CHANGE_PAUSED.format(wait=duration_words(wait)),
            min_password=MIN_PASSWORD,
        )
    else:
        html = render_template(
            "desk/login.html",
            form=LoginForm(),
            problem=SIGNIN_PAUSED[_scope(error)].format(wait=duration_words(wait)),
        )
    response = make_response(html, 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _scope(error: RateLimitExceeded) -> str:
    """Which sign-in limit was reached (the address's when it cannot be told)."""
    scope = getattr(error.limit, "scope", None)
    return scope if scope in SIGNIN_PAUSED else "desk-signin-address"
