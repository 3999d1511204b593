"""The anonymous reader's kept post page, served before Flask's request machinery.

A repeat read of a post page from the page cache does little work of its own (one stamp
query, a cache lookup, the form's per-reader parts filled in), yet a Flask request around it
(request context, URL matching, session, the extensions' before/after hooks, a Response
object) cost as much again as all of that together. This WSGI layer, inside ProxyFix, serves
exactly the pages ``pagecache.serve`` has already kept, with the very headers Flask's response
for that page carried, and hands every other request to Flask untouched:

* only ``GET /posts/<slug>`` without a query string, conditional headers or a session or
  "remember me" cookie (Flask decides everything else: 304s, pages of comments, readers with
  a session, the owner);
* the page's stamp is read as Flask's view reads it (``freshness.reader_post_stamp``), so a
  change made by any process is seen on the next read; the stamp is handed on to the view
  when Flask serves the request after all, so it is read once;
* the entry must be the one ``pagecache.serve`` kept under the key Flask uses, and must
  already carry the headers of a response Flask made from it (kept here on the way out: a
  response without a cookie, status 200); until then Flask serves the page;
* a kept page whose form holds a CAPTCHA challenge is filled inside a request context (a
  CAPTCHA plugin may read the request); any failure (a database or a cache that is down)
  leaves the request to Flask, whose error pages say what happened.

It steps aside entirely when the app has rate limits for every route (Flask-Limiter's
default or application limits), and for a Host that Flask would refuse (``TRUSTED_HOSTS``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_cookie
from werkzeug.wsgi import get_host

from . import pagecache
from .comments import reader_fields
from .freshness import Stamp, page_fingerprint, reader_post_stamp

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

#: A post's URL as ``slugs.slugify`` makes them; any other path is Flask's to route.
POST_PATH = re.compile(r"/posts/([a-z0-9][a-z0-9-]*)\Z")
#: Where the stamp read here waits for the view (``known_stamp``): (slug, stamp or None).
STAMP_ENVIRON_KEY = "blogengine.post_stamp"
CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_RANGE")


class KeptPostPages:
    """WSGI middleware: the kept post page for an anonymous GET, else the wrapped app."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        slug = self._candidate(environ)
        if slug is None:
            return self.wsgi_app(environ, start_response)
        served = self._serve(environ, slug)
        if served is not None:
            body, headers = served
            start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
            return [body]
        return self._through_flask(environ, start_response)

    def _candidate(self, environ: WSGIEnvironment) -> str | None:
        """The slug when this request may be served here, else None."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        match = POST_PATH.match(environ.get("PATH_INFO", ""))
        if match is None or any(environ.get(name) for name in CONDITIONAL):
            return None
        config = self.app.config
        cookies = environ.get("HTTP_COOKIE")
        if cookies:
            names = parse_cookie(cookies)
            if config["SESSION_COOKIE_NAME"] in names:
                return None
            if config.get("REMEMBER_COOKIE_NAME", "remember_token") in names:
                return None
        try:
            get_host(environ, config.get("TRUSTED_HOSTS"))  # as Flask checks it: else a 400
        except SecurityError:
            return None
        return match.group(1)

    def _serve(
        self, environ: WSGIEnvironment, slug: str
    ) -> tuple[bytes, list[tuple[str, str]]] | None:
        """The filled page and its headers, or None (Flask serves it); never raises."""
        try:
            with self.app.app_context():
                stamp = reader_post_stamp(slug)
                environ[STAMP_ENVIRON_KEY] = (slug, stamp)
                if stamp is None:
                    return None
                version = f"{page_fingerprint(self.app)}-{stamp.version}"
                kept = pagecache.cached(pagecache.page_key(version, f"/posts/{slug}?"))
                if kept is None or kept[1] is None:
                    return None
                page, headers = kept[0], kept[1]
                if reader_fields.needs_request(page):
                    with self.app.request_context(environ):
                        filled = reader_fields.fill_for(page, slug, environ.get("REMOTE_ADDR"))
                else:
                    filled = reader_fields.fill_for(page, slug, environ.get("REMOTE_ADDR"))
            return filled.encode(), headers
        except Exception:  # Flask serves it, and its error pages say what went wrong
            log.debug("kept page for %s not served here", slug, exc_info=True)
            environ.pop(STAMP_ENVIRON_KEY, None)
            return None

    def _through_flask(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Flask serves it; a page ``pagecache.serve`` kept gets this response's headers."""

        def keep_headers(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            kept = environ.pop(pagecache.KEPT_ENVIRON_KEY, None)
            if kept is not None and status.startswith("200 "):
                names = {name.lower() for name, _ in headers}
                if "set-cookie" not in names:
                    key, page = kept
                    pagecache.keep(key, (page, _without_length(headers)))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, keep_headers)


def _without_length(headers: list[Any]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() != "content-length"]


def known_stamp(environ: WSGIEnvironment, slug: str) -> tuple[bool, Stamp | None]:
    """(True, the stamp) when this request's stamp was already read for ``slug`` here."""
    found = environ.get(STAMP_ENVIRON_KEY)
    if isinstance(found, tuple) and found[0] == slug:
        return True, found[1]
    return False, None


def init_app(app: Flask) -> None:
    """Serve kept post pages before Flask (call before ProxyFix wraps the app)."""
    if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
        return  # every route is counted: leave every request to Flask-Limiter
    app.wsgi_app = KeptPostPages(app, app.wsgi_app)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
