"""Against an attacker: security headers, the comment rate limit, proxies, 413 and 429 pages.

Every answer that refuses a reader's comment (too many, too large) shows the post page again
with what could be kept of their text and says, in words, what to do next.
"""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from .extensions import limiter
from .post_page import render_comment_problem

#: Browser features no page here uses, switched off for every page.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "display-capture=(), browsing-topics=()"
)

COMMENT_ENDPOINT = "comments.post_comment"

TOO_MANY_PROBLEM = (
    "Your comment was not sent yet: this address has sent {limit}, the most this site "
    "accepts. Your text is kept below. You can post again in {wait}."
)
TOO_LARGE_PROBLEM = (
    "Your comment was not received: what your browser sent was larger than the {kb} KB this "
    "site accepts, so none of it could be read and it could not be kept here. Please go back "
    "in your browser to get your text, shorten it, and send it again."
)


def init_app(app: Flask) -> None:
    """Install the proxy fix, the headers, the comment limit's settings and the error pages."""
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies < 0:
        raise ValueError("TRUSTED_PROXIES must be 0 or the number of proxies in front of the app")
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    if app.config["COMMENTS_RATE_LIMIT"]:
        parse_many(app.config["COMMENTS_RATE_LIMIT"])  # a typo stops start-up, not a reader
    _rebind_limiter(app)

    app.after_request(security_headers)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(RequestEntityTooLarge, too_large)


def _rebind_limiter(app: Flask) -> None:
    """Make the shared limiter follow this app, as Flask-Limiter already does for the storage.

    Flask-Limiter keeps state on its one instance: the first app's key prefix wins for good,
    and a storage once seen dead stays on the memory fallback. With an app per test (or a
    second app in one process) the latest app's config must win, not the first's.
    """
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter._storage_dead = False


def security_headers(response: Response) -> Response:
    """The same protective headers on every response (a view may set its own first)."""
    headers = response.headers
    csp = current_app.config["CONTENT_SECURITY_POLICY"]
    if csp:
        headers.setdefault("Content-Security-Policy", csp)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def comment_rate_limit() -> str:
    """The comment limit for this app, read per request ("" means none)."""
    return str(current_app.config["COMMENTS_RATE_LIMIT"] or "")


def rate_limit_key() -> str:
    """The reader's address: the peer's, or X-Forwarded-For's behind TRUSTED_PROXIES."""
    return get_remote_address()


#: Decorates the comment view: POSTs only, per address; GETs never count.
limit_comments = limiter.limit(
    comment_rate_limit, key_func=rate_limit_key, methods=["POST"], scope="comments"
)


def too_many_requests(error: RateLimitExceeded) -> ResponseReturnValue:
    """429 with Retry-After; on the comment form the post page comes back with the text."""

    wait = _seconds_until_reset()
    response = None
    if request.endpoint == COMMENT_ENDPOINT:
        limit = error.limit.limit
        sent = f"{limit.amount} comment{'s' if limit.amount != 1 else ''}"
        problem = TOO_MANY_PROBLEM.format(
            limit=f"{sent} in {_window_words(limit)}", wait=duration_words(wait)
        )
        response = render_comment_problem(problem, 429)
    if response is None:
        response = _error_page(
            "Too many requests",
            f"Too many requests came from your address. Please try again in "
            f"{duration_words(wait)}.",
            429,
        )
    response.headers["Retry-After"] = str(wait)
    return response


def too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """413 that names the limit; the comment form comes back, though the text cannot."""

    kb = max(1, int(current_app.config["MAX_CONTENT_LENGTH"] or 0) // 1024)
    problem = TOO_LARGE_PROBLEM.format(kb=f"{kb:,}")
    response = None
    if request.endpoint == COMMENT_ENDPOINT:
        response = render_comment_problem(problem, 413, keep_text=False)
    if response is None:
        response = _error_page(
            "Too large",
            f"What your browser sent was larger than the {kb:,} KB this site accepts.",
            413,
        )
    return response


def duration_words(seconds: int) -> str:
    """42 -> "42 seconds", 90 -> "2 minutes", 7200 -> "2 hours": rounded up, never 0."""
    seconds = max(1, int(seconds))
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= 2 * size:
            count = math.ceil(seconds / size)
            return f"{count} {unit}s"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _window_words(limit: RateLimitItem) -> str:
    """A limit's window in words: "1 minute", "1 day", "10 minutes"."""
    unit, multiples = limit.GRANULARITY.name, int(limit.multiples)
    return f"{multiples} {unit}{'s' if multiples != 1 else ''}"


def _seconds_until_reset() -> int:
    """Whole seconds until the breached limit lets this address through again (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.window.reset_time - time.time()))


def _error_page(title: str, message: str, status: int) -> Response:
    html = render_template("errors/message.html", title=title, message=message)
    return current_app.make_response((html, status))
