"""Against an attacker: security headers, the comment rate limit, proxies, 413 and 429 pages.

Every answer that refuses a reader's comment (too many, too large) shows the post page again
with what could be kept of their text and says, in words, what to do next.
"""

from __future__ import annotations

import math
import time
from io import BytesIO
from typing import Any

from flask import Flask, Request, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import UnicodeConverter
from werkzeug.wrappers import Response

from .extensions import limiter
from .multipart import WholeBodyFormDataParser
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
TOO_MANY_PARTS_PROBLEM = (
    "Your comment was not sent yet: the form arrived in more than {parts} parts (a browser "
    "sends about ten), the most this site reads. Your text is kept below where it could be "
    "read; please send it again."
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
        proxied = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
        app.wsgi_app = proxied  # type: ignore[method-assign]  # Flask's way to add middleware

    if app.config["COMMENTS_RATE_LIMIT"]:
        parse_many(app.config["COMMENTS_RATE_LIMIT"])  # a typo stops start-up, not a reader
    _rebind_limiter(app)

    app.after_request(security_headers)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.request_class = FormRequest
    app.url_map.converters["default"] = app.url_map.converters["string"] = PlainSegment


class PlainSegment(UnicodeConverter):
    """The default URL part (``<slug>``) without control characters: a NUL in a slug is a 404
    before any query (PostgreSQL refuses NUL in a string: a 500 it was)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]", 1)


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
    present = {key.lower() for key, _ in headers.items()}  # one pass, not one per setdefault
    wanted = [
        ("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"]),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    for name, value in wanted:
        if value and name.lower() not in present:
            headers.add(name, value)
    return response


def comment_rate_limit() -> str:
    """The comment limit for this app, read per request ("" means none)."""
    return str(current_app.config["COMMENTS_RATE_LIMIT"] or "")


def rate_limit_key() -> str:
    """The reader's address: the peer's, or X-Forwarded-For's behind TRUSTED_PROXIES."""
    return get_remote_address()


def comment_was_stored(response: Response) -> bool:
    """The limit counts comments posted: the view answers 303 only once one is stored.

    A refused attempt (a wrong CAPTCHA answer, a missing name, a store that is down) is not
    a comment sent: five wrong answers then a right one is one comment, not a 429.
    """
    return response.status_code == 303


#: Decorates the comment view: POSTs only, per address; GETs and refused attempts never count.
limit_comments = limiter.limit(
    comment_rate_limit,
    key_func=rate_limit_key,
    methods=["POST"],
    scope="comments",
    deduct_when=comment_was_stored,
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


class FormRequest(Request):
    """Keeps a multipart body within MAX_CONTENT_LENGTH while parsing it.

    Werkzeug refuses a form of more than MAX_FORM_PARTS parts with the same 413 as a body too
    large, and what it parsed is lost: kept, the body can be read again for the reader's text.
    The body is parsed in one piece (``multipart.py``: Werkzeug's chunked decoder alters text
    whose part boundary falls across two chunks).
    """

    form_data_parser_class = WholeBodyFormDataParser

    def _load_form_data(self) -> None:  # Werkzeug's hook where request.form is parsed
        limit = self.max_content_length
        length = self.content_length
        if self.mimetype == "multipart/form-data" and limit and length and length <= limit:
            self.get_data(cache=True, parse_form_data=False)
        super()._load_form_data()


def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    """413 that names the limit that was hit: the body's size, or the form's parts."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"] or 0)
    length = request.content_length
    if length is not None and (not limit or length <= limit):
        return too_many_parts(error)
    kb = max(1, limit // 1024)
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


def too_many_parts(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A form in more parts than MAX_FORM_PARTS: say so, and give back the text if readable."""
    parts = int(current_app.config["MAX_FORM_PARTS"] or 0)
    problem = TOO_MANY_PARTS_PROBLEM.format(parts=f"{parts:,}")
    response = None
    if request.endpoint == COMMENT_ENDPOINT:
        response = render_comment_problem(problem, 413, formdata=_reread_form())
    if response is None:
        message = f"The form your browser sent had more than {parts:,} parts, the most read here."
        response = _error_page("Too many parts", message, 413)
    return response


def _reread_form() -> MultiDict[str, str] | None:
    """The kept multipart body parsed again without the parts limit (it is already bounded
    by MAX_CONTENT_LENGTH); None when the body was not kept."""
    data = request.get_data(cache=True, parse_form_data=False)
    if not data:
        return None
    parser = WholeBodyFormDataParser(max_content_length=len(data))
    _, form, _ = parser.parse(BytesIO(data), request.mimetype, len(data), request.mimetype_params)
    return form


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
